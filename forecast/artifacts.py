"""Saved forecasters: a folder of plain files, written atomically, loaded safely.

Layout of a saved forecaster folder:

    model.keras        the Keras model (native format; loaded with safe_mode=True)
    forecaster.json    settings, window config, scaler parameters, columns, frequency,
                       last timestamps, package / Keras / backend versions
    history.csv        training history, one row per epoch
    metrics.json       the last evaluation (and anything the caller adds)
    linear_baseline.npz  the linear baseline fitted with the model (`forecast.linear`; NumPy
                       arrays, loaded without pickle); absent when it could not be fitted
    intervals.npz      the conformal calibration (`forecast.intervals.Calibration`: validation
                       errors per method, series scales; forecaster.json describes it);
                       absent without one

No pickle anywhere. This module owns the files only: `save_folder` writes what the
`Forecaster` hands it (its `get_config()`, model, history, linear baseline, metrics) into
`.saving/` inside the folder and commits them in one step (`forecast.files`), so a crash
mid-save leaves the previous artifact intact and a re-save keeps the files it did not
write; the readers check each file and raise `ArtifactError` naming it. The meaning of the
config (the state schema) belongs to `Forecaster.get_config` / `from_config`.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast import files
from forecast._version import __version__
from forecast.backends import start_backend
from forecast.errors import ArtifactError
from forecast.intervals import Calibration
from forecast.linear import LinearBaseline

if TYPE_CHECKING:
    import keras


def write_history_csv(path: Path, history: Mapping[str, list[float]]) -> None:
    """`forecast.training.write_history_csv`, imported when a folder is saved: `training`
    imports Keras, and reading a run folder's files (`read_config`) must not."""
    from forecast import training

    training.write_history_csv(path, history)


FORMAT_VERSION = 1
MODEL_FILE = "model.keras"
CONFIG_FILE = "forecaster.json"
HISTORY_FILE = "history.csv"
LINEAR_FILE = "linear_baseline.npz"
METRICS_FILE = "metrics.json"
CALIBRATION_FILE = "intervals.npz"
PLOT_FILES = ("forecast.png", "history.png", "attention.png")  # written by forecast.runs
SERIES_METRICS = "series_metrics.csv"  # sMAPE, MASE, OWA per series and method (forecast.runs)
SERIES_PLOTS = ("forecast_", ".png")  # forecast_<id>.png, one per plotted series (forecast.runs)
# Every file the toolkit writes in a saved folder: a re-save replaces or removes these, and
# only these (forecast.files.commit_files); anything else in the folder is the user's.
OWNED_FILES = (
    *(MODEL_FILE, CONFIG_FILE, HISTORY_FILE, LINEAR_FILE, METRICS_FILE, CALIBRATION_FILE),
    *(*PLOT_FILES, SERIES_METRICS),
)


def _versions() -> dict[str, str]:
    import keras

    return {"forecast": __version__, "keras": keras.__version__, "backend": keras.backend.backend()}


def save_folder(
    path: str | os.PathLike,
    *,
    model: keras.Model,
    config: Mapping[str, Any],
    history: Mapping[str, list[float]],
    linear: LinearBaseline | None = None,
    metrics: Mapping[str, Any] | None = None,
    calibration: Calibration | None = None,
) -> Path:
    """Write a saved-forecaster folder at `path`, replacing a previous save atomically.

    The files are written into `path/.saving/` and moved into place as one commit
    (`forecast.files.commit_files`): killed at any point, the folder holds either the
    previous save or this one, complete, once the next command has looked at it. Only the
    toolkit's own files (`OWNED_FILES`) are replaced or removed: plots of the previous model
    go, anything else in the folder (your notes, predictions, analyses) stays. The folder is
    locked while it is written (`forecast.files.FolderLock`).

    Args:
        model: written as `model.keras`.
        config: a `Forecaster.get_config()`; written as `forecaster.json` with the format and
            package versions added.
        history: written as `history.csv`.
        linear: written as `linear_baseline.npz` (left out when None).
        metrics: written as `metrics.json`; None keeps the folder's previous metrics.
        calibration: its arrays written as `intervals.npz` (left out when None).

    Returns:
        The folder path.
    """
    target = Path(path)
    with files.staged_commit(target, OWNED_FILES, what="saved forecaster") as tmp:
        model.save(tmp / MODEL_FILE)
        full = {"format_version": FORMAT_VERSION, "versions": _versions(), **config}
        (tmp / CONFIG_FILE).write_text(files.json_text(full) + "\n")
        write_history_csv(tmp / HISTORY_FILE, history)
        if linear is not None:
            linear.save(tmp / LINEAR_FILE)
        if calibration is not None:
            np.savez(tmp / CALIBRATION_FILE, **calibration.to_arrays()[0])
        old_metrics = target / METRICS_FILE
        if metrics is None and old_metrics.exists():
            shutil.copy2(old_metrics, tmp / METRICS_FILE)
        else:
            (tmp / METRICS_FILE).write_text(files.json_text(dict(metrics or {})) + "\n")
    return target


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """The `forecaster.json` of a saved folder, checked for format and Keras versions (a save
    interrupted between its two renames is recovered first).

    Raises:
        ArtifactError: for a missing folder or file, invalid JSON, or an incompatible version.
    """
    folder = Path(path)
    files.recover_folder(folder)
    if not folder.is_dir():
        raise ArtifactError(
            f"no saved forecaster at {folder}; check the path (train one with `forecast train`)"
        )
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
    if not isinstance(config, Mapping):
        raise ArtifactError(f"{path} does not hold a JSON object; restore it or re-train and save")
    if "format_version" not in config:
        raise ArtifactError(f"{path} lacks format_version; restore it or re-train and save")
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


def read_model(folder: str | os.PathLike, input_shape: tuple, output_shape: tuple) -> keras.Model:
    """The folder's `model.keras` (safe mode), which must map `input_shape` to `output_shape`.

    Raises:
        ArtifactError: for a missing or corrupt file, or other shapes than forecaster.json says.
    """
    folder = Path(folder)
    start_backend()  # its device discovery messages hidden, as the command line does
    model = load_model_file(folder / MODEL_FILE)
    got = (tuple(model.input_shape), tuple(model.output_shape))
    if got != (input_shape, output_shape):
        raise ArtifactError(
            f"{folder / CONFIG_FILE}: lookback/horizon/columns say input {input_shape} and "
            f"output {output_shape}, but {MODEL_FILE} has {got[0]} -> {got[1]}; restore it or "
            "re-train and save"
        )
    return model


def read_linear(folder: str | os.PathLike, shape: tuple[int, int, int]) -> LinearBaseline | None:
    """The saved linear baseline, its coefficients `shape` (n_targets, lookback, horizon), or
    None for folders saved without one.

    Raises:
        ArtifactError: for a corrupt file or coefficients of another shape.
    """
    path = Path(folder) / LINEAR_FILE
    if not path.is_file():
        return None
    try:
        linear = LinearBaseline.load(path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ArtifactError(
            f"{path} is corrupt ({exc}); delete it (reports then leave the linear baseline "
            "out) or re-train"
        ) from exc
    if linear.coef_.shape != shape:
        raise ArtifactError(
            f"{Path(folder) / CONFIG_FILE}: {LINEAR_FILE} holds coefficients "
            f"{linear.coef_.shape}, expected {shape}; restore it or re-train and save"
        )
    return linear


def read_calibration(
    folder: str | os.PathLike, info: Mapping[str, Any] | None, shape: tuple[int, int]
) -> Calibration | None:
    """The saved conformal calibration that forecaster.json's `info` describes, its scores
    `(n, *shape)` (horizon, n_targets); None when `info` is None (saved without one).

    Raises:
        ArtifactError: for a missing or corrupt file or scores of another shape.
    """
    if info is None:
        return None
    path = Path(folder) / CALIBRATION_FILE
    try:
        with np.load(path, allow_pickle=False) as arrays:
            calibration = Calibration.from_arrays(dict(arrays), info)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise ArtifactError(
            f"{path} is missing or corrupt ({exc}); restore it or re-train and save"
        ) from exc
    got = {v.shape[1:] for v in calibration.scores.values()}
    if got != {tuple(shape)}:
        raise ArtifactError(
            f"{path} holds scores {sorted(got)}, expected (n, {shape[0]}, {shape[1]}); restore "
            "it or re-train and save"
        )
    return calibration


def read_history(folder: str | os.PathLike) -> dict[str, list[float]]:
    """The saved training history, metric -> per-epoch values (empty when absent).

    Raises:
        ArtifactError: for a corrupt file.
    """
    import pandas as pd

    path = Path(folder) / HISTORY_FILE
    if not path.is_file():
        return {}
    try:
        table = pd.read_csv(path, float_precision="round_trip")  # the exact losses
        return {c: table[c].astype(float).tolist() for c in table.columns if c != "epoch"}
    except (ValueError, pd.errors.ParserError) as exc:
        raise ArtifactError(f"{path} is corrupt ({exc}); delete it or re-train") from exc


def read_metrics(path: str | os.PathLike) -> dict[str, Any]:
    """The `metrics.json` of a saved forecaster folder (empty when absent)."""
    file = Path(path) / METRICS_FILE
    if not file.is_file():
        return {}
    try:
        return json.loads(file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{file} is not valid JSON ({exc}); delete it or re-evaluate") from exc
