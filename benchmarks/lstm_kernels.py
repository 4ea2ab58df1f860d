"""Where a CPU LSTM training step spends its time, and two fused kernels that did not help.

The train-speed goal (toolkit >= 1.2x a bare `model.fit`) is bounded by TensorFlow's LSTM
itself. This script times one LSTM forward pass and one forward + backward pass (gradients of
every weight) at the speed benchmark's size (batch 100, lookback 24, 1 input, 100 units) for:

- `keras`: `keras.layers.LSTM` as the models use it (a `tf.while_loop` on CPU);
- `keras unroll`: the same layer with `unroll=True`;
- `hand-fused`: the same math written out step by step with a hand-derived backward pass
  (`tf.custom_gradient`): input projections for all steps in one matmul, gate derivatives
  computed once for all steps, and the recurrent-kernel gradient as one large matmul instead
  of one per step. Its gradients are checked against Keras's;
- `BlockLSTMV2`: TensorFlow's fused C++ LSTM kernel (`tf.raw_ops.BlockLSTMV2`) with its own
  fused backward kernel (`BlockLSTMGradV2`) as the gradient (outputs and gradients are checked
  against Keras's);
- `matmul floor`: only the recurrent matrix products (`lookback` of them forward, three times
  that forward + backward, each followed by one tanh to keep values bounded): no LSTM can
  do less arithmetic on this path.

Cases alternate within each round; the table shows medians over rounds. Run from the
repository root (about a minute):

    python benchmarks/lstm_kernels.py

Writes benchmarks/results/lstm_kernels/lstm_kernels.md and .csv.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from common import ROOT, out_stem, utc_now, write_results

DEFAULT_OUT = out_stem("lstm_kernels")


def hand_fused_lstm(x: tf.Tensor, kernel: tf.Tensor, recurrent: tf.Tensor, bias: tf.Tensor):
    """Last hidden state `(batch, units)` of an LSTM over `x` `(batch, steps, inputs)`, zero
    initial state, Keras's gate order (i, f, c, o) and weight layout, hand-written gradient."""

    @tf.custom_gradient
    def run(x, kernel, recurrent, bias):
        steps, n_in, units = x.shape[1], x.shape[2], recurrent.shape[0]
        xt = tf.reshape(tf.transpose(x, [1, 0, 2]), [-1, n_in])  # (steps * batch, inputs)
        projected = tf.unstack(tf.reshape(xt @ kernel + bias, [steps, -1, 4 * units]))
        h = c = tf.zeros([tf.shape(x)[0], units])
        saved = {k: [] for k in "hcifgot"}
        for t in range(steps):
            zi, zf, zg, zo = tf.split(projected[t] + h @ recurrent, 4, axis=1)
            i, f, g, o = tf.sigmoid(zi), tf.sigmoid(zf), tf.tanh(zg), tf.sigmoid(zo)
            saved["h"].append(h)
            saved["c"].append(c)
            c = f * c + i * g
            tc = tf.tanh(c)
            h = o * tc
            for key, value in zip("ifgot", (i, f, g, o, tc), strict=True):
                saved[key].append(value)

        def grad(dh):
            s = {k: tf.stack(v) for k, v in saved.items()}  # (steps, batch, units) each
            i, f, g, o, tc = (s[k] for k in "ifgot")
            # d(pre-activation) = [dc, dc, dc, dh] * scale, the scale known before the loop
            scale = tf.concat(
                [g * i * (1 - i), s["c"] * f * (1 - f), i * (1 - g * g), tc * o * (1 - o)],
                axis=2,
            )
            scales, dc_dh = tf.unstack(scale), tf.unstack(o * (1 - tc * tc))
            forget = tf.unstack(f)
            dc = tf.zeros_like(dh)
            dz = [None] * steps
            for t in range(steps - 1, -1, -1):
                dc = dc + dh * dc_dh[t]
                dz[t] = tf.concat([dc, dc, dc, dh], axis=1) * scales[t]
                dh = tf.matmul(dz[t], recurrent, transpose_b=True)
                dc = dc * forget[t]
            dz_all = tf.reshape(tf.stack(dz), [-1, 4 * units])
            d_recurrent = tf.matmul(
                tf.reshape(s["h"], [-1, units]), dz_all, transpose_a=True
            )  # one matmul over all steps
            d_kernel = tf.matmul(xt, dz_all, transpose_a=True)
            dx = tf.transpose(
                tf.reshape(dz_all @ tf.transpose(kernel), [steps, -1, n_in]), [1, 0, 2]
            )
            return dx, d_kernel, d_recurrent, tf.reduce_sum(dz_all, axis=0)

        return h, grad

    return run(x, kernel, recurrent, bias)


def block_lstm(x: tf.Tensor, kernel: tf.Tensor, recurrent: tf.Tensor, bias: tf.Tensor):
    """Last hidden state from TensorFlow's fused BlockLSTMV2 kernel (same gate order), with
    BlockLSTMGradV2 as its gradient.

    TensorFlow registers BlockLSTM's (V1) gradient for BlockLSTMV2 too
    (`tensorflow/python/ops/rnn_grad.py`), and V1 orders the gates (i, c, f, o) where V2 uses
    Keras's (i, f, c, o): that gradient is wrong for V2. The V2 gradient op is called here.
    """

    @tf.custom_gradient
    def run(x_time_major, w, b):
        units = b.shape[0] // 4
        zeros = tf.zeros([tf.shape(x_time_major)[1], units])
        no_peephole = tf.zeros([units])
        args = dict(
            seq_len_max=tf.cast(tf.shape(x_time_major)[0], tf.int64), x=x_time_major,
            cs_prev=zeros, h_prev=zeros, w=w, wci=no_peephole, wcf=no_peephole,
            wco=no_peephole, b=b,
        )  # fmt: skip
        i, cs, f, o, ci, co, h = tf.raw_ops.BlockLSTMV2(**args, cell_clip=-1.0, use_peephole=False)

        def grad(dh: tf.Tensor) -> tuple:
            g = tf.raw_ops.BlockLSTMGradV2(
                **args, i=i, cs=cs, f=f, o=o, ci=ci, co=co, h=h, cs_grad=tf.zeros_like(cs),
                h_grad=dh, use_peephole=False,
            )  # fmt: skip
            return g[0], g[3], g[7]  # x, w, b

        return h, grad

    h = run(tf.transpose(x, [1, 0, 2]), tf.concat([kernel, recurrent], axis=0), bias)
    return h[-1]


def build_cases(batch: int, steps: int, units: int) -> tuple[dict[str, dict], dict]:
    keras.utils.set_random_seed(0)
    x = tf.constant(np.random.default_rng(0).standard_normal((batch, steps, 1)), tf.float32)
    layers = {
        "keras": keras.layers.LSTM(units),
        "keras unroll": keras.layers.LSTM(units, unroll=True),
    }
    for layer in layers.values():
        layer(x)
    layers["keras unroll"].set_weights(layers["keras"].get_weights())
    cell = layers["keras"].cell
    weights = [cell.kernel, cell.recurrent_kernel, cell.bias]

    def raw(fn: Callable) -> Callable:
        return lambda x: fn(x, *(w.value for w in weights))

    forwards = {name: layer for name, layer in layers.items()}
    forwards["hand-fused"] = raw(hand_fused_lstm)
    forwards["BlockLSTMV2"] = raw(block_lstm)

    def floor_forward(x: tf.Tensor) -> tf.Tensor:
        h = tf.zeros([batch, units])
        for _ in range(steps):
            h = tf.tanh(tf.matmul(h, cell.recurrent_kernel.value)[:, :units])
        return h

    def training_step(fn: Callable, train_vars: list) -> Callable:
        def step(x: tf.Tensor) -> list:
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(fn(x) ** 2)
            return tape.gradient(loss, train_vars)

        return step

    cases: dict[str, dict] = {}
    for name, fn in forwards.items():
        train_vars = layers[name].trainable_weights if name in layers else weights
        cases[name] = {
            "forward": tf.function(fn),
            "step": tf.function(training_step(fn, [w.value for w in train_vars])),
        }

    def floor_step(x: tf.Tensor) -> tf.Tensor:
        h = floor_forward(x)
        g = tf.ones([batch, 4 * units])
        for _ in range(steps):  # backward: dh @ U^T and h^T @ dz per step
            h = tf.tanh(tf.matmul(g, cell.recurrent_kernel.value, transpose_b=True))
            g = tf.tanh(tf.matmul(h, cell.recurrent_kernel.value))
        return g

    cases["matmul floor"] = {"forward": tf.function(floor_forward), "step": tf.function(floor_step)}
    checks = {
        "hand-fused": _check_gradients(layers["keras"], weights, x, hand_fused_lstm),
        "BlockLSTMV2 gradients": _check_gradients(layers["keras"], weights, x, block_lstm),
        "BlockLSTMV2": float(
            np.abs(block_lstm(x, *(w.value for w in weights)) - layers["keras"](x)).max()
        ),
    }
    return cases, {"x": x, "checks": checks}


def _check_gradients(
    layer: keras.layers.Layer, weights: list, x: tf.Tensor, kernel: Callable
) -> float:
    """Largest gradient difference, relative to the largest gradient, `kernel` vs Keras."""
    worst = 0.0
    grads = []
    for fn in (layer, lambda x: kernel(x, *(w.value for w in weights))):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(fn(x) ** 2)
        grads.append(tape.gradient(loss, weights))
    for a, b in zip(*grads, strict=True):
        worst = max(worst, float(np.abs(a - b).max() / np.abs(a).max()))
    return worst


def time_cases(cases: dict[str, dict], x: tf.Tensor, rounds: int, calls: int) -> pd.DataFrame:
    rows = []
    for kind in ("forward", "step"):
        for fn in (c[kind] for c in cases.values() if c[kind] is not None):
            fn(x)  # trace and warm up
    names = list(cases)
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            for kind in ("forward", "step"):
                fn = cases[name][kind]
                if fn is None:
                    continue
                start = time.perf_counter()
                for _ in range(calls):
                    out = fn(x)
                np.asarray(tf.nest.flatten(out)[0])
                ms = (time.perf_counter() - start) / calls * 1e3
                rows.append({"round": r, "case": name, "pass": kind, "ms": ms})
    return pd.DataFrame(rows)


def summarize(times: pd.DataFrame) -> pd.DataFrame:
    median = times.pivot_table(index="case", columns="pass", values="ms", aggfunc="median")
    median = median.reindex(times["case"].drop_duplicates())
    ref = median.loc["keras"]
    out = pd.DataFrame(
        {
            "forward ms": median["forward"],
            "forward vs keras": ref["forward"] / median["forward"],
            "forward+backward ms": median["step"],
            "forward+backward vs keras": ref["step"] / median["step"],
        }
    )
    return out.reset_index()


def markdown(summary: pd.DataFrame, info: dict, args: argparse.Namespace) -> str:
    lines = [
        "# LSTM kernels on CPU: where the training step's time goes",
        "",
        "- Command: `python benchmarks/lstm_kernels.py`",
        f"- Date: {utc_now()}",
        f"- Machine: {os.cpu_count()} CPU cores, shared with other jobs; TensorFlow "
        f"{tf.__version__}, Keras {keras.__version__}",
        f"- Size: batch {args.batch}, lookback {args.steps}, 1 input, {args.units} units; "
        f"median of {args.rounds} rounds x {args.calls} calls, cases rotated each round",
        "- `vs keras` > 1: faster than `keras.layers.LSTM`.",
        "",
        "| case | forward ms | forward vs keras | forward+backward ms "
        "| forward+backward vs keras |",
        "|---|---|---|---|---|",
    ]
    for _, row in summary.iterrows():
        cells = [row["case"]] + [
            "" if pd.isna(row[c]) else f"{row[c]:.2f}" if "ms" in c else f"{row[c]:.2f}x"
            for c in summary.columns[1:]
        ]
        lines.append("| " + " | ".join(cells) + " |")
    checks = info["checks"]
    by_case = summary.set_index("case")
    floor_share = (
        by_case.loc["matmul floor", "forward+backward ms"]
        / by_case.loc["keras", "forward+backward ms"]
    )
    others = ["keras unroll", "hand-fused", "BlockLSTMV2"]
    best_fused = by_case.loc[others, "forward+backward vs keras"].max()
    lines += [
        "",
        f"- hand-fused gradients vs Keras: largest difference {checks['hand-fused']:.1e} of "
        "the largest gradient (the same math, in another order).",
        f"- BlockLSTMV2 vs Keras: largest difference {checks['BlockLSTMV2']:.1e} forward, "
        f"{checks['BlockLSTMV2 gradients']:.1e} of the largest gradient backward, with "
        "BlockLSTMGradV2 as the gradient. (TensorFlow registers the V1 op's gradient for "
        "BlockLSTMV2, whose gate order differs: that registered gradient is wrong.)",
        f"- The recurrent matrix products alone take {floor_share:.0%} of Keras's forward + "
        f"backward time, so no kernel doing the same arithmetic could be more than "
        f"{1 / floor_share:.2f}x faster on this step; the best alternative measured here is "
        f"{best_fused:.2f}x.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--out", default=DEFAULT_OUT, help="results path without suffix")
    args = parser.parse_args(argv)
    cases, info = build_cases(args.batch, args.steps, args.units)
    times = time_cases(cases, info["x"], args.rounds, args.calls)
    summary = summarize(times)
    text = markdown(summary, info, args)
    print(text)
    out = ROOT / args.out
    write_results(out, times, text, float_format="%.4f")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
