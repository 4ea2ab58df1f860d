"""Regenerate the small synthetic datasets bundled with the ``forecast`` project.

Run from anywhere::

    python data/make_datasets.py

The script writes, next to itself (paths are resolved relative to this file):

* ``synthetic_daily.csv``      -- columns ``date,value`` (daily, 2015-01-01 .. 2024-12-31)
* ``synthetic_covariate.csv``  -- columns ``timestamp,load,temperature,noise_feature``
  (hourly, 6000 rows from 2020-01-01 00:00:00)

Only numpy and pandas are used, every random draw comes from a
``numpy.random.default_rng`` seeded with a fixed constant, and the CSV
formatting is fixed (``%.4f``, ``\\n`` line endings), so re-running the script
reproduces the files byte-for-byte (for a given numpy version; numpy's
``Generator.normal`` stream has been stable for many releases).

All values are rounded to 4 decimals. The rounding error is at most 5e-5,
negligible next to the noise levels (sigma = 1.0 and 0.5), so the noise floors
quoted below are unaffected.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parent

DECIMALS = 4
FLOAT_FORMAT = "%.4f"

# --------------------------------------------------------------------------
# (a) synthetic_daily.csv
# --------------------------------------------------------------------------
DAILY_FILE = "synthetic_daily.csv"
DAILY_SEED = 20150101
DAILY_START = "2015-01-01"
DAILY_END = "2024-12-31"  # 10 years inclusive -> 3653 rows (3 leap days)
LEVEL = 50.0
TREND_PER_DAY = 0.01
YEARLY_AMPLITUDE = 10.0
YEARLY_PERIOD_DAYS = 365.25
# Additive weekly pattern indexed by day of week (Monday=0 .. Sunday=6).
# Mean exactly zero, peak-to-peak exactly 6.0.
WEEKLY_PATTERN = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 3.0, -3.0])
NOISE_SIGMA = 1.0
# Best possible one-step MAE (noise floor): NOISE_SIGMA * sqrt(2 / pi) = 0.7979

# --------------------------------------------------------------------------
# (b) synthetic_covariate.csv
# --------------------------------------------------------------------------
COVARIATE_FILE = "synthetic_covariate.csv"
COVARIATE_SEED = 20200101
COVARIATE_START = "2020-01-01 00:00:00"
COVARIATE_ROWS = 6000
LAG = 6  # load_t depends on temperature_{t-LAG} (hours)
TEMP_MEAN = 10.0
TEMP_DAILY_AMPLITUDE = 5.0
TEMP_PEAK_HOUR = 15  # daily sinusoid peaks at 15:00
TEMP_AR_PHI = 0.9
TEMP_AR_SIGMA = 1.0  # innovation std of the AR(1) component
LOAD_INTERCEPT = 20.0
LOAD_SLOPE = 1.5
LOAD_NOISE_SIGMA = 0.5
NOISE_FEATURE_SIGMA = 1.0
# Best possible MAE for a model seeing temperature up to t-LAG:
# LOAD_NOISE_SIGMA * sqrt(2 / pi) = 0.3989


def _round(x: np.ndarray) -> np.ndarray:
    # "+ 0.0" turns any -0.0 produced by rounding into 0.0 (stable text output).
    return np.round(np.asarray(x, dtype=np.float64), DECIMALS) + 0.0


def make_daily() -> pd.DataFrame:
    """value_t = LEVEL + TREND_PER_DAY*t + YEARLY_AMPLITUDE*sin(2*pi*t/365.25)
    + WEEKLY_PATTERN[dayofweek_t] + N(0, NOISE_SIGMA^2), with t = days since start."""
    rng = np.random.default_rng(DAILY_SEED)
    dates = pd.date_range(DAILY_START, DAILY_END, freq="D")
    t = np.arange(len(dates), dtype=np.float64)
    deterministic = (
        LEVEL
        + TREND_PER_DAY * t
        + YEARLY_AMPLITUDE * np.sin(2.0 * np.pi * t / YEARLY_PERIOD_DAYS)
        + WEEKLY_PATTERN[dates.day_of_week.to_numpy()]
    )
    noise = rng.normal(0.0, NOISE_SIGMA, size=len(dates))
    return pd.DataFrame(
        {"date": dates.strftime("%Y-%m-%d"), "value": _round(deterministic + noise)}
    )


def make_covariate() -> pd.DataFrame:
    """temperature_t = TEMP_MEAN + TEMP_DAILY_AMPLITUDE*cos(2*pi*(hour_t - 15)/24) + ar_t,
    ar_t = TEMP_AR_PHI*ar_{t-1} + N(0, TEMP_AR_SIGMA^2) (started in its stationary law);
    load_t = LOAD_INTERCEPT + LOAD_SLOPE*temperature_{t-LAG} + N(0, LOAD_NOISE_SIGMA^2);
    noise_feature_t = N(0, NOISE_FEATURE_SIGMA^2), independent of everything else.

    The temperature driver is simulated for LAG extra hours before the start so that
    the first rows have a defined lagged value; those extra hours are then dropped.
    load is computed from the *rounded* temperature, so the relation holds exactly
    on the values in the file (up to the 4-decimal rounding of load itself).
    """
    rng = np.random.default_rng(COVARIATE_SEED)
    n_total = COVARIATE_ROWS + LAG
    start = pd.Timestamp(COVARIATE_START) - pd.Timedelta(hours=LAG)
    stamps = pd.date_range(start, periods=n_total, freq="h")

    # Draw order is fixed: AR innovations, load noise, noise feature.
    innovations = rng.normal(0.0, TEMP_AR_SIGMA, size=n_total)
    load_noise = rng.normal(0.0, LOAD_NOISE_SIGMA, size=COVARIATE_ROWS)
    noise_feature = rng.normal(0.0, NOISE_FEATURE_SIGMA, size=COVARIATE_ROWS)

    ar = np.empty(n_total, dtype=np.float64)
    ar[0] = innovations[0] / np.sqrt(1.0 - TEMP_AR_PHI**2)  # stationary start
    for i in range(1, n_total):
        ar[i] = TEMP_AR_PHI * ar[i - 1] + innovations[i]

    hour = stamps.hour.to_numpy().astype(np.float64)
    temperature = _round(
        TEMP_MEAN + TEMP_DAILY_AMPLITUDE * np.cos(2.0 * np.pi * (hour - TEMP_PEAK_HOUR) / 24.0) + ar
    )

    lagged_temperature = temperature[:COVARIATE_ROWS]  # temperature_{t-LAG}
    load = LOAD_INTERCEPT + LOAD_SLOPE * lagged_temperature + load_noise

    return pd.DataFrame(
        {
            "timestamp": stamps[LAG:].strftime("%Y-%m-%d %H:%M:%S"),
            "load": _round(load),
            "temperature": temperature[LAG:],
            "noise_feature": _round(noise_feature),
        }
    )


def _write(df: pd.DataFrame, name: str) -> Path:
    path = DATA_DIR / name
    df.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    return path


def main() -> None:
    for df, name in ((make_daily(), DAILY_FILE), (make_covariate(), COVARIATE_FILE)):
        path = _write(df, name)
        print(f"wrote {path.name}: {len(df)} rows, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
