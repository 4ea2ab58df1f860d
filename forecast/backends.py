"""The process: Keras backend, devices, start-up logs and the environment report.

Keras picks its backend once, when it is first imported, from `KERAS_BACKEND`, and the backend
claims its devices (`CUDA_VISIBLE_DEVICES`) when it starts. This module imports nothing heavy
at module level, so the CLI's `--backend` / `--device` (and a script's first lines) can set
them in time. It owns:

- the backend: `use_backend`, `start_backend`, `backend_started`;
- the device: `DEVICES`, `parse_device`, `select_device`;
- data-parallel training on every visible device: `DISTRIBUTIONS`, `check_distribution`,
  `parallel_devices`, `parallel_workers`, `parallel_plan` (the devices and workers it uses,
  said in one line; one device refused), `distribution_scope` (TensorFlow's
  `MirroredStrategy`, Keras's JAX `DataParallel`);
- TensorFlow's start-up chatter: `quiet_backend_logs` (shown again by `set_debug(True)`);
- the environment report: `package_version`, `visible_gpus`, `cpu_speed_hint`, `environment`
  (`forecast.models.environment` adds whether the default LSTM runs on cuDNN).

On a CPU-only machine JAX trains the LSTMs faster than TensorFlow
(`benchmarks/results/train_speed/train_speed.md`, section e); with a GPU TensorFlow runs them on
cuDNN.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.abc
import importlib.util
import logging
import os
import platform
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from forecast._version import __version__
from forecast.errors import ConfigError, check_choice
from forecast.settings import choices

BACKENDS = ("tensorflow", "jax", "torch")
_INSTALL = {
    "tensorflow": "pip install tensorflow",
    "jax": 'pip install -e ".[jax]"',
    "torch": "pip install torch",
}


def use_backend(name: str) -> str:
    """Run Keras on backend `name` in this process (sets `KERAS_BACKEND`).

    Call it before anything imports Keras. Asking for the backend Keras already runs on is
    allowed and does nothing.

    Returns:
        The backend name.

    Raises:
        ConfigError: for an unknown name, a backend that is not installed, or when Keras has
            already started on another backend in this process.
    """
    name = str(name).strip().lower()
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    keras = sys.modules.get("keras")
    if keras is not None:
        current = keras.backend.backend()
        if current != name:
            raise ConfigError(
                f"backend {name!r} came too late: Keras already runs on {current} in this "
                f"process; choose the backend before importing keras (or set "
                f"KERAS_BACKEND={name} in the environment)"
            )
        return name
    if importlib.util.find_spec(name) is None:
        raise ConfigError(
            f"the {name} backend is not installed; {_INSTALL[name]} (or choose tensorflow)"
        )
    os.environ["KERAS_BACKEND"] = name
    return name


# ---------------------------------------------------------------------- debug and logs
_debug = False  # set by --debug: show the backend's stderr chatter and full tracebacks


def set_debug(enabled: bool) -> None:
    """Show (True) or hide (False, the default) the backend's start-up chatter on stderr; the
    CLI's `--debug` also lets errors through with their traceback."""
    global _debug
    _debug = bool(enabled)


def debug_enabled() -> bool:
    """Whether `set_debug(True)` is in force."""
    return _debug


@contextlib.contextmanager
def _stderr_hidden() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null: C++ libraries write there, not to sys.stderr."""
    if _debug:
        yield
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _ImportHook(importlib.abc.MetaPathFinder):
    """Runs the import of module `name` (once: the hook removes itself) inside `around`, a
    context manager of the subclass."""

    name = ""

    def around(self) -> contextlib.AbstractContextManager:
        raise NotImplementedError

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            run = spec.loader.exec_module

            def exec_module(module: Any) -> None:
                with self.around():
                    run(module)

            spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


class _QuietTensorFlowImport(_ImportHook):
    """Hides what TensorFlow's C++ libraries print while `tensorflow` is imported, before
    its logging is set up (absl's "All log messages before absl::InitializeLog()...", the
    oneDNN and CUDA-stub notices), which TF_CPP_MIN_LOG_LEVEL does not reach."""

    name = "tensorflow"

    def around(self) -> contextlib.AbstractContextManager:
        return _stderr_hidden()


_own_level: str | None = None  # the TF_CPP_MIN_LOG_LEVEL set here (not the user's)


def quiet_backend_logs(level: str = "2", python_loggers: bool = True) -> None:
    """Silence TensorFlow's start-up chatter; call before TensorFlow is imported.

    Sets TF_CPP_MIN_LOG_LEVEL to `level` (the command line's "2": errors only; `import
    forecast` sets "1": warnings and errors, only the info lines go) unless the user set it,
    and hides what TensorFlow's libraries print during the import itself (not with
    `set_debug(True)`). `python_loggers` also lowers absl's and TensorFlow's Python loggers
    to errors (the command line; a Python user keeps their warnings).
    """
    global _own_level
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") in (None, _own_level):
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = _own_level = level
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    hooked = any(isinstance(f, _QuietTensorFlowImport) for f in sys.meta_path)
    if not _debug and not hooked and "tensorflow" not in sys.modules:
        sys.meta_path.insert(0, _QuietTensorFlowImport())
    if not _debug and python_loggers:  # absl's and TF's (e.g. retracing, expected in backtests)
        for name in ("absl", "tensorflow"):
            logging.getLogger(name).setLevel(logging.ERROR)


KERAS_EXTRAS = ("sklearn", "matplotlib")
"""What Keras imports for the parts of its API this toolkit never calls: scikit-learn for
`keras.wrappers` (about 0.6 s of CPU) and matplotlib for `keras.visualization` (about 0.5 s);
both are optional to Keras (`try: import ... except ImportError`). On the TensorFlow backend
JAX too (0.4 s): TensorFlow imports it for TensorFlow Lite only, as optional."""


class _LeanKerasImport(_ImportHook):
    """While `keras` itself is imported, `KERAS_EXTRAS` look not installed, so Keras leaves
    out the wrappers that need them. Only that import: the packages load as usual afterwards
    (the plots import matplotlib; `SeriesScaler.fit` imports scikit-learn)."""

    name = "keras"

    @contextlib.contextmanager
    def around(self) -> Iterator[None]:
        blocker = _Missing()
        sys.meta_path.insert(0, blocker)
        try:
            yield
        finally:
            sys.meta_path.remove(blocker)


class _Missing(importlib.abc.MetaPathFinder):
    """Answers "not installed" for `KERAS_EXTRAS` (and their submodules), and for JAX when
    Keras runs on TensorFlow."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        top = name.partition(".")[0]
        if top in KERAS_EXTRAS or (top == "jax" and _keras_backend() == "tensorflow"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def _keras_backend() -> str | None:
    """The backend a Keras being imported has chosen (None before it has)."""
    config = sys.modules.get("keras.src.backend.config")
    choose = getattr(config, "backend", None)
    return choose() if callable(choose) else None


def lean_keras_import() -> None:
    """Import Keras without `KERAS_EXTRAS` in this process (the command line's: a `forecast
    predict` of a saved run spends most of its time importing Keras). Does nothing once
    Keras is imported or when the packages already are."""
    hooked = any(isinstance(f, _LeanKerasImport) for f in sys.meta_path)
    if not hooked and "keras" not in sys.modules:
        sys.meta_path.insert(0, _LeanKerasImport())


def start_backend() -> None:
    """Start the Keras backend now, hiding its device-discovery messages (on a machine
    without a GPU driver TensorFlow logs "failed call to cuInit" as an error). Call after
    `select_device`; `environment()` still reports the GPUs found."""
    import keras

    with _stderr_hidden():
        keras.ops.convert_to_tensor(0.0)


def backend_started() -> bool:
    """Whether the backend has already claimed its devices in this process."""
    if "tensorflow" in sys.modules:
        try:
            from tensorflow.python.eager import context

            if context.context()._context_handle is not None:
                return True
        except Exception:  # pragma: no cover - private API moved
            return False
    jax_bridge = sys.modules.get("jax._src.xla_bridge")
    if jax_bridge is not None and getattr(jax_bridge, "_backends", None):
        return True
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        return True
    return False


# ---------------------------------------------------------------------- device
DEVICES = choices("device")  # the device values (`forecast.settings`); N is a GPU number


def parse_device(device: str) -> str | None:
    """The `CUDA_VISIBLE_DEVICES` value a device asks for: None for "auto" (leave as is),
    "-1" for "cpu", "0" for "gpu", "N" for "gpu:N".

    Raises:
        ConfigError: for anything not in `DEVICES`.
    """
    text = str(device).strip().lower()
    if text == "auto":
        return None
    if text == "cpu":
        return "-1"
    if text == "gpu":
        return "0"
    if text.startswith("gpu:") and text[4:].isdigit():
        return text[4:]
    choices = ", ".join(repr(d) for d in DEVICES[:-1]) + f" or {DEVICES[-1]!r}"
    raise ConfigError(f"device must be {choices}, got {device!r}")


def select_device(device: str = "auto") -> str | None:
    """Choose the device for this process through `CUDA_VISIBLE_DEVICES`.

    Args:
        device: "auto" (leave as is: the GPU when present, else the CPU), "cpu" (hide every
            GPU), "gpu" (GPU 0 only) or "gpu:N" (GPU N only); see `DEVICES`.

    Returns:
        The value now in `CUDA_VISIBLE_DEVICES` (None for "auto" when unset).

    Raises:
        ConfigError: for an unknown device string, a GPU that is not there (instead of a
            silent fall-back to the CPU; this starts the backend), or when the backend has
            already started in this process with other devices visible (the setting would
            silently do nothing).
    """
    wanted = parse_device(device)
    if wanted is None:
        return os.environ.get("CUDA_VISIBLE_DEVICES")
    if os.environ.get("CUDA_VISIBLE_DEVICES") == wanted:
        return _require_gpu(device, wanted)
    if backend_started():
        raise ConfigError(
            f"device={device!r} came too late: the Keras backend has already started in this "
            "process; set the device before training anything (or start a new process, or set "
            f"CUDA_VISIBLE_DEVICES={wanted} in the environment)"
        )
    os.environ["CUDA_VISIBLE_DEVICES"] = wanted
    return _require_gpu(device, wanted)


def _require_gpu(device: str, wanted: str) -> str:
    """`wanted` after checking that a GPU asked for is visible to the backend (starts it)."""
    if wanted == "-1":
        return wanted
    import keras

    start_backend()
    backend = keras.backend.backend()
    if not visible_gpus(backend):
        raise ConfigError(
            f"device={device!r}: {backend} sees no GPU with CUDA_VISIBLE_DEVICES={wanted} (GPU "
            f"{wanted} is not there); `forecast info` lists the GPUs, or use device='cpu' or "
            "'auto'",
            setting="device",
        )
    return wanted


# ---------------------------------------------------------------------- data parallel
DISTRIBUTIONS = choices("distribution")  # None means "none": one device
_distribution = contextvars.ContextVar("distribution", default="none")


def check_distribution(distribution: str | None) -> str:
    """`distribution` lower-cased ("none" for None); raises ConfigError for anything not in
    `DISTRIBUTIONS`."""
    return check_choice("distribution", "none" if distribution is None else distribution,
                        DISTRIBUTIONS)  # fmt: skip


def parallel_devices() -> list[str]:
    """The devices data-parallel training uses: every visible GPU, else every logical CPU
    device (one, unless split with `tf.config.set_logical_device_configuration` or JAX's
    `XLA_FLAGS=--xla_force_host_platform_device_count=N`). Starts the backend."""
    import keras

    if keras.backend.backend() == "jax":
        return keras.distribution.list_devices()  # the GPUs (or TPUs), else the CPUs
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        found = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return [d.name for d in found]
    return []


def parallel_workers() -> int:
    """The worker processes of a data-parallel job: JAX's process count (several after
    `keras.distribution.initialize`), else 1."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return jax.process_count()
    return 1


def parallel_plan(devices: Sequence[Any], workers: int) -> str:
    """The line that says what data-parallel training uses, e.g. "data-parallel training on
    2 devices in 1 worker process: CPU:0, CPU:1".

    Raises:
        ConfigError: for one device: the training would be one device's, only slower (each
            step pays the strategy's overhead), so it is refused rather than run quietly.
    """
    names = [str(d).rsplit("device:", 1)[-1] for d in devices]
    if len(names) < 2:
        raise ConfigError(
            f"data-parallel training found one device ({', '.join(names) or 'none'}) in "
            f"{workers} worker process: it would train as without it, only slower; leave out "
            "--data-parallel, or give it several devices (GPUs; on a CPU, logical devices: "
            "JAX's XLA_FLAGS=--xla_force_host_platform_device_count=N)",
            setting="distribution",
        )
    plural = "process" if workers == 1 else "processes"
    return f"data-parallel training on {len(names)} devices in {workers} worker {plural}: " + (
        ", ".join(names)
    )


@contextlib.contextmanager
def distribution_scope(distribution: str | None) -> Iterator[None]:
    """Build, compile and fit models inside this block to train them data-parallel.

    With "data_parallel" each global batch `(batch, lookback, features)` is split into equal
    parts, one per device of `parallel_devices()`; each device computes the gradients of its
    part and they are averaged (all-reduce), so the update equals one device's on the whole
    batch. TensorFlow: `tf.distribute.MirroredStrategy`; JAX:
    `keras.distribution.DataParallel` (the batch must divide by the device count). With
    "none" (or None) nothing changes.

    Raises:
        ConfigError: for an unknown value, or on a backend without a data-parallel path.
    """
    if check_distribution(distribution) == "none":
        yield
        return
    import keras

    token = _distribution.set("data_parallel")
    try:
        with _strategy_scope(keras.backend.backend()):
            yield
    finally:
        _distribution.reset(token)


def active_distribution() -> str:
    """The distribution in force: "data_parallel" inside a `distribution_scope` or inside a
    TensorFlow strategy's own scope (a script's own `with strategy.scope():`),
    else "none"."""
    if _distribution.get() != "none":
        return _distribution.get()
    tf = sys.modules.get("tensorflow")
    if tf is not None and tf.distribute.has_strategy():
        return "data_parallel"
    return "none"


@contextlib.contextmanager
def _strategy_scope(backend: str) -> Iterator[None]:
    """The backend's own data-parallel scope over `parallel_devices()`."""
    import keras

    if backend == "tensorflow":
        import tensorflow as tf

        with tf.distribute.MirroredStrategy(devices=parallel_devices()).scope():
            yield
    elif backend == "jax":
        import jax

        alone = jax.process_count() == 1  # else each process feeds its own shard of a batch
        with keras.distribution.DataParallel(
            devices=parallel_devices(), auto_shard_dataset=alone
        ).scope():
            yield
    else:
        raise ConfigError(
            f"distribution='data_parallel' needs the tensorflow or jax backend, not {backend}",
            setting="distribution",
        )


# ---------------------------------------------------------------------- environment
def package_version(package: str) -> str | None:
    """The installed version of `package`, or None where it is not installed."""
    import importlib.metadata

    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def visible_gpus(backend: str) -> list[str]:
    """Names of the GPUs the Keras backend sees (starts the backend)."""
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform == "gpu"]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


# The toolkit on JAX vs a bare model.fit on TensorFlow, CPU
# (benchmarks/results/train_speed/train_speed.md).
JAX_CPU_SPEEDUP = "1.2x"


def cpu_speed_hint(backend: str, gpus: list[str], jax_installed: bool) -> str | None:
    """How to train faster on a CPU-only machine, or None where there is nothing to add.

    On CPU the JAX backend trains the LSTMs faster than TensorFlow (measured by
    `benchmarks/train_speed.py`, section e); with a GPU TensorFlow's cuDNN kernel is the fast
    path, so there is no hint then.
    """
    if backend != "tensorflow" or gpus:
        return None
    how = (
        "forecast --backend jax ..."
        if jax_installed
        else 'pip install -e ".[jax]", then forecast --backend jax ...'
    )
    return (
        f"{how} (or KERAS_BACKEND=jax): LSTM training about {JAX_CPU_SPEEDUP} faster on CPU "
        "(benchmarks/train_speed.py)"
    )


def environment(cudnn_problems: list[str] | None = None) -> dict[str, Any]:
    """Versions, backend, visible GPUs and the CPU speed hint (imports Keras and starts the
    backend).

    Args:
        cudnn_problems: why the default LSTM cannot run on cuDNN (`forecast.models.
            cudnn_eligible` of it; empty: it can). None leaves the three cuDNN entries out;
            `forecast.models.environment()` fills them in.
    """
    import keras

    backend = keras.backend.backend()
    gpus = visible_gpus(backend)
    env: dict[str, Any] = {
        "forecast": __version__,
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": backend,
        "tensorflow": package_version("tensorflow"),
        "jax": package_version("jax"),
        "torch": package_version("torch"),
        "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "gpus": gpus,
    }
    if cudnn_problems is not None:
        env["default_model_cudnn_eligible"] = not cudnn_problems
        env["cudnn_problems"] = list(cudnn_problems)
        env["uses_cudnn"] = not cudnn_problems and bool(gpus)
    env["speed_hint"] = cpu_speed_hint(backend, gpus, package_version("jax") is not None)
    return env
