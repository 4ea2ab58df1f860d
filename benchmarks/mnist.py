"""MNIST CNN: the toolkit's `train_mnist` against a bare Keras script of the same network.

Both train the classic Keras MNIST CNN (600,810 parameters) with Adam, batch 32, on the same
55,000 training images, validating on the last 5,000 training images, and are scored on the
10,000 test images:

- bare: `model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])` and
  `model.fit(x, y, batch_size=32, epochs=..., validation_data=...)`, 5 epochs (the classic
  reference);
- toolkit: `forecast.vision.train_mnist` (up to 15 epochs, early stopping with patience 3 that
  keeps the best epoch, checkpoints every improvement, steps_per_execution=32).

Speed is compared in one process on the same data, alternating epochs: before each of the
toolkit's first 5 epochs, one bare epoch runs (`fit(..., initial_epoch=i, epochs=i + 1)`), so
slow spells of a shared machine hit both. A bare epoch is timed from Keras's epoch start to its
end (training + validation); a toolkit epoch from its start to the next one, so its checkpoint
and history writes count. The ratio compares the paired epochs.

Usage (from the repository root):
    python benchmarks/mnist.py                 # full run, ~10-15 min on 2 busy CPU cores
    python benchmarks/mnist.py --quick         # 3,000 images, 1 epoch each: a smoke run
Writes benchmarks/results/mnist/mnist.md and .csv (--quick: parts/mnist-quick.*, never over them).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from common import ROOT, out_folder

from forecast.vision import MnistData, train_mnist

DEFAULT_DATA = "../shared/datasets/mnist.npz"
BATCH_SIZE = 32
VAL_IMAGES = 5000


def bare_model() -> keras.Model:
    """The classic Keras example, written out as a plain script would."""
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            keras.layers.Conv2D(32, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Dropout(0.25),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return model


class EpochClock(keras.callbacks.Callback):
    """Wall time of each epoch, from Keras's epoch start to its end."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


class BareScript:
    """The bare script's training, run one epoch at a time so it can alternate."""

    def __init__(self, raw: MnistData, seed: int = 0) -> None:
        x_train = raw.x_train.reshape(-1, 28, 28, 1).astype("float32") / 255
        y_train = keras.utils.to_categorical(raw.y_train, 10)
        self.x_test = raw.x_test.reshape(-1, 28, 28, 1).astype("float32") / 255
        self.y_test = keras.utils.to_categorical(raw.y_test, 10)
        n_val = min(VAL_IMAGES, len(x_train) // 6)
        self.train = (x_train[:-n_val], y_train[:-n_val])
        self.val = (x_train[-n_val:], y_train[-n_val:])
        keras.utils.set_random_seed(seed)
        self.model = bare_model()
        self.seconds: list[float] = []
        self.history: list[dict[str, float]] = []

    def run_epoch(self, epoch: int) -> None:
        clock = EpochClock()
        history = self.model.fit(
            *self.train,
            batch_size=BATCH_SIZE,
            epochs=epoch + 1,
            initial_epoch=epoch,
            validation_data=self.val,
            verbose=0,
            callbacks=[clock],
        )
        self.seconds += clock.seconds
        self.history.append({k: float(v[-1]) for k, v in history.history.items()})
        log(f"bare    epoch {epoch + 1}: {clock.seconds[-1]:6.1f} s  {fmt(self.history[-1])}")

    def test(self) -> dict[str, float]:
        return self.model.evaluate(self.x_test, self.y_test, verbose=0, return_dict=True)


class Alternate(keras.callbacks.Callback):
    """Inside the toolkit's fit: one bare epoch before each toolkit epoch, timing both."""

    def __init__(self, bare: BareScript, bare_epochs: int) -> None:
        super().__init__()
        self.bare = bare
        self.bare_epochs = bare_epochs
        self.seconds: list[float] = []
        self._start: float | None = None

    def _close(self) -> None:
        if self._start is not None:
            self.seconds.append(time.perf_counter() - self._start)
            log(f"toolkit epoch {len(self.seconds)}: {self.seconds[-1]:6.1f} s")
            self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._close()
        if epoch < self.bare_epochs:
            self.bare.run_epoch(epoch)
        self._start = time.perf_counter()

    def on_train_end(self, logs=None):
        self._close()


def log(text: str) -> None:
    print(text, flush=True)


def fmt(logs: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in logs.items())


def load_raw(path: Path, quick: bool) -> MnistData:
    with np.load(path, allow_pickle=False) as f:
        raw = MnistData(f["x_train"], f["y_train"], f["x_test"], f["y_test"])
    if quick:
        raw = MnistData(
            raw.x_train[:3000], raw.y_train[:3000], raw.x_test[:1000], raw.y_test[:1000]
        )
    return raw


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; `out` defaults to the results folder (a quick run: its `parts/`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        default=DEFAULT_DATA,
        help=f"Keras-format mnist.npz; a relative path is taken from the repo root "
        f"(default: {DEFAULT_DATA})",
    )
    parser.add_argument("--epochs", type=int, default=15, help="toolkit epoch limit (15)")
    parser.add_argument("--patience", type=int, default=3, help="toolkit patience (3)")
    parser.add_argument("--bare-epochs", type=int, default=5, help="bare script epochs (5)")
    parser.add_argument("--quick", action="store_true", help="3,000 images, 1 epoch each")
    parser.add_argument(
        "--out", help="results folder (default: benchmarks/results/mnist, with --quick its parts/)"
    )
    args = parser.parse_args(argv)
    args.out = args.out or str(out_folder("mnist") / ("parts" if args.quick else ""))
    if args.quick:
        args.epochs = args.bare_epochs = 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    data_path = Path(args.data)
    if not data_path.is_absolute():
        data_path = ROOT / data_path

    raw = load_raw(data_path, args.quick)
    n_val = min(VAL_IMAGES, len(raw.x_train) // 6)
    steps = math.ceil((len(raw.x_train) - n_val) / BATCH_SIZE)
    log(f"MNIST: {len(raw.x_train) - n_val} train / {n_val} val / {len(raw.x_test)} test images")

    bare = BareScript(raw)
    alternate = Alternate(bare, args.bare_epochs)
    with tempfile.TemporaryDirectory() as run_dir:
        result = train_mnist(
            raw,
            epochs=args.epochs,
            batch_size=BATCH_SIZE,
            patience=args.patience,
            val_split=n_val,
            seed=0,
            run_dir=run_dir,
            verbose=0,
            callbacks=[alternate],
        )
    for epoch in range(len(bare.seconds), args.bare_epochs):  # toolkit stopped sooner
        bare.run_epoch(epoch)
    bare_test = bare.test()

    paired = min(len(bare.seconds), len(alternate.seconds))
    bare_s = float(np.mean(bare.seconds[:paired]))
    tool_s = float(np.mean(alternate.seconds[:paired]))
    steady = slice(1, paired) if paired > 1 else slice(0, paired)
    steady_ratio = float(np.sum(alternate.seconds[steady]) / np.sum(bare.seconds[steady]))
    rows = [
        {
            "variant": "bare Keras script",
            "epochs": len(bare.seconds),
            "best_epoch": "-",
            "s_per_epoch": float(np.mean(bare.seconds)),
            "paired_s_per_epoch": bare_s,
            "ms_per_step": 1000 * bare_s / steps,
            "test_accuracy": float(bare_test["accuracy"]),
            "test_loss": float(bare_test["loss"]),
        },
        {
            "variant": "toolkit train_mnist",
            "epochs": result.fit.epochs_run,
            "best_epoch": result.fit.best_epoch,
            "s_per_epoch": float(np.mean(alternate.seconds)),
            "paired_s_per_epoch": tool_s,
            "ms_per_step": 1000 * tool_s / steps,
            "test_accuracy": result.evaluation.accuracy,
            "test_loss": result.evaluation.loss,
        },
    ]
    ratio = tool_s / bare_s
    summary = [
        f"toolkit / bare seconds per epoch over the {paired} paired epochs: {ratio:.3f} "
        f"(epochs 2+: {steady_ratio:.3f}); goal <= 1.05: {'met' if ratio <= 1.05 else 'MISSED'}",
        f"toolkit test accuracy {result.evaluation.accuracy:.4f}; goal >= 0.99: "
        f"{'met' if result.evaluation.accuracy >= 0.99 else 'MISSED'}",
    ]
    table = render_table(rows)
    log("\n" + table + "\n" + "\n".join(summary))
    write_results(Path(args.out), args, rows, summary, table, bare, alternate, result, steps)
    return 0


def render_table(rows: list[dict]) -> str:
    head = (
        "| variant | epochs | best epoch | s/epoch (all) | s/epoch (paired) | ms/step (paired) "
        "| test accuracy | test loss |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    lines = [
        f"| {r['variant']} | {r['epochs']} | {r['best_epoch']} | {r['s_per_epoch']:.1f} "
        f"| {r['paired_s_per_epoch']:.1f} | {r['ms_per_step']:.1f} | {r['test_accuracy']:.4f} "
        f"| {r['test_loss']:.4f} |"
        for r in rows
    ]
    return "\n".join([head, *lines])


def write_results(out, args, rows, summary, table, bare, alternate, result, steps) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stem = "mnist-quick" if args.quick else "mnist"
    per_epoch = []
    for i, seconds in enumerate(bare.seconds):
        per_epoch.append(("bare", i + 1, seconds, bare.history[i]))
    tool_history = result.fit.history
    for i, seconds in enumerate(alternate.seconds):
        logs = {k: v[i] for k, v in tool_history.items() if i < len(v)}
        per_epoch.append(("toolkit", i + 1, seconds, logs))
    keys = ["loss", "accuracy", "val_loss", "val_accuracy"]
    with open(out / f"{stem}.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["variant", "epoch", "seconds", "ms_per_step", *keys])
        for variant, epoch, seconds, logs in per_epoch:
            values = [f"{logs[k]:.5f}" if k in logs else "" for k in keys]
            writer.writerow(
                [variant, epoch, f"{seconds:.2f}", f"{1000 * seconds / steps:.2f}", *values]
            )
    epoch_lines = [
        f"| {variant} | {epoch} | {seconds:.1f} | {1000 * seconds / steps:.1f} | "
        + " | ".join(f"{logs[k]:.4f}" if k in logs else "" for k in keys)
        + " |"
        for variant, epoch, seconds, logs in per_epoch
    ]
    command = "python benchmarks/mnist.py " + " ".join(sys.argv[1:])
    text = f"""# MNIST CNN: toolkit vs bare Keras script

Command: `{command.strip()}` (data: `{args.data}`; {time.strftime("%Y-%m-%d %H:%M")}).
Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, no GPU;
Python {platform.python_version()}, Keras {keras.__version__}, backend {keras.backend.backend()}.

Same network (600,810 parameters), Adam (lr 0.001), batch {BATCH_SIZE}, validation = the last
images of the training set, test = the test set. Bare script epochs: {args.bare_epochs}; the
toolkit's limit: {args.epochs}, with early stopping (patience {args.patience}, best weights
kept), checkpoints and `steps_per_execution=32`. Epochs alternate (one bare epoch, then one toolkit
epoch) in one process; "paired" figures cover the epochs both ran. Seconds per epoch include
validation; ms/step = seconds per epoch / {steps} training steps.

{table}

{chr(10).join("- " + line for line in summary)}

## Per epoch

| variant | epoch | seconds | ms/step | {" | ".join(keys)} |
| --- | ---: | ---: | ---: | {" | ".join("---:" for _ in keys)} |
{chr(10).join(epoch_lines)}
"""
    (out / f"{stem}.md").write_text(text)
    log(f"wrote {out / f'{stem}.md'} and {out / f'{stem}.csv'}")


if __name__ == "__main__":
    sys.exit(main())
