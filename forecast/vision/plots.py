"""Figures for the MNIST CNN: a grid of test digits with their labels, the confusion matrix.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global state),
so they work on headless machines and in threads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure


def plot_samples(
    images: Any,
    labels: Any,
    predicted: Any,
    path: str | os.PathLike,
    columns: int = 5,
) -> Path:
    """Save a PNG grid of digits titled "pred P / true T" (red where P is wrong).

    Args:
        images: `(n, 28, 28)` or `(n, 28, 28, 1)`, uint8 or float.
        labels: the true digits, `(n,)` integers or `(n, 10)` one-hot.
        predicted: the predicted digits, `(n,)`.
        path: the PNG to write.
        columns: images per row.

    Returns:
        The path written.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    truth = labels.argmax(axis=1) if labels.ndim == 2 else labels
    n = len(images)
    rows = max(1, -(-n // columns))
    fig = Figure(figsize=(1.6 * columns, 1.8 * rows))
    axes = fig.subplots(rows, columns, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i].reshape(28, 28), cmap="gray")
        wrong = int(predicted[i]) != int(truth[i])
        ax.set_title(
            f"pred {int(predicted[i])} / true {int(truth[i])}",
            fontsize=9,
            color="red" if wrong else "black",
        )
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    return Path(path)


def plot_confusion(confusion: Any, path: str | os.PathLike) -> Path:
    """Save the `(10, 10)` confusion matrix (rows true, columns predicted) as a PNG heatmap."""
    confusion = np.asarray(confusion)
    fig = Figure(figsize=(6, 5.4))
    ax = fig.subplots()
    ax.imshow(confusion, cmap="Blues")
    threshold = confusion.max() / 2 if confusion.size else 0
    for (row, col), count in np.ndenumerate(confusion):
        color = "white" if count > threshold else "black"
        ax.text(col, row, str(count), ha="center", va="center", fontsize=7, color=color)
    ticks = range(len(confusion))
    ax.set(xticks=ticks, yticks=ticks, xlabel="predicted digit", ylabel="true digit")
    ax.set_title(f"accuracy {np.trace(confusion) / max(confusion.sum(), 1):.4f}")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    return Path(path)
