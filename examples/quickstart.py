"""Quickstart: the Python API from a CSV file to a saved, reloaded forecaster.

Run it from anywhere (it finds the bundled data next to the package):

    python examples/quickstart.py

It trains a small LSTM on data/synthetic_daily.csv (ten years of a daily series with a trend,
a yearly wave, a weekly pattern and noise), scores it beside the naive and seasonal-naive
baselines, forecasts the next week, and saves and reloads the model. About a minute on a
laptop CPU. The same run from the command line is:

    forecast train data/synthetic_daily.csv --lookback 28 --horizon 7 --epochs 15
"""

from __future__ import annotations

from pathlib import Path

from forecast import Forecaster, load_series, split  # quiet: TensorFlow's start-up log is hidden

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "synthetic_daily.csv"
OUT = ROOT / "runs" / "quickstart-python"  # not the README's runs/quickstart (the CLI run)


def main() -> None:
    # 1. Load and validate: the time column ("date") is found by its name, the target is the
    #    only numeric column. The result is indexed by time, sorted, gap-free and all float.
    series = load_series(DATA)
    print(f"{DATA.name}: {len(series)} rows, frequency {series.attrs['forecast']['freq']}")

    # 2. Split in time order: 60% train, 20% validation (early stopping), 20% test. The
    #    validation and test parts start with `context` rows from before them, so that their
    #    first window has a full lookback of history; those rows are never scored.
    lookback, horizon = 28, 7  # look at four weeks, forecast the next one
    parts = split(series, train=0.6, val=0.2, context=lookback)

    # 3. Configure and train. Settings are stored as given; fit() learns the scaler (on the
    #    training part only), builds the model and stops when val_loss stops improving,
    #    keeping the best epoch's weights.
    forecaster = Forecaster(
        model="single",  # or "stacked", "attention"
        lookback=lookback,
        horizon=horizon,
        epochs=15,
        patience=5,
        seed=0,  # repeatable
        model_options={"units": 32},  # a small LSTM is plenty here
        verbose=2,  # one line per epoch (0: silent, 1: progress bar)
    )
    forecaster.fit(parts.train, val=parts.val)

    # 4. Evaluate on the test part, in original units, beside the baselines. A model that
    #    does not beat "repeat last week" (seasonal naive) says so in report.notes.
    report = forecaster.evaluate(parts.test)
    print()
    print(report.overall().round(3).to_string())
    for note in report.notes:
        print(note)
    print("The noise floor of this dataset is an MAE of about 0.80 (see data/README.md).")

    # 5. Forecast the week after the end of the data: a frame indexed by the next dates.
    future = forecaster.predict(series)
    print()
    print(future.round(2).to_string())

    # 6. Save (a folder of plain files, written atomically; no pickle) and load it back.
    forecaster.save(OUT, metrics=report.to_dict())
    reloaded = Forecaster.load(OUT)
    same = (reloaded.predict(series) - future).abs().to_numpy().max() < 1e-4
    print(f"\nsaved to {OUT.relative_to(ROOT)}; reloaded forecasts match: {same}")


if __name__ == "__main__":
    main()
