"""Scale out on existing engines: Ray for many trainings, Keras's data-parallel paths for one.

- `forecast.distributed.grid`: batch evaluation of a models × datasets × horizons × seeds grid,
  locally or one Ray task per cell (`run_grid`, `forecast batch`).
- `forecast.distributed.tuning`: hyperparameter search with Ray Tune (ASHA) or locally
  (`tune`, `forecast tune`).
- Data-parallel training of one model is a Forecaster setting,
  `Forecaster(distribution="data_parallel")` (`forecast.backends.distribution_scope`).

Ray is optional (`pip install -e ".[ray]"`); nothing here imports it until an engine needs it.
"""

from __future__ import annotations

import os
import sys

from forecast import backends


def in_a_ray_worker() -> bool:
    """Whether this process is a Ray worker (a task's or an actor's: Ray runs its
    `default_worker.py`), which imports this package to unpickle the function it runs."""
    return os.path.basename(sys.argv[0]) == "default_worker.py" if sys.argv else False


if in_a_ray_worker():  # each worker imports Keras for one cell or trial: skip its unused extras
    backends.lean_keras_import()
