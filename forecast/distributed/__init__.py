"""Scale out on existing engines: Ray for many trainings, Keras's data-parallel paths for one.

- `forecast.distributed.grid`: batch evaluation of a models × datasets × horizons × seeds grid,
  locally or one Ray task per cell (`run_grid`, `forecast batch`).
- `forecast.distributed.tuning`: hyperparameter search with Ray Tune (ASHA) or locally
  (`tune`, `forecast tune`).
- Data-parallel training of one model is a Forecaster setting,
  `Forecaster(distribution="data_parallel")` (`forecast.backends.distribution_scope`).

Ray is optional (`pip install -e ".[ray]"`); nothing here imports it until an engine needs it.
"""
