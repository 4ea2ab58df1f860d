"""Benchmark: training speed through the toolkit versus a bare `model.fit` on NumPy arrays.

Reference setup: ETTh1 `OT` (../shared/datasets/ETTh1.csv), standardized with a `SeriesScaler`
fitted on the first 8640 rows, one-step-ahead windows with lookback 24 over those rows (8616
windows), batches of 100, the model `LSTM(100) -> Dense(1)` (with a Reshape to `(1, 1)` so the
same model fits both paths' target shape), Adam(1e-3), MSE.

- bare: `model.compile("adam", "mse")` (Keras default steps_per_execution=1) and
  `model.fit(X, y, batch_size=100)` on windows materialized into contiguous arrays;
- toolkit: a shuffling `WindowFeeder` (no materialized windows) + `compile_model` + `fit`.

Every case is built and traced once (a one-epoch warm-up fit); then each round runs every case
for `--epochs` epochs, in an order rotated from round to round, and times the epochs with a
callback (wall time and this process's CPU time). These machines are shared, so each
comparison is given three ways (see `compare`): best round vs best round, the median of
same-round ratios, and CPU time per window (blind to other workers).

Sections:
  (a) toolkit with steps_per_execution=1 vs bare (goal >= 0.95: feeding adds nothing visible),
      plus the CPU cost of the data path alone (no model) for both;
  (b) toolkit with its defaults (steps_per_execution=32) vs bare (goal >= 1.2);
  (c) the model builders with their defaults (single, stacked, attention), lookback 24;
  (d) levers: steps_per_execution, XLA (`jit_compile`), `LSTM(unroll=True)`, each checked for
      identical weights after one epoch; in fresh processes: oneDNN off, thread-pool sizes;
  (e) backends, each in fresh processes: the toolkit default and the bare `model.fit` on
      TensorFlow and on JAX (`pip install -e ".[jax]"`; skipped where jax is missing), all
      compared with the bare `model.fit` on TensorFlow.

Run from the repository root:

    python benchmarks/train_speed.py                 # everything, about 15-20 minutes
    python benchmarks/train_speed.py --sections ab   # (a) and (b) only

It prints tables and writes benchmarks/results/train_speed/train_speed.md and .csv.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from common import ROOT, out_stem

OUT = ROOT / out_stem("train_speed")
DATA = Path("../shared/datasets/ETTh1.csv")  # relative to the repository root
TRAIN_ROWS = 8640
LOOKBACK = 24
BATCH = 100
# Measured earlier on this machine (same data and model), for context only.
REFERENCE = {"bare Keras/TF model.fit": 6700, "Darts (PyTorch)": 10500}

# Environment levers, each measured in a fresh process (they act when TensorFlow starts).
ENV_LEVERS: dict[str, dict[str, str]] = {
    "default environment": {},
    "oneDNN off (TF_ENABLE_ONEDNN_OPTS=0)": {"TF_ENABLE_ONEDNN_OPTS": "0"},
    "intra-op 1, inter-op 1 threads": {
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
    },
    "intra-op 2, inter-op 1 threads": {
        "TF_NUM_INTRAOP_THREADS": "2",
        "TF_NUM_INTEROP_THREADS": "1",
    },
}


# Data and cases ------------------------------------------------------------------------------


def load_scaled() -> Any:
    """The first TRAIN_ROWS rows of ETTh1 OT, standardized on themselves, `(rows, 1)` float32."""
    from forecast.scaling import SeriesScaler
    from forecast.series import load_series

    path = DATA if DATA.is_absolute() else ROOT / DATA
    frame = load_series(path, target="OT").iloc[:TRAIN_ROWS]
    return SeriesScaler("standard").fit(frame).transform(frame)


@dataclass
class Case:
    """One way of training: `run(epochs, callbacks)` trains `epochs` more epochs."""

    name: str
    run: Callable[[int, list], Any]
    fresh_weights: Callable[[], list] | None = None  # weights after 1 epoch from a fresh start
    seconds: list[float] = field(default_factory=list)  # per round: wall time of the epochs
    cpu: list[float] = field(default_factory=list)  # per round: CPU time of this process
    losses: list[float] = field(default_factory=list)  # fresh-process cases: last epoch's loss


def _epoch_timer() -> Any:
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []
            self.cpu: list[float] = []

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self._start = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.seconds.append(time.perf_counter() - self._start[0])
            self.cpu.append(time.process_time() - self._start[1])

    return EpochTimer()


def _reference_model(unroll: bool = False) -> Any:
    import keras

    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((LOOKBACK, 1)),
            keras.layers.LSTM(100, unroll=unroll),
            keras.layers.Dense(1),
            keras.layers.Reshape((1, 1)),
        ]
    )


def bare_case(scaled: Any, steps_per_execution: int = 1, name: str | None = None) -> Case:
    """`model.fit(X, y, batch_size=100)` on materialized, contiguous window arrays."""
    import keras
    import numpy as np

    from forecast.windowing import make_windows

    X, y = (np.ascontiguousarray(a) for a in make_windows(scaled, LOOKBACK, 1))
    model = _reference_model()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="mse",
        steps_per_execution=steps_per_execution,
    )

    def run(epochs: int, callbacks: list) -> Any:
        return model.fit(X, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=callbacks)

    return Case(name or f"bare model.fit, spe={steps_per_execution}", run)


def toolkit_case(
    scaled: Any,
    steps_per_execution: int | None = None,
    jit_compile: bool = False,
    builder: str | None = None,
    unroll: bool = False,
    name: str | None = None,
) -> Case:
    """WindowFeeder + compile_model + fit; `builder` picks a forecast.models builder instead."""
    import keras

    from forecast.training import (
        DEFAULT_STEPS_PER_EXECUTION,
        compile_model,
        fit,
        get_loss,
        get_optimizer,
    )
    from forecast.windowing import WindowFeeder

    spe = DEFAULT_STEPS_PER_EXECUTION if steps_per_execution is None else steps_per_execution

    def make() -> tuple[Any, Any]:
        feeder = WindowFeeder(scaled, LOOKBACK, 1, batch_size=BATCH, shuffle=True, seed=0)
        if builder is not None:
            from forecast.models import get_builder

            keras.utils.set_random_seed(0)
            model = get_builder(builder)(lookback=LOOKBACK, n_inputs=1, horizon=1, n_targets=1)
        else:
            model = _reference_model(unroll)
        if jit_compile:
            model.compile(
                optimizer=get_optimizer("adam", 1e-3),
                loss=get_loss("mse"),
                steps_per_execution=spe,
                jit_compile=True,
            )
        elif builder is None or steps_per_execution is not None:
            compile_model(model, steps_per_execution=spe)
        return model, feeder

    model, feeder = make()

    def run(epochs: int, callbacks: list) -> Any:
        return fit(model, feeder, epochs=epochs, patience=None, verbose=0, callbacks=callbacks)

    def fresh_weights() -> list:
        other, other_feeder = make()
        fit(other, other_feeder, epochs=1, patience=None, verbose=0)
        return other.get_weights()

    if builder is not None:
        label = f"{builder} (builder defaults, {model.count_params():,} params)"
    else:
        label = f"toolkit, spe={spe}" + (", jit_compile" if jit_compile else "")
        label += ", LSTM unroll=True" if unroll else ""
    return Case(name or label, run, fresh_weights)


def measure(cases: list[Case], rounds: int, epochs: int, n_windows: int) -> None:
    """Warm every case up (tracing), then time `epochs` epochs per case and round, rotated."""
    for case in cases:
        case.run(1, [])
    for r in range(rounds):
        order = cases[r % len(cases) :] + cases[: r % len(cases)]
        for case in order:
            timer = _epoch_timer()
            case.run(epochs, [timer])
            case.seconds.append(sum(timer.seconds))
            case.cpu.append(sum(timer.cpu))
            print(
                f"  round {r + 1}/{rounds}: {case.name:45s} "
                f"{n_windows * epochs / case.seconds[-1]:8.0f} windows/s, "
                f"{1000 * case.cpu[-1] / (n_windows * epochs) * 1000:6.1f} CPU ms/1000 windows",
                flush=True,
            )


def cpu_cost(case: Case, n_windows: int, epochs: int) -> float:
    """Median CPU milliseconds (all threads of the process) per 1000 windows."""
    return statistics.median(1e6 * c / (n_windows * epochs) for c in case.cpu)


def speeds(case: Case, n_windows: int, epochs: int) -> list[float]:
    """Windows / second of every round."""
    return [n_windows * epochs / s for s in case.seconds]


def compare(case: Case, versus: Case, n_windows: int, epochs: int) -> dict[str, float]:
    """Speed of `case` relative to `versus` (> 1: `case` is faster), three ways.

    - best: best round over best round (noise on a shared machine only ever slows a round, so
      the best rounds are the least disturbed);
    - same_round: median over rounds of the ratio within a round;
    - cpu: CPU time per window of `versus` over that of `case` (insensitive to other workers,
      blind to gains from running threads in parallel).
    """
    a, b = speeds(case, n_windows, epochs), speeds(versus, n_windows, epochs)
    return {
        "best": max(a) / max(b),
        "same_round": statistics.median(x / y for x, y in zip(a, b, strict=True)),
        "cpu": statistics.median(versus.cpu) / statistics.median(case.cpu),
    }


def feeding_cost(scaled: Any, repeats: int = 10) -> dict[str, float]:
    """CPU milliseconds per epoch spent on data alone, without a model (median of `repeats`).

    - `WindowFeeder.__getitem__`: the feeder's own Python work for every batch of an epoch;
    - feeder pipeline: the batches drawn through what Keras builds on TensorFlow for a
      PyDataset (`tf.data.Dataset.from_generator` + prefetch), consumed inside a tf.function
      as `fit` does;
    - array pipeline: the same for Keras's adapter of in-memory arrays (the bare path).
    """
    import numpy as np
    import tensorflow as tf
    from keras.src.trainers.data_adapters import get_data_adapter  # private, benchmark only

    from forecast.windowing import WindowFeeder, make_windows

    X, y = (np.ascontiguousarray(a) for a in make_windows(scaled, LOOKBACK, 1))
    feeder = WindowFeeder(scaled, LOOKBACK, 1, batch_size=BATCH, shuffle=True, seed=0)
    adapters = {
        "feeder pipeline (PyDataset -> from_generator)": get_data_adapter(feeder, shuffle=False),
        "array pipeline (bare path)": get_data_adapter(X, y, batch_size=BATCH, shuffle=True),
    }
    n_batches = len(feeder)

    @tf.function
    def consume(iterator: Any, steps: Any) -> Any:
        total = tf.constant(0.0)
        for _ in tf.range(steps):
            batch = iterator.get_next_as_optional()
            if batch.has_value():
                total += tf.reduce_sum(batch.get_value()[0])
        return total

    cpu: dict[str, list[float]] = {"WindowFeeder.__getitem__": [], **{k: [] for k in adapters}}
    for _ in range(repeats + 1):  # the first round traces
        start = time.process_time()
        for i in range(n_batches):
            feeder[i]
        cpu["WindowFeeder.__getitem__"].append(time.process_time() - start)
        for name, adapter in adapters.items():
            start = time.process_time()
            consume(iter(adapter.get_tf_dataset()), tf.constant(n_batches))
            cpu[name].append(time.process_time() - start)
    return {name: 1000 * statistics.median(v[1:]) for name, v in cpu.items()}


# Fresh-process levers -----------------------------------------------------------------------


# Backends, each measured in a fresh process (Keras picks its backend once, at import):
# name -> (environment, case). The JAX cases run only where jax is installed.
BACKEND_CASES: dict[str, tuple[dict[str, str], str]] = {
    "bare model.fit, spe=1 (TensorFlow)": ({"KERAS_BACKEND": "tensorflow"}, "bare"),
    "toolkit, spe=32 (TensorFlow)": ({"KERAS_BACKEND": "tensorflow"}, "toolkit"),
    "bare model.fit, spe=1 (JAX)": ({"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}, "bare"),
    "toolkit, spe=32 (JAX)": ({"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}, "toolkit"),
}


def worker(spec: dict[str, Any]) -> None:
    """Child process: time one case (`spec["case"]`: toolkit default or bare model.fit) in this
    process's environment, and report its last epoch's training loss."""
    intra = os.environ.get("TF_NUM_INTRAOP_THREADS")
    inter = os.environ.get("TF_NUM_INTEROP_THREADS")
    if intra or inter:
        import tensorflow as tf

        if intra:
            tf.config.threading.set_intra_op_parallelism_threads(int(intra))
        if inter:
            tf.config.threading.set_inter_op_parallelism_threads(int(inter))
    scaled = load_scaled()
    case = bare_case(scaled) if spec.get("case") == "bare" else toolkit_case(scaled)
    losses: list[float] = []

    import keras

    class LastLoss(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            losses.append(float((logs or {})["loss"]))

    case.run(1, [])
    timer = _epoch_timer()
    case.run(spec["epochs"], [timer, LastLoss()])
    result = {"seconds": sum(timer.seconds), "cpu": sum(timer.cpu), "loss": losses[-1]}
    print(f"RESULT {json.dumps(result)}", flush=True)


def run_fresh(
    specs: dict[str, tuple[dict[str, str], str]], rounds: int, epochs: int, n_windows: int
) -> list[Case]:
    """Time each `name -> (environment, case)` in its own process, rotated over `rounds`."""
    cases = {name: Case(name, lambda e, c: None) for name in specs}
    names = list(specs)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            env, kind = specs[name]
            spec = json.dumps({"epochs": epochs, "case": kind})
            out = subprocess.run(
                [sys.executable, __file__, "--worker", spec],
                capture_output=True,
                text=True,
                env=dict(os.environ, **env),
                cwd=ROOT,
                check=True,
            ).stdout
            line = next(x for x in out.splitlines() if x.startswith("RESULT "))
            result = json.loads(line[7:])
            cases[name].seconds.append(result["seconds"])
            cases[name].cpu.append(result["cpu"])
            cases[name].losses.append(result["loss"])
            print(
                f"  round {r + 1}/{rounds}: {name:45s} "
                f"{n_windows * epochs / cases[name].seconds[-1]:8.0f} windows/s, "
                f"loss {result['loss']:.5f}",
                flush=True,
            )
    return list(cases.values())


# Report -------------------------------------------------------------------------------------


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    """One line per goal or question, read off the rows."""
    out = []
    for row in rows:
        if row["goal"] != "":
            met = [
                k for k in ("ratio_best", "ratio_same_round", "ratio_cpu") if row[k] >= row["goal"]
            ]
            out.append(
                f"{row['case']} vs {row['versus']}: best {row['ratio_best']}, same-round "
                f"{row['ratio_same_round']}, CPU {row['ratio_cpu']} (goal >= {row['goal']}: met "
                f"by {len(met)} of 3 measures)."
            )
    single = next((r for r in rows if r["case"].startswith("single (")), None)
    attention = next((r for r in rows if r["case"].startswith("attention (")), None)
    if single and attention:
        out.append(
            "Attention model cost relative to the single LSTM (time per window, builder "
            f"defaults): {1 / attention['ratio_same_round']:.2f}x by same-round median, "
            f"{1 / attention['ratio_cpu']:.2f}x by CPU time."
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="rounds per section")
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs per case and round")
    parser.add_argument("--sections", default="abcde", help="sections to run, e.g. 'ab' or 'd'")
    parser.add_argument("--skip-env", action="store_true", help="skip the fresh-process levers")
    parser.add_argument("--env-rounds", type=int, default=4, help="rounds of fresh processes")
    parser.add_argument("--env-epochs", type=int, default=3, help="timed epochs per process")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return 0

    import keras
    import numpy as np
    import tensorflow as tf

    from forecast.backends import package_version
    from forecast.training import DEFAULT_STEPS_PER_EXECUTION

    tf.get_logger().setLevel("ERROR")  # retracing notices of the one-epoch identity checks

    scaled = load_scaled()
    n = len(scaled) - LOOKBACK
    print(f"{n} windows per epoch, {-(-n // BATCH)} batches of {BATCH}")
    rows: list[dict[str, Any]] = []
    notes: list[str] = []

    def add(
        section: str,
        case: Case,
        versus: Case | None,
        goal: float | None = None,
        epochs: int | None = None,
    ) -> None:
        epochs = epochs or args.epochs
        per_round = speeds(case, n, epochs)
        row = {
            "section": section,
            "case": case.name,
            "best_windows_per_s": round(max(per_round)),
            "median_windows_per_s": round(statistics.median(per_round)),
            "cpu_ms_per_1000_windows": round(cpu_cost(case, n, epochs), 1),
            "versus": versus.name if versus else "",
            "ratio_best": "",
            "ratio_same_round": "",
            "ratio_cpu": "",
            "same_weights_as_spe1": "",
            "goal": goal or "",
        }
        if versus is not None:
            ratios = compare(case, versus, n, epochs)
            row.update({f"ratio_{k}": round(v, 3) for k, v in ratios.items()})
        rows.append(row)

    # (a) + (b)
    if "a" in args.sections or "b" in args.sections:
        print("(a)/(b) toolkit vs bare model.fit")
        bare = bare_case(scaled)
        bare32 = bare_case(scaled, DEFAULT_STEPS_PER_EXECUTION)
        tk1 = toolkit_case(scaled, 1)
        tk = toolkit_case(scaled)
        measure([bare, tk1, tk, bare32], args.rounds, args.epochs, n)
        add("a", bare, None)
        add("a", tk1, bare, 0.95)
        add("b", tk, bare, 1.2)
        add("b", bare32, bare)
        add("b", tk, bare32)
        data_ms = feeding_cost(scaled)
        for name, ms in data_ms.items():
            notes.append(
                f"Data alone, CPU per epoch of {-(-n // BATCH)} batches: {name} {ms:.1f} ms."
            )
        feeder_ms, array_ms = (v for k, v in data_ms.items() if "pipeline" in k)
        epoch_ms = cpu_cost(tk, n, args.epochs) * n / 1000
        notes.append(
            f"Feeding overhead: the PyDataset path costs {feeder_ms - array_ms:.1f} ms more CPU "
            f"per epoch than the array path, {100 * (feeder_ms - array_ms) / epoch_ms:.1f}% of "
            f"a toolkit spe=32 epoch ({epoch_ms:.0f} ms CPU); the feeder's own __getitem__ is "
            f"{data_ms['WindowFeeder.__getitem__']:.1f} ms of it. The rest is Keras's PyDataset "
            "adapter on TensorFlow (tf.data.Dataset.from_generator: a Python call and a "
            "NumPy-to-tensor conversion per batch), the same for any PyDataset."
        )

    # (c)
    if "c" in args.sections:
        print("(c) model builders with their defaults")
        kinds = [toolkit_case(scaled, builder=k) for k in ("single", "stacked", "attention")]
        measure(kinds, args.rounds, args.epochs, n)
        for case in kinds:
            add("c", case, kinds[0] if case is not kinds[0] else None)

    # (d)
    if "d" in args.sections:
        notes.append(
            "A lever may become a default only with identical weights (column 'same weights "
            "as spe=1', one epoch from the same start) and a speed-up on both the same-round "
            "and the CPU measure."
        )
        print("(d) levers: steps_per_execution and XLA")
        base = toolkit_case(scaled)
        levers = [
            base,
            toolkit_case(scaled, 1),
            toolkit_case(scaled, 8),
            toolkit_case(scaled, 128),
            toolkit_case(scaled, 1000, name="toolkit, spe=1000 (whole epoch)"),
            toolkit_case(scaled, jit_compile=True),
            toolkit_case(scaled, unroll=True),
        ]
        measure(levers, args.rounds, args.epochs, n)
        reference = levers[1].fresh_weights()
        for case in levers:
            add("d", case, base if case is not base else None)
            weights = case.fresh_weights()
            same = all(np.array_equal(a, b) for a, b in zip(weights, reference, strict=True))
            diff = max(
                float(np.max(np.abs(a - b))) for a, b in zip(weights, reference, strict=True)
            )
            rows[-1]["same_weights_as_spe1"] = "yes" if same else f"no (max diff {diff:.1e})"
        if not args.skip_env:
            print("(d) levers in fresh processes: oneDNN, thread pools")
            specs = {name: (env, "toolkit") for name, env in ENV_LEVERS.items()}
            env_cases = run_fresh(specs, args.env_rounds, args.env_epochs, n)
            for case in env_cases:
                versus = env_cases[0] if case is not env_cases[0] else None
                add("d-env", case, versus, epochs=args.env_epochs)

    # (e)
    if "e" in args.sections:
        import importlib.util

        specs = {
            name: spec
            for name, spec in BACKEND_CASES.items()
            if spec[0]["KERAS_BACKEND"] != "jax" or importlib.util.find_spec("jax") is not None
        }
        print("(e) backends in fresh processes: toolkit and bare model.fit")
        backend_cases = run_fresh(specs, args.env_rounds, args.env_epochs, n)
        reference = backend_cases[0]
        for case in backend_cases:
            toolkit = case.name.startswith("toolkit")
            versus = reference if case is not reference else None
            add("e", case, versus, 1.2 if toolkit else None, epochs=args.env_epochs)
        notes.append(
            "(e) training loss of the last timed epoch, median over processes (same data, "
            "model and seed; each backend draws its own initial weights): "
            + "; ".join(f"{c.name} {statistics.median(c.losses):.5f}" for c in backend_cases)
            + "."
        )
        if len(backend_cases) < len(BACKEND_CASES):
            notes.append("(e) jax is not installed here: the JAX cases were skipped.")

    header = [
        "section",
        "case",
        "windows/s best",
        "windows/s median",
        "CPU ms / 1000 windows",
        "vs",
        "ratio best",
        "ratio same-round median",
        "ratio CPU",
        "same weights as spe=1",
        "goal",
    ]
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [f"{v:,}" if isinstance(v, int) else str(v) for v in row.values()]
        table.append("| " + " | ".join(cells) + " |")
    print("\n".join(table))
    notes += verdicts(rows)
    for name, value in REFERENCE.items():
        notes.append(f"Reference measured earlier on this machine: {name} ~{value:,} windows/s.")
    for note in notes:
        print(note)
    if args.no_write:
        return 0

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT.with_suffix(".csv"), "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    command = "python benchmarks/train_speed.py " + " ".join(sys.argv[1:])
    lines = [
        "# Training speed: toolkit vs bare `model.fit`",
        "",
        f"- Command: `{command.strip()}` (from the repository root)",
        f"- Date: {dt.date.today().isoformat()}",
        f"- Machine: 2 CPU cores, shared machine (os.cpu_count() = {os.cpu_count()}, other "
        f"workers running), no GPU; {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"numpy {np.__version__}" + (f", jax {jax}" if (jax := package_version("jax")) else ""),
        f"- Data: {DATA.as_posix()} OT, first {TRAIN_ROWS} rows, standardized; lookback "
        f"{LOOKBACK}, horizon 1, {n} windows per epoch, batch {BATCH}",
        f"- Each case: one warm-up epoch, then {args.rounds} rounds x {args.epochs} timed "
        f"epoch(s), case order rotated each round (fresh-process levers: {args.env_rounds} "
        f"rounds of one process per case, {args.env_epochs} timed epochs each)",
        "- Ratios (> 1: the case is faster than `vs`): *best* = best round / best round (noise "
        "from other workers only slows rounds down); *same-round median* = median over rounds "
        "of the ratio within a round; *CPU* = CPU time per window of `vs` / that of the case "
        "(this process's threads only, so other workers barely move it, but it cannot show "
        "gains from running threads in parallel)",
        "",
        *table,
        "",
        *[f"- {note}" for note in notes],
        "",
    ]
    OUT.with_suffix(".md").write_text("\n".join(lines))
    print(f"wrote {OUT}.md and .csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
