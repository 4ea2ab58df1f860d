"""Saved forecasters: a folder of plain files, written atomically, loaded safely.

Layout of a saved forecaster folder:

    model.keras        the Keras model (native format; loaded with safe_mode=True)
    forecaster.json    settings, window config, scaler parameters, columns, frequency,
                       last timestamps, package / Keras / backend versions
    history.csv        training history, one row per epoch
    metrics.json       the last evaluation (and anything the caller adds)
    linear_baseline.npz  the linear baseline fitted with the model (`forecast.linear`; NumPy
                       arrays, loaded without pickle); absent when it could not be fitted

No pickle anywhere. `save_forecaster` writes into a temporary sibling folder and renames it
into place, so a crash mid-save leaves the previous artifact intact.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast._version import __version__
from forecast.errors import ArtifactError, ForecastError

if TYPE_CHECKING:
    import keras

    from forecast.forecaster import Forecaster

FORMAT_VERSION = 1
MODEL_FILE = "model.keras"
CONFIG_FILE = "forecaster.json"
HISTORY_FILE = "history.csv"
LINEAR_FILE = "linear_baseline.npz"
METRICS_FILE = "metrics.json"
REQUIRED = (
    "format_version",
    "settings",
    "columns",
    "n_targets",
    "freq",
    "season",
    "scaler",
    "mase_scale",
)


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, set)):
        return list(value)
    return str(value)


def _versions() -> dict[str, str]:
    import keras

    return {"forecast": __version__, "keras": keras.__version__, "backend": keras.backend.backend()}


def forecaster_config(f: Forecaster) -> dict[str, Any]:
    """Everything but the weights needed to rebuild a fitted forecaster, JSON-ready."""
    return {
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "settings": f.get_params(),
        "window": {"lookback": f.lookback, "horizon": f.horizon},
        "columns": list(f.columns_),
        "n_targets": f.n_targets_,
        "freq": f.freq_,
        "season": f.season_,
        "scaler": f.scaler_.to_dict(),
        "mase_scale": [None if np.isnan(v) else float(v) for v in f.mase_scale_],
        "last_timestamps": dict(getattr(f, "last_timestamps_", {})),
        "fit": {
            "best_epoch": getattr(getattr(f, "fit_result_", None), "best_epoch", None),
            "epochs_run": len(next(iter(f.history_.values()), [])) if f.history_ else 0,
        },
    }


def _write_history(path: Path, history: Mapping[str, list[float]]) -> None:
    from forecast.training import write_history_csv

    write_history_csv(path, history)


def save_forecaster(
    f: Forecaster, path: str | os.PathLike, metrics: Mapping[str, Any] | None = None
) -> Path:
    """Write `f` to the folder `path`, replacing any previous artifact atomically.

    Returns:
        The folder path.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.saving-", dir=target.parent))
    try:
        f.model_.save(tmp / MODEL_FILE)
        config = json.dumps(forecaster_config(f), indent=2, default=_json_default)
        (tmp / CONFIG_FILE).write_text(config + "\n")
        _write_history(tmp / HISTORY_FILE, f.history_)
        if getattr(f, "linear_", None) is not None:
            f.linear_.save(tmp / LINEAR_FILE)
        old_metrics = target / METRICS_FILE
        if metrics is None and old_metrics.exists():
            shutil.copy2(old_metrics, tmp / METRICS_FILE)
        else:
            text = json.dumps(dict(metrics or {}), indent=2, default=_json_default)
            (tmp / METRICS_FILE).write_text(text + "\n")
        for extra in target.glob("*.png") if target.is_dir() else []:
            shutil.copy2(extra, tmp / extra.name)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            old.rmdir()
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _recover(target: Path) -> None:
    """If a save died between its two renames, put the previous artifact back."""
    if target.exists():
        return
    olds = sorted(target.parent.glob(f".{target.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds:
        os.replace(olds[-1], target)


def _read_config(folder: Path) -> dict[str, Any]:
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise ArtifactError(
            f"{path} is missing; this folder is not a saved forecaster (re-train and save)"
        )
    try:
        config = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(
            f"{path} is not valid JSON ({exc}); restore it or re-train and save"
        ) from exc
    if not isinstance(config, dict):
        raise ArtifactError(f"{path} does not hold a JSON object; restore it or re-train and save")
    missing = [k for k in REQUIRED if k not in config]
    if missing:
        raise ArtifactError(f"{path} lacks {', '.join(missing)}; restore it or re-train and save")
    version = config["format_version"]
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise ArtifactError(
            f"{path} has format_version {version!r}, this forecast {__version__} reads version "
            f"{FORMAT_VERSION}; upgrade forecast or re-train"
        )
    saved_keras = str(config.get("versions", {}).get("keras", "3"))
    if not saved_keras.startswith("3"):
        raise ArtifactError(
            f"{path} was saved with Keras {saved_keras}; this needs Keras 3 (re-train)"
        )
    return config


def load_model_file(path: str | os.PathLike, compile: bool = True) -> keras.Model:
    """Load a Keras model from `.keras` (safe mode) or a legacy `.h5` file.

    Raises:
        ArtifactError: naming the file when it is missing, corrupt or not a Keras model.
    """
    import keras

    import forecast.models  # noqa: F401  (registers the custom layers)

    file = Path(path)
    if not file.is_file():
        raise ArtifactError(f"model file {file} is missing; re-train or restore it")
    if file.suffix not in (".keras", ".h5", ".hdf5"):
        raise ArtifactError(f"{file} is not a .keras or .h5 model file")
    if file.suffix == ".keras" and not zipfile.is_zipfile(file):
        raise ArtifactError(
            f"{file} is corrupt or not a Keras model (not a .keras zip archive); "
            "re-train or restore it"
        )
    try:
        if file.suffix == ".keras":
            return keras.models.load_model(file, safe_mode=True, compile=compile)
        return keras.models.load_model(file, compile=compile)
    except Exception as exc:  # Keras raises many kinds for a damaged file
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ArtifactError(
            f"{file} is corrupt or not a Keras model ({reason}); re-train or restore it"
        ) from exc


def export_h5(model: keras.Model, path: str | os.PathLike) -> Path:
    """Save `model` as a legacy HDF5 file (for scripts that call `load_model("x.h5")`)."""
    file = Path(path)
    if file.suffix not in (".h5", ".hdf5"):
        raise ArtifactError(f"export_h5 writes .h5 files, got {file.name}")
    file.parent.mkdir(parents=True, exist_ok=True)
    model.save(file)
    return file


def _check(condition: bool, folder: Path, what: str) -> None:
    if not condition:
        raise ArtifactError(f"{folder / CONFIG_FILE}: {what}; restore it or re-train and save")


def load_forecaster(path: str | os.PathLike) -> Forecaster:
    """Rebuild a fitted `Forecaster` from a folder written by `save_forecaster`.

    Raises:
        ArtifactError: for a missing folder or file, a corrupt model, a hand-edited or
            inconsistent forecaster.json, or an artifact from an incompatible version.
    """
    import pandas as pd

    from forecast.forecaster import Forecaster
    from forecast.scaling import SeriesScaler

    folder = Path(path)
    _recover(folder)
    if not folder.is_dir():
        raise ArtifactError(
            f"no saved forecaster at {folder}; check the path (train one with `forecast train`)"
        )
    config = _read_config(folder)
    try:
        settings = dict(config["settings"])
        f = Forecaster(**settings)
        f.columns_ = [str(c) for c in config["columns"]]
        f.n_targets_ = int(config["n_targets"])
        f.freq_ = config["freq"]
        f.season_ = int(config["season"])
        f.scaler_ = SeriesScaler.from_dict(config["scaler"])
        f.mase_scale_ = np.array([np.nan if v is None else float(v) for v in config["mase_scale"]])
        f.last_timestamps_ = dict(config.get("last_timestamps", {}))
    except (TypeError, ValueError, KeyError, ForecastError) as exc:
        raise ArtifactError(
            f"{folder / CONFIG_FILE} has an invalid value ({exc}); restore it or re-train"
        ) from exc
    _check(
        0 < f.n_targets_ <= len(f.columns_),
        folder,
        f"n_targets {f.n_targets_} does not fit columns {f.columns_}",
    )
    _check(f.scaler_.columns_ == f.columns_, folder, "scaler columns differ from columns")
    _check(len(f.mase_scale_) == f.n_targets_, folder, "mase_scale length differs from n_targets")
    window = config.get("window", {"lookback": f.lookback, "horizon": f.horizon})
    _check(
        window == {"lookback": f.lookback, "horizon": f.horizon}, folder,
        f"window {window} differs from settings lookback={f.lookback}, horizon={f.horizon}",
    )  # fmt: skip
    model = load_model_file(folder / MODEL_FILE)
    in_shape, out_shape = tuple(model.input_shape), tuple(model.output_shape)
    expected_in = (None, f.lookback, len(f.columns_))
    expected_out = (None, f.horizon, f.n_targets_)
    _check(
        in_shape == expected_in and out_shape == expected_out, folder,
        f"lookback/horizon/columns say input {expected_in} and output {expected_out}, but "
        f"{MODEL_FILE} has {in_shape} -> {out_shape}",
    )  # fmt: skip
    f.model_ = model
    f.linear_ = _read_linear(folder, f)
    history_path = folder / HISTORY_FILE
    f.history_ = {}
    if history_path.is_file():
        try:
            table = pd.read_csv(history_path)
            f.history_ = {c: table[c].astype(float).tolist() for c in table.columns if c != "epoch"}
        except (ValueError, pd.errors.ParserError) as exc:
            raise ArtifactError(
                f"{history_path} is corrupt ({exc}); delete it or re-train"
            ) from exc
    return f


def _read_linear(folder: Path, f: Forecaster) -> Any:
    """The saved linear baseline, or None for artifacts saved without one."""
    from forecast.linear import LinearBaseline

    path = folder / LINEAR_FILE
    if not path.is_file():
        return None
    try:
        linear = LinearBaseline.load(path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ArtifactError(
            f"{path} is corrupt ({exc}); delete it (reports then leave the linear baseline "
            "out) or re-train"
        ) from exc
    shape = (f.n_targets_, f.lookback, f.horizon)
    _check(
        linear.coef.shape == shape, folder,
        f"{LINEAR_FILE} holds coefficients {linear.coef.shape}, expected {shape}",
    )  # fmt: skip
    return linear


def read_metrics(path: str | os.PathLike) -> dict[str, Any]:
    """The `metrics.json` of a saved forecaster folder (empty when absent)."""
    file = Path(path) / METRICS_FILE
    if not file.is_file():
        return {}
    try:
        return json.loads(file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{file} is not valid JSON ({exc}); delete it or re-evaluate") from exc
