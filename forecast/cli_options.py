"""The options of the `forecast` command line, declared once: the data, model and training
options that `train` and `backtest` share (`shared_options`, grouped into `--help` panels
that fit an 80-column terminal), and the few others the commands take.

`forecast.cli` holds the commands; a command decorated with `@with_shared_options` gets the
shared options in its `--help` and as one namespace `opts`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

import typer

from forecast import backends

DataArg = Annotated[Path, typer.Argument(help="CSV file with a time column and the series.")]
RunDirArg = Annotated[Path, typer.Argument(help="A run folder written by `forecast train`.")]
DataOpt = Annotated[Path, typer.Option("--data", help="CSV file with the same columns.")]
DATA, MODEL, LINEAR, TRAINING = "Data", "Model", "Linear path", "Training"  # --help panels
TimeCol = Annotated[
    str | None,
    typer.Option(
        help="Time column; default: one named date, time, month, ... or holding timestamps.",
        rich_help_panel=DATA,
    ),
]
Target = Annotated[
    str | None,
    typer.Option(help="Column to forecast; default: the only numeric one.", rich_help_panel=DATA),
]
Covariates = Annotated[
    str | None,
    typer.Option(help="Extra input columns, comma-separated: HUFL,HULL.", rich_help_panel=DATA),
]
IdCol = Annotated[
    str | None,
    typer.Option(help="Series id column, for many series in one file.", rich_help_panel=DATA),
]
Fill = Annotated[
    str | None,
    typer.Option(
        help="Missing values: interpolate, ffill or drop (at the ends only); default: error.",
        rich_help_panel=DATA,
    ),
]
Freq = Annotated[
    str | None,
    typer.Option(help="Pandas frequency (h, D, MS...); default: inferred.", rich_help_panel=DATA),
]
Sort = Annotated[
    bool, typer.Option("--sort", help="Sort rows by time (else: error).", rich_help_panel=DATA)
]
Duplicates = Annotated[
    str,
    typer.Option(
        help="Repeated timestamps: error, or merge by mean, sum, first or last.",
        rich_help_panel=DATA,
    ),
]
Tz = Annotated[
    str | None,
    typer.Option(
        help="Zone of naive local times (Europe/Berlin); offsets like +02:00 need none.",
        rich_help_panel=DATA,
    ),
]
Sep = Annotated[
    str | None,
    typer.Option(help="CSV separator; default: sniffed (, ; tab |).", rich_help_panel=DATA),
]
Decimal = Annotated[
    str | None,
    typer.Option(help="Decimal mark; default: sniffed (. or ,).", rich_help_panel=DATA),
]
Encoding = Annotated[
    str | None, typer.Option(help="File encoding, e.g. latin-1.", rich_help_panel=DATA)
]
Model = Annotated[str, typer.Option(help="single, stacked or attention.", rich_help_panel=MODEL)]
Lookback = Annotated[
    str,
    typer.Option(
        help="Input steps per window: a number; or for train, 'auto' (chosen on the validation "
        "part by the linear baseline's MAE, from 1 to 14 seasons) or candidates like 24,96,336.",
        rich_help_panel=MODEL,
    ),
]
Horizon = Annotated[int, typer.Option(min=1, help="Steps forecast at once.", rich_help_panel=MODEL)]
Units = Annotated[
    str | None,
    typer.Option(
        help="LSTM sizes: 64, or 64,32 for stacked and attention; default: the model's.",
        rich_help_panel=MODEL,
    ),
]
Dropout = Annotated[
    float | None,
    typer.Option(help="Dropout rate; default: the model's.", rich_help_panel=MODEL),
]
LinearSkip = Annotated[
    bool,
    typer.Option(
        "--linear-skip/--no-linear-skip",
        help="A linear path from the whole input window to the forecast (NLinear-style).",
        rich_help_panel=LINEAR,
    ),
]
RidgeSkip = Annotated[
    bool,
    typer.Option(
        "--ridge-skip/--no-ridge-skip",
        help="Start from the linear baseline: the linear path is its ridge fit, frozen, and "
        "the LSTM learns the rest.",
        rich_help_panel=LINEAR,
    ),
]
RecurrentLookback = Annotated[
    int | None,
    typer.Option(
        min=0,
        help="Last steps the LSTM reads (the linear path reads the whole lookback); "
        "0: the whole window; default: the model's (48).",
        rich_help_panel=MODEL,
    ),
]
Scaler = Annotated[
    str,
    typer.Option(help="standard, minmax, robust or none (fit on train).", rich_help_panel=MODEL),
]
Normalize = Annotated[
    str,
    typer.Option(
        help="Per-window normalization in the model: last, mean_std or none.",
        rich_help_panel=MODEL,
    ),
]
Season = Annotated[
    int | None,
    typer.Option(
        min=1, help="Seasonal period; default: from the frequency.", rich_help_panel=MODEL
    ),
]
Epochs = Annotated[int, typer.Option(min=1, help="Epoch limit.", rich_help_panel=TRAINING)]
Patience = Annotated[
    int,
    typer.Option(min=1, help="Epochs without a better val_loss to stop.", rich_help_panel=TRAINING),
]
Ensemble = Annotated[
    int,
    typer.Option(
        min=1,
        help="Train this many seeds (seed, seed+1, ...) and average them.",
        rich_help_panel=TRAINING,
    ),
]
ReduceLr = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Halve the learning rate after this many epochs without a better val_loss.",
        rich_help_panel=TRAINING,
    ),
]
BatchSize = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Windows per training step; default: 128, smaller for short series.",
        rich_help_panel=TRAINING,
    ),
]
Loss = Annotated[
    str, typer.Option(help="mae, mse, huber, logcosh, mape, msle.", rich_help_panel=TRAINING)
]
Optimizer = Annotated[str, typer.Option(help="adam, rmsprop, sgd, ...", rich_help_panel=TRAINING)]
Lr = Annotated[float, typer.Option("--lr", help="Learning rate.", rich_help_panel=TRAINING)]
Seed = Annotated[
    int, typer.Option(min=0, help="Random seed, for repeatable runs.", rich_help_panel=TRAINING)
]
Device = Annotated[
    str,
    typer.Option(
        help=f"{', '.join(backends.DEVICES[:-1])} or {backends.DEVICES[-1]}.",
        rich_help_panel=TRAINING,
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON only, for scripts.")]


def shared_options(
    data: DataArg,
    time_col: TimeCol = None,
    target: Target = None,
    covariates: Covariates = None,
    id_col: IdCol = None,
    fill: Fill = None,
    freq: Freq = None,
    sort: Sort = False,
    duplicates: Duplicates = "error",
    tz: Tz = None,
    sep: Sep = None,
    decimal: Decimal = None,
    encoding: Encoding = None,
    model: Model = "single",
    lookback: Lookback = "24",
    horizon: Horizon = 12,
    units: Units = None,
    dropout: Dropout = None,
    linear_skip: LinearSkip = True,
    ridge_skip: RidgeSkip = True,
    recurrent_lookback: RecurrentLookback = None,
    epochs: Epochs = 100,
    patience: Patience = 10,
    reduce_lr_patience: ReduceLr = None,
    ensemble: Ensemble = 1,
    batch_size: BatchSize = None,
    loss: Loss = "mae",
    optimizer: Optimizer = "adam",
    lr: Lr = 1e-3,
    scaler: Scaler = "standard",
    normalize: Normalize = "last",
    season: Season = None,
    seed: Seed = 0,
    device: Device = "auto",
) -> None:
    """The data and model options `train` and `backtest` share, declared once: each command
    decorated with `@with_shared_options` gets them in its `--help` and as `opts`."""


def with_shared_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give `command` the `shared_options` (before its own) and pass them as one namespace
    `opts` (`opts.horizon`, `opts.model`, ...)."""
    shared = list(inspect.signature(shared_options, eval_str=True).parameters.values())
    own = inspect.signature(command, eval_str=True).parameters.values()
    params = [*shared, *(p for p in own if p.name != "opts")]

    @functools.wraps(command)
    def run(**kwargs: Any) -> None:
        opts = SimpleNamespace(**{p.name: kwargs.pop(p.name) for p in shared})
        command(opts=opts, **kwargs)

    del run.__wrapped__  # Typer reads the signature below, not the command's own
    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    return run
