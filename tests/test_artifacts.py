"""Specification of forecast.artifacts: a saved forecaster is a safe, atomic folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from forecast import Forecaster, load_series
from forecast import artifacts as artifacts_module
from forecast.artifacts import FORMAT_VERSION, load_model_file, read_metrics
from forecast.errors import ArtifactError

ROOT = Path(__file__).resolve().parents[1]
DAILY = ROOT / "data" / "synthetic_daily.csv"
ROWS = 240
TINY = dict(
    lookback=12, horizon=3, epochs=2, batch_size=32, verbose=0, seed=0, model_options={"units": 8}
)
FILES = {
    "model.keras",
    "forecaster.json",
    "history.csv",
    "metrics.json",
    "linear_baseline.npz",
    "intervals.npz",
}


def _series() -> pd.DataFrame:
    return load_series(pd.read_csv(DAILY).iloc[:ROWS], target="value")


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    return Forecaster(**TINY).fit(_series())


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("artifact") / "daily"
    fitted.save(folder, metrics=fitted.evaluate(_series(), test=30).to_dict())
    return folder


@pytest.fixture
def copy(saved, tmp_path) -> Path:
    """A private copy of the saved folder, free to damage."""
    return Path(shutil.copytree(saved, tmp_path / "daily"))


def _hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


# ------------------------------------------------------------------ layout
def test_the_folder_holds_model_config_history_and_metrics(saved, fitted):
    assert {p.name for p in saved.iterdir()} == FILES
    config = json.loads((saved / "forecaster.json").read_text())
    for key in ("settings", "window", "scaler", "columns", "freq", "last_timestamps", "versions"):
        assert key in config, key
    assert config["window"] == {"lookback": 12, "horizon": 3}
    assert config["columns"] == ["value"] and config["freq"] == "D"
    assert config["settings"]["model_options"] == {"units": 8}
    assert set(config["versions"]) >= {"forecast", "keras", "backend"}
    assert config["format_version"] == FORMAT_VERSION
    assert list(config["last_timestamps"].values()) == [str(_series().index[-1])]
    history = pd.read_csv(saved / "history.csv", float_precision="round_trip")  # exact
    assert history["epoch"].tolist() == [1, 2]
    np.testing.assert_array_equal(history["loss"], fitted.history_["loss"])
    metrics = read_metrics(saved)
    assert metrics["overall"]["value"]["model"]["MAE"] > 0


@pytest.mark.slow
def test_predictions_are_bit_equal_in_another_process(saved, fitted, tmp_path):
    """In a fresh process, `forecast predict` (first: it imports Keras the command line's
    way, without scikit-learn, matplotlib or JAX) and `Forecaster.load(...).predict` give
    the bits of the forecaster that was saved."""
    here = fitted.predict(_series()).to_numpy()
    out, csv, data = tmp_path / "pred.npy", tmp_path / "pred.csv", tmp_path / "daily.csv"
    pd.read_csv(DAILY).iloc[:ROWS].to_csv(data, index=False)
    script = textwrap.dedent(
        f"""
        import sys
        import numpy as np, pandas as pd
        from forecast.cli import main
        sys.argv = ["forecast", "predict", {str(saved)!r}, "--data", {str(data)!r},
                    "--out", {str(csv)!r}]
        try:
            main()
        except SystemExit as exc:
            assert not exc.code, exc.code
        print("modules:", *sorted({{"sklearn", "matplotlib", "jax"}} & set(sys.modules)))
        from forecast import Forecaster, load_series
        f = Forecaster.load({str(saved)!r})
        series = load_series(pd.read_csv({str(DAILY)!r}).iloc[:{ROWS}], target="value")
        np.save({str(out)!r}, f.predict(series).to_numpy())
        """
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "modules:"  # Keras's unused extras left out
    there = np.load(out)
    assert np.array_equal(here, there), (here, there)
    by_cli = pd.read_csv(csv, float_precision="round_trip").drop(columns="date").to_numpy()
    assert np.array_equal(here, by_cli), (here, by_cli)


def test_save_keeps_metrics_when_none_are_given(copy, fitted):
    before = read_metrics(copy)
    fitted.save(copy)
    assert read_metrics(copy) == before


# ------------------------------------------------------------------ damage
def _one_line_error(path: Path, names: str) -> str:
    with pytest.raises(ArtifactError) as info:
        Forecaster.load(path)
    message = str(info.value)
    assert names in message
    assert "\n" not in message
    return message


def test_a_corrupt_model_file_is_named_in_one_line(copy):
    (copy / "model.keras").write_bytes(b"this is not a zip archive" * 40)
    message = _one_line_error(copy, "model.keras")
    assert "corrupt" in message


def test_a_missing_model_file_is_named(copy):
    (copy / "model.keras").unlink()
    _one_line_error(copy, "model.keras")


def test_a_corrupt_linear_baseline_file_is_named_in_one_line(copy):
    (copy / "linear_baseline.npz").write_bytes(b"not numpy" * 10)
    message = _one_line_error(copy, "linear_baseline.npz")
    assert "corrupt" in message


def test_a_linear_baseline_of_another_window_is_refused(copy, fitted):
    from forecast.linear import LinearBaseline

    other = LinearBaseline.from_arrays(
        np.zeros((1, fitted.lookback + 1, fitted.horizon)), np.zeros((1, fitted.horizon)),
        np.ones(1),
    )  # fmt: skip
    other.save(copy / "linear_baseline.npz")
    _one_line_error(copy, "linear_baseline.npz")


def test_an_artifact_without_a_linear_baseline_loads_and_reports_without_it(copy):
    (copy / "linear_baseline.npz").unlink()  # as saved before the linear baseline existed
    loaded = Forecaster.load(copy)
    methods = set(loaded.evaluate(_series()).overall().index.get_level_values("method"))
    assert methods == {"model", "naive", "seasonal_naive", "mean"}


def _edit_config(folder: Path, change) -> None:
    path = folder / "forecaster.json"
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config))


def _set_lookback(config: dict) -> None:
    config["settings"]["lookback"] = 13


def _set_window(config: dict) -> None:
    config["window"]["lookback"] = 24


def _future_version(config: dict) -> None:
    config["format_version"] = FORMAT_VERSION + 1


def _drop_scaler(config: dict) -> None:
    del config["scaler"]


def _drop_scaler_state(config: dict) -> None:
    del config["scaler"]["state"]["mean_"]


@pytest.mark.parametrize(
    "change",
    [_set_lookback, _set_window, _future_version, _drop_scaler, _drop_scaler_state],
    ids=["lookback", "window", "format_version", "missing-key", "missing-scaler-state"],
)
def test_a_hand_edited_config_is_refused(copy, change):
    _edit_config(copy, change)
    _one_line_error(copy, "forecaster.json")


def test_invalid_json_is_refused(copy):
    path = copy / "forecaster.json"
    path.write_text(path.read_text()[:-20])
    message = _one_line_error(copy, "forecaster.json")
    assert "not valid JSON" in message


def test_a_missing_folder_is_an_artifact_error(tmp_path):
    with pytest.raises(ArtifactError, match="no saved forecaster"):
        Forecaster.load(tmp_path / "nowhere")


def test_a_folder_without_config_is_an_artifact_error(copy):
    (copy / "forecaster.json").unlink()
    _one_line_error(copy, "forecaster.json")


# ------------------------------------------------------------------ atomic save
def test_a_crash_mid_save_leaves_the_previous_artifact_intact(copy, fitted, monkeypatch):
    expected = Forecaster.load(copy).predict(_series()).to_numpy()
    metrics = read_metrics(copy)
    seen = []

    def crash(path: Path, history) -> None:
        seen.append(sorted(p.name for p in path.parent.iterdir()))  # the temp folder so far
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(artifacts_module, "write_history_csv", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        fitted.save(copy, metrics={"other": 1})
    assert seen == [["forecaster.json", "model.keras"]]  # it crashed half-way through
    assert {p.name for p in copy.iterdir()} == FILES  # .saving/ removed
    assert read_metrics(copy) == metrics
    assert _hidden(copy.parent) == []  # no temp folder left behind
    np.testing.assert_array_equal(Forecaster.load(copy).predict(_series()), expected)


def test_a_save_killed_after_its_commit_is_finished_by_the_next_load(copy, fitted, monkeypatch):
    """Killed while moving the committed files in: the next load finishes the move and
    reads the new save (its metrics), never a mix; the user's own file stays."""
    (copy / "NOTES.md").write_text("mine")
    real_replace, moves = os.replace, []

    def replace(src, dst):
        if Path(src).parent.name == ".saving" and Path(dst).parent == copy:
            moves.append(Path(dst).name)
            if len(moves) == 2:  # two files moved in: "killed" here
                raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        fitted.save(copy, metrics={"new": 1})
    monkeypatch.undo()
    assert (copy / ".saving" / "COMMIT").exists()  # committed, half moved
    loaded = Forecaster.load(copy)
    assert read_metrics(copy) == {"new": 1} and loaded.is_fitted
    assert {p.name for p in copy.iterdir()} == FILES | {"NOTES.md"}
    assert (copy / "NOTES.md").read_text() == "mine"


def test_leftovers_of_the_old_swap_save_are_recovered_or_removed(copy, tmp_path):
    """Earlier versions saved by swapping sibling folders: an `.old-*` folder whose run is
    missing is put back; leftovers beside a present run are removed."""
    old = tmp_path / ".daily.old-abc"
    os.replace(copy, old)
    (tmp_path / ".daily.saving-xyz").mkdir()
    assert Forecaster.load(copy).is_fitted  # put back
    assert _hidden(tmp_path) == []
    (tmp_path / ".daily.old-def").mkdir()
    (tmp_path / ".daily.saving-uvw").mkdir()
    Forecaster.load(copy)
    assert _hidden(tmp_path) == []


def test_a_resave_keeps_the_users_files_and_drops_old_plots(copy, fitted):
    for name in ("forecast.png", "attention.png"):
        (copy / name).write_bytes(b"old plot")
    (copy / "predictions.csv").write_text("t,y\n")
    (copy / "analysis").mkdir()
    (copy / "analysis" / "a.txt").write_text("kept")
    fitted.save(copy)
    assert {p.name for p in copy.iterdir()} == FILES | {"predictions.csv", "analysis"}
    assert (copy / "analysis" / "a.txt").read_text() == "kept"


def test_saved_json_is_valid_json_with_null_for_nan(copy, fitted):
    fitted.save(copy, metrics={"MASE": float("nan"), "x": np.float32("inf"), "n": np.int64(3)})
    assert json.loads((copy / "metrics.json").read_text()) == {"MASE": None, "x": None, "n": 3}
    json.loads((copy / "forecaster.json").read_text(), parse_constant=_no_constants)


def _no_constants(name: str) -> None:
    raise AssertionError(f"bare {name} in JSON")


def test_a_new_folder_gets_the_users_umask(fitted, tmp_path):
    old = os.umask(0o022)
    try:
        fitted.save(tmp_path / "fresh")
    finally:
        os.umask(old)
    assert (tmp_path / "fresh").stat().st_mode & 0o777 == 0o755


# ------------------------------------------------------------------ no pickle
def test_nothing_is_pickled(saved):
    with zipfile.ZipFile(saved / "model.keras") as archive:
        names = archive.namelist()
        config = archive.read("config.json").decode()
    assert "config.json" in names and not any(n.endswith((".pkl", ".pickle")) for n in names)
    assert "pickle" not in config.lower() and "lambda" not in config.lower()
    for name in ("forecaster.json", "history.csv", "metrics.json"):
        text = (saved / name).read_text()
        assert "pickle" not in text.lower()
    for source in (ROOT / "forecast").rglob("*.py"):
        code = source.read_text()
        assert "import pickle" not in code and "pickle." not in code, source


def test_unsafe_models_are_refused_by_safe_mode(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ArtifactError, match=r"lambda\.keras"):
        load_model_file(tmp_path / "lambda.keras")


# ------------------------------------------------------------------ legacy export
def test_export_h5_loads_back_with_identical_predictions(fitted, tmp_path):
    path = tmp_path / "model.h5"
    fitted.export_h5(path)
    assert path.read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"
    model = load_model_file(path)
    windows = fitted.scaler_.transform(_series())[None, -12:]
    np.testing.assert_array_equal(
        model.predict(windows, verbose=0), fitted.model_.predict(windows, verbose=0)
    )
    with pytest.raises(ArtifactError, match=r"writes \.h5"):
        fitted.export_h5(tmp_path / "model.keras")


# ------------------------------------------------------- the lookback setting and lookback_
def test_a_folder_holding_auto_or_the_chosen_lookback_loads_alike(copy, fitted):
    """`fit` keeps the lookback setting as given ("auto") and its choice in `lookback_` (the
    saved window); folders saved when the choice was written into the setting load the same."""
    as_chosen = Forecaster.load(copy)  # settings lookback 12, window 12: the earlier format
    _edit_config(copy, lambda config: config["settings"].update(lookback="auto"))
    as_auto = Forecaster.load(copy)
    assert (as_chosen.lookback, as_chosen.lookback_) == (12, 12)
    assert (as_auto.lookback, as_auto.lookback_) == ("auto", 12)
    frame = _series()
    pd.testing.assert_frame_equal(as_auto.predict(frame), as_chosen.predict(frame))
    _edit_config(copy, lambda config: config["window"].update(lookback="12"))
    assert "window" in _one_line_error(copy, "forecaster.json")


def test_the_fitted_state_round_trips_without_a_forecaster(fitted):
    """`state.FittedState` writes and reads its config from plain values: the settings, the
    lookback setting and the horizon; never a Forecaster."""
    from forecast.state import FittedState

    config = json.loads(json.dumps(fitted.state_.to_config(fitted.get_params(), 1)))
    again = FittedState.from_config(config, "auto", fitted.horizon, "test")
    assert (again.lookback, again.columns, again.n_targets) == (12, ["value"], 1)
    assert again.freq == fitted.freq_ and again.season == fitted.season_
    np.testing.assert_array_equal(again.mase_scale, fitted.mase_scale_)
    assert again.scaler.to_dict() == fitted.scaler_.to_dict()
    assert config["fit"]["best_epoch"] == 1 and config["window"] == {"lookback": 12, "horizon": 3}
    with pytest.raises(ArtifactError, match="window"):
        FittedState.from_config(config, 24, fitted.horizon, "test")  # another lookback setting
