"""forecast/backends.py: the Keras backend (`use_backend`, the CLI's `--backend`), the device,
the start-up logs and the environment report."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import pytest

from forecast import backends
from forecast.backends import cpu_speed_hint, select_device, use_backend
from forecast.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
OTHER = "jax" if keras.backend.backend() != "jax" else "tensorflow"


def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(ConfigError, match="choose one of: tensorflow, jax, torch"):
        use_backend("theano")


def test_the_running_backend_is_accepted_and_another_one_is_too_late():
    assert use_backend(keras.backend.backend().upper()) == keras.backend.backend()
    with pytest.raises(ConfigError, match="came too late: Keras already runs on"):
        use_backend(OTHER)


def test_a_backend_that_is_not_installed_says_how_to_install_it(monkeypatch):
    monkeypatch.delitem(sys.modules, "keras")  # as in a process that has not started Keras
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    before = os.environ.get("KERAS_BACKEND")
    with pytest.raises(ConfigError, match=r'not installed; pip install -e "\.\[jax\]"'):
        use_backend("jax")
    assert os.environ.get("KERAS_BACKEND") == before


def test_use_backend_sets_keras_backend_before_keras_starts(monkeypatch):
    monkeypatch.delitem(sys.modules, "keras")
    monkeypatch.setenv("KERAS_BACKEND", "torch")  # what the user had; the choice wins
    assert use_backend("tensorflow") == "tensorflow"
    assert os.environ["KERAS_BACKEND"] == "tensorflow"


def test_cli_backend_error_is_one_line():
    from typer.testing import CliRunner

    from forecast.cli import app

    result = CliRunner().invoke(app, ["--backend", "theano", "info"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines == ["error: unknown backend 'theano'; choose one of: tensorflow, jax, torch"]


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
@pytest.mark.slow
def test_cli_backend_option_runs_the_command_on_jax():
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env["JAX_PLATFORMS"] = "cpu"
    done = subprocess.run(
        [sys.executable, "-m", "forecast.cli", "--backend", "jax", "info", "--json"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["backend"] == "jax"
    assert info["speed_hint"] is None  # already on the faster CPU backend


# ---------------------------------------------------------------------- device
def _fresh_process(code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip


@pytest.mark.slow
def test_a_gpu_that_is_not_there_is_refused_not_replaced_by_the_cpu():
    proc = _fresh_process(
        """
        from forecast.backends import select_device
        from forecast.errors import ConfigError
        try:
            select_device("gpu:7")
        except ConfigError as exc:
            print(exc.setting, "|", exc)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("device | device='gpu:7': tensorflow sees no GPU with ")
    assert "CUDA_VISIBLE_DEVICES=7 (GPU 7 is not there)" in proc.stdout


@pytest.mark.slow
def test_select_cpu_hides_gpus_in_a_fresh_process():
    code = textwrap.dedent(
        """
        import os
        from forecast.backends import lean_keras_import, select_device
        lean_keras_import()  # no scikit-learn, matplotlib, JAX (unused here): ~1 s less
        first = select_device("auto")           # before the backend starts: any choice works
        chosen = select_device("cpu")
        import keras
        keras.ops.convert_to_tensor([1.0]) + 1  # the backend starts here
        print(first, chosen, os.environ["CUDA_VISIBLE_DEVICES"], select_device("cpu"))
        import tensorflow as tf
        print("gpus", len(tf.config.list_physical_devices("GPU")))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["None -1 -1 -1", "gpus 0"]


def test_select_device_after_the_backend_started_is_too_late(monkeypatch):
    keras.ops.convert_to_tensor([1.0]) + 1  # make sure the backend runs in this process
    assert backends.backend_started()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert select_device("cpu") == "-1"  # what is already set stays allowed
    assert select_device("auto") == "-1"
    with pytest.raises(ConfigError, match="too late"):
        select_device("gpu:0")
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "-1"


@pytest.mark.parametrize("bad", ["tpu", "gpu:", "gpu:x", "gpu:-1", "", "cuda", None])
def test_select_device_rejects_unknown_devices(bad):
    with pytest.raises(ConfigError, match=r"device must be 'auto', 'cpu', 'gpu' or 'gpu:N', got"):
        select_device(bad)


@pytest.mark.parametrize(
    ("device", "visible"), [("auto", None), ("CPU", "-1"), ("gpu", "0"), (" gpu:3 ", "3")]
)
def test_parse_device_gives_the_cuda_visible_devices_value(device, visible):
    assert backends.parse_device(device) == visible


# ---------------------------------------------------------------------- environment
def test_cpu_speed_hint_points_to_jax_only_on_tensorflow_without_gpu() -> None:
    assert cpu_speed_hint("tensorflow", [], jax_installed=True).startswith("forecast --backend jax")
    assert cpu_speed_hint("tensorflow", [], jax_installed=False).startswith("pip install")
    assert cpu_speed_hint("tensorflow", ["/physical_device:GPU:0"], jax_installed=True) is None
    assert cpu_speed_hint("jax", [], jax_installed=True) is None


def test_environment_adds_the_cudnn_entries_only_when_given_the_problems() -> None:
    from forecast import models

    process = backends.environment()
    assert process["backend"] == keras.backend.backend()
    assert "cudnn_problems" not in process
    full = models.environment()
    assert list(full) == [
        "forecast", "python", "keras", "backend", "tensorflow", "jax", "torch",
        "CUDA_VISIBLE_DEVICES", "gpus", "default_model_cudnn_eligible", "cudnn_problems",
        "uses_cudnn", "speed_hint",
    ]  # fmt: skip
    assert full["default_model_cudnn_eligible"] is True and full["cudnn_problems"] == []
    assert backends.environment(["a problem"])["uses_cudnn"] is False


def test_training_starts_the_backend_on_the_device_backends_selects() -> None:
    from forecast import models, training

    assert training.select_device is backends.select_device
    assert models.environment()["backend"] == keras.backend.backend()


def test_backends_imports_nothing_heavy() -> None:
    """It is imported before Keras starts (the CLI's --backend and --device)."""
    heavy = {"keras", "tensorflow", "jax", "torch", "numpy", "pandas"}
    code = f"import sys, forecast.backends; print(sorted({heavy!r} & set(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
