"""Data-parallel training (`Forecaster(distribution="data_parallel")`, `forecast.backends.
distribution_scope`): two devices give the loss of one with the same global batch.

Each backend runs in a fresh subprocess that splits the CPU into 2 logical devices before the
backend starts (TensorFlow: `tf.config.set_logical_device_configuration`; JAX:
`XLA_FLAGS=--xla_force_host_platform_device_count=2`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from forecast.backends import check_distribution
from forecast.errors import ConfigError
from forecast.forecaster import Forecaster

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, os, sys
import numpy as np, pandas as pd
from forecast.backends import lean_keras_import
lean_keras_import()  # no scikit-learn, matplotlib (unused here): ~1 s less
import keras
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
from forecast import Forecaster
from forecast.backends import parallel_devices

# 275 training rows: 256 windows of 16 + 4 steps; 67 validation rows: 64 windows. Every batch
# of 32 splits evenly in 2, so the two-device mean over halves is the one-device mean.
t = np.arange(342)
noise = np.random.default_rng(0).normal(0, 0.1, 342)
stamps = pd.date_range("2020", periods=342, freq="h")
frame = pd.DataFrame({"y": np.sin(t / 6) + noise}, index=stamps)
losses = {}
for distribution in (None, "data_parallel"):
    f = Forecaster(lookback=16, horizon=4, epochs=3, patience=None, batch_size=32,
                   model_options={"units": 8, "dropout": 0.0}, ridge_skip=False, seed=0,
                   verbose=2 if distribution else 0, distribution=distribution)
    f.fit(frame, val=67)
    losses[str(distribution)] = f.history_["val_loss"]
print(json.dumps({"devices": parallel_devices(), "losses": losses}))
"""


def run_two_devices(backend: str) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if backend == "jax":
        env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "printed": done.stdout}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_two_devices_give_the_validation_loss_of_one(backend: str) -> None:
    found = run_two_devices(backend)
    assert len(found["devices"]) == 2, found["devices"]
    said = [line for line in found["printed"].splitlines() if line.startswith("data-parallel")]
    assert len(said) == 1 and said[0].startswith(
        "data-parallel training on 2 devices in 1 worker process: "
    ), said
    one, two = found["losses"]["None"], found["losses"]["data_parallel"]
    assert len(one) == len(two) == 3
    for a, b in zip(one, two, strict=True):
        assert abs(a - b) <= 1e-4 * abs(a), (one, two)


def test_an_unknown_distribution_is_refused_before_training() -> None:
    assert check_distribution(None) == "none"
    assert check_distribution("Data_Parallel") == "data_parallel"
    with pytest.raises(ConfigError, match="distribution") as caught:
        Forecaster(distribution="model_parallel").check_settings()
    assert caught.value.setting == "distribution"


def test_one_device_is_refused_before_training_and_the_cli_says_so(tmp_path) -> None:
    # this process sees one CPU device (no logical split): data-parallel training would be
    # one device's training with the strategy's overhead (2x slower once, said nowhere)
    import numpy as np
    import pandas as pd
    from cli_helpers import invoke, one_error

    from forecast.backends import parallel_devices, parallel_plan

    assert len(parallel_devices()) == 1
    stamps = pd.date_range("2024-01-01", periods=60, freq="h")
    frame = pd.DataFrame({"y": np.sin(np.arange(60) / 4)}, index=stamps)
    forecaster = Forecaster(
        lookback=8, horizon=2, epochs=1, verbose=0, distribution="data_parallel"
    )
    with pytest.raises(ConfigError, match=r"found one device \(CPU:0\) in 1 worker process"):
        forecaster.fit(frame)
    assert not forecaster.is_fitted
    two = parallel_plan(["/job:localhost/device:CPU:0", "/device:CPU:1"], 2)
    assert two == "data-parallel training on 2 devices in 2 worker processes: CPU:0, CPU:1"
    frame.rename_axis("time").to_csv(tmp_path / "y.csv")
    result = invoke("train", tmp_path / "y.csv", "--horizon", 2, "--lookback", 8, "--epochs", 1,
                    "--data-parallel", "--out", tmp_path / "run")  # fmt: skip
    one_error(result, "one device", "--data-parallel")
    assert not (tmp_path / "run" / "forecaster.json").exists()
