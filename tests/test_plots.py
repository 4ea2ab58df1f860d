"""Specification of forecast.plots: each plot writes a real PNG and closes its figure."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from forecast import Forecaster, load_series
from forecast.errors import ConfigError, DataError
from forecast.plots import plot_attention, plot_forecast, plot_history

DATA = Path(__file__).resolve().parents[1] / "data"
PNG = b"\x89PNG\r\n\x1a\n"
TINY = dict(lookback=12, horizon=4, epochs=2, batch_size=32, verbose=0, seed=0)


def _assert_png(path: Path) -> None:
    data = Path(path).read_bytes()
    assert data[:8] == PNG
    assert len(data) > 1024
    assert plt.get_fignums() == []  # the figure was closed


@pytest.fixture(scope="module")
def daily() -> tuple[Forecaster, pd.DataFrame]:
    frame = load_series(pd.read_csv(DATA / "synthetic_daily.csv").iloc[:200], target="value")
    model = Forecaster(model="attention", model_options={"units": (8,), "attention_units": 4})
    return model.set_params(**TINY).fit(frame), frame


@pytest.fixture(scope="module")
def multi() -> tuple[Forecaster, pd.DataFrame]:
    frame = load_series(
        pd.read_csv(DATA / "synthetic_covariate.csv").iloc[:200],
        target=["load", "temperature"],
        covariates=["noise_feature"],
    )
    return Forecaster(model_options={"units": 8}, **TINY).fit(frame), frame


def test_plot_forecast_single_target(daily, tmp_path):
    f, frame = daily
    path = plot_forecast(f, frame, tmp_path / "forecast.png")
    assert path == tmp_path / "forecast.png"
    _assert_png(path)


def test_plot_forecast_several_targets_on_the_test_span(multi, tmp_path):
    f, frame = multi
    _assert_png(plot_forecast(f, frame, tmp_path / "sub" / "multi.png", test=60, last=30))


def test_plot_forecast_checks_its_arguments(daily, tmp_path):
    f, frame = daily
    with pytest.raises(ConfigError, match="PNG"):
        plot_forecast(f, frame, tmp_path / "forecast.jpg")
    with pytest.raises(ConfigError, match="last"):
        plot_forecast(f, frame, tmp_path / "forecast.png", last=0)
    with pytest.raises(ConfigError, match="fitted"):
        plot_forecast(Forecaster(), frame, tmp_path / "forecast.png")
    assert plt.get_fignums() == []


def test_plot_history_of_a_fit(daily, tmp_path):
    f, _ = daily
    _assert_png(plot_history(f.history_, tmp_path / "history.png"))


def test_plot_history_with_extra_metrics_and_no_validation(tmp_path):
    history = {
        "loss": [1.0, 0.6, 0.5, 0.55],
        "val_loss": [1.2, 0.8, 0.7, 0.9],
        "mae": [0.9, 0.7, 0.6, 0.6],
        "val_mae": [1.0, 0.8, 0.7, 0.8],
        "learning_rate": [1e-3, 1e-3, 5e-4, 5e-4],
    }
    _assert_png(plot_history(history, tmp_path / "full.png"))
    _assert_png(plot_history({"loss": [3.0, 2.0, 1.0]}, tmp_path / "train_only.png"))
    with pytest.raises(DataError, match="empty"):
        plot_history({}, tmp_path / "empty.png")


def test_plot_attention_of_an_attention_model(daily, tmp_path):
    f, frame = daily
    weights = f.attention(frame)
    assert weights.shape == (12, 12)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-4)
    _assert_png(plot_attention(weights, tmp_path / "attention.png"))
    _assert_png(plot_attention(weights[-1], tmp_path / "last_row.png"))
    with pytest.raises(DataError, match="lookback"):
        plot_attention(np.ones((3, 4)), tmp_path / "bad.png")


def test_plot_forecast_draws_every_baseline_with_its_mae(daily, tmp_path, monkeypatch):
    f, frame = daily
    labels = []
    save = plt.Figure.savefig

    def record(fig, *args, **kwargs):
        labels.extend(line.get_label() for ax in fig.axes for line in ax.get_lines())
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(plt.Figure, "savefig", record)
    plot_forecast(f, frame, tmp_path / "forecast.png")
    for name in ("naive", "seasonal naive", "linear"):
        assert any(label.startswith(f"{name}, step 4 (MAE ") for label in labels), labels
