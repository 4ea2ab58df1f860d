"""The options of the `forecast` command line: the data, model and training options that
`train` and `backtest` share (`shared_options`, grouped into `--help` panels that fit an
80-column terminal), and the few others the commands take.

Each option of a Forecaster setting takes its default and the values its `--help` lists from
the library's one declaration, `forecast.settings.SETTINGS` (`OPTION_NAMES`: the options named
otherwise, e.g. `--lr` for `learning_rate`; `CLI_DEFAULTS`: the defaults the command line
chooses otherwise); `tests/test_cli.py` holds them equal.

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

from forecast.cli_errors import OPTION_NAMES
from forecast.settings import DEFAULTS, SPLIT, choices, one_of

CLI_DEFAULTS = {"horizon": 12}  # the command line's own defaults (the library's horizon is 1)

DataArg = Annotated[Path, typer.Argument(help="CSV file with a time column and the series.")]
RunDirArg = Annotated[Path, typer.Argument(help="A run folder written by `forecast train`.")]
DataOpt = Annotated[Path, typer.Option("--data", help="CSV file with the same columns.")]
# The --help panels: options grouped so that `forecast train --help` fits 80 columns.
data_option = functools.partial(typer.Option, rich_help_panel="Data")
model_option = functools.partial(typer.Option, rich_help_panel="Model")
linear_option = functools.partial(typer.Option, rich_help_panel="Linear path")
training_option = functools.partial(typer.Option, rich_help_panel="Training")
TimeCol = Annotated[
    str | None,
    data_option(
        help="Time column; default: one named date, time, month, ... or holding timestamps."
    ),
]
Target = Annotated[
    str | None,
    data_option(
        help="Column(s) to forecast: OT, or HUFL,OT (one model for both); default: the "
        "only numeric one."
    ),
]
Covariates = Annotated[
    str | None,
    data_option(help="Extra input columns, comma-separated: HUFL,HULL."),
]
FutureCovariates = Annotated[
    str | None,
    data_option(
        help="Columns known for the horizon too (plans, weather forecasts), comma-separated; "
        "predict reads them from the rows after the last target value."
    ),
]
Calendar = Annotated[
    str,
    data_option(
        help=f"{one_of('calendar')}: hour/weekday/yearday sin/cos from the timestamps, read "
        "ahead; on: always, auto: on or off by validation; yearday from 2 training years."
    ),
]
Holidays = Annotated[
    str | None,
    data_option(help="Country code (US, GB, DE...): a public-holiday column, read ahead."),
]
IdCol = Annotated[
    str | None,
    data_option(help="Series id column, for many series in one file."),
]
Fill = Annotated[
    str | None,
    data_option(
        help="Missing values: interpolate, ffill or drop (at the ends only); default: error."
    ),
]
Freq = Annotated[
    str | None,
    data_option(help="Pandas frequency (h, D, MS...); default: inferred."),
]
Sort = Annotated[bool, data_option("--sort", help="Sort rows by time (else: error).")]
Duplicates = Annotated[
    str,
    data_option(help="Repeated timestamps: error, or merge by mean, sum, first or last."),
]
Tz = Annotated[
    str | None,
    data_option(help="Zone of naive local times (Europe/Berlin); offsets like +02:00 need none."),
]
Sep = Annotated[
    str | None,
    data_option(help="CSV separator; default: sniffed (, ; tab |)."),
]
Decimal = Annotated[
    str | None,
    data_option(help="Decimal mark; default: sniffed (. or ,)."),
]
Encoding = Annotated[str | None, data_option(help="File encoding, e.g. latin-1.")]
Dayfirst = Annotated[
    bool | None,
    data_option(
        "--dayfirst/--monthfirst",
        help="Read 01-02-2020 as 1 Feb / as 2 Jan; default: from the values.",
        show_default=False,
    ),
]
DateFormat = Annotated[str | None, data_option(help="Time column format, e.g. '%d.%m.%Y %H:%M'.")]
Model = Annotated[str, model_option(help=f"{one_of('model')}.")]
Lookback = Annotated[
    str,
    model_option(
        help="Input steps per window: a number; 'auto' (chosen on the validation part by the "
        "linear baseline's MAE, from 1 to 14 seasons; 48 without a validation part; backtest "
        "chooses once, before its first test block); or for train candidates like 24,96,336."
    ),
]
Horizon = Annotated[int, model_option(min=1, help="Steps forecast at once.")]
Units = Annotated[
    str | None,
    model_option(help="LSTM sizes: 64, or 64,32 for stacked and attention; default: the model's."),
]
Dropout = Annotated[
    float | None,
    model_option(help="Dropout rate; default: the model's."),
]
LinearSkip = Annotated[
    bool,
    linear_option(
        "--linear-skip/--no-linear-skip",
        help="A linear path from the whole input window to the forecast (NLinear-style).",
    ),
]
RidgeSkip = Annotated[
    bool,
    linear_option(
        "--ridge-skip/--no-ridge-skip",
        help="Start from the linear baseline: the linear path is its ridge fit, frozen, and "
        "the LSTM learns the rest.",
    ),
]
RecurrentLookback = Annotated[
    int | None,
    model_option(
        min=0,
        help="Last steps the LSTM reads (the linear path reads the whole lookback); "
        "0: the whole window; default: the model's (48).",
    ),
]
Scaler = Annotated[
    str,
    model_option(help=f"{one_of('scaler')} (fit on train)."),
]
SeriesScaling = Annotated[
    str,
    model_option(
        help="Many series: mean (each divided by its mean level: scale-free), per_series (each "
        "by --scaler on its own rows), diff (each by its mean seasonal change) or global (one "
        "scaler over all)."
    ),
]
Normalize = Annotated[
    str,
    model_option(help=f"Per-window normalization in the model: {one_of('normalize')}."),
]
Season = Annotated[
    str | None,
    model_option(
        help="Seasonal period(s), e.g. 24 or 24,168; default: from the frequency (hourly: 24,"
        "168). Seasonal naive and MASE use the shortest."
    ),
]
Epochs = Annotated[int, training_option(min=1, help="Epoch limit.")]
Patience = Annotated[
    int,
    training_option(min=1, help="Epochs without a better val_loss to stop."),
]
Ensemble = Annotated[
    int,
    training_option(min=1, help="Train this many seeds (seed, seed+1, ...) and average them."),
]
ReduceLr = Annotated[
    int | None,
    training_option(
        min=1, help="Halve the learning rate after this many epochs without a better val_loss."
    ),
]
BatchSize = Annotated[
    int | None,
    training_option(
        min=1, help="Windows per training step; default: 128, smaller for short series."
    ),
]
WindowsPerEpoch = Annotated[
    int | None,
    training_option(
        min=1, help="Windows an epoch trains on, drawn anew each epoch; default: all of them."
    ),
]
Loss = Annotated[str, training_option(help=f"{one_of('loss')} (quantile: quantile heads).")]
Quantiles = Annotated[
    str | None,
    training_option(
        help="With --loss quantile: the quantiles, with 0.5 and pairs q, 1-q.",
        show_default="0.025,0.1,0.5,0.9,0.975",
    ),
]
Optimizer = Annotated[str, training_option(help=f"{one_of('optimizer')}.")]
Lr = Annotated[float, training_option(f"--{OPTION_NAMES['learning_rate']}", help="Learning rate.")]
Seed = Annotated[int, training_option(min=0, help="Random seed, for repeatable runs.")]
Device = Annotated[
    str,
    training_option(help=f"{one_of('device')}."),
]
DataParallel = Annotated[
    bool,
    training_option(
        f"--{choices('distribution')[1].replace('_', '-')}",
        help="Train on every visible GPU (else CPU device), batches split.",
    ),
]
Intervals = Annotated[
    str,
    model_option(
        help="Prediction intervals: auto (the mode that holds on late validation windows), "
        "conformal (validation errors), adaptive, raw (quantile heads uncorrected), none."
    ),
]
ValOrigins = Annotated[
    str,
    training_option(
        help="Validation windows per series: 1 (the part as cut), a number or auto (horizon): "
        "the last training rows join the validation part, origins one row apart.",
    ),
]
Refit = Annotated[
    bool,
    training_option(
        "--refit",
        help="After the choices on validation, train the model again on the training and "
        "validation rows for the chosen epoch count.",
    ),
]
Guard = Annotated[
    str,
    model_option(
        help="Series the model loses on to seasonal naive or the linear baseline on "
        "validation: auto (fallback where a series has at least horizon and 24 validation "
        "windows, else report), report (count them), fallback (the baseline forecasts them) or "
        "combine (the mean of both)."
    ),
]
Combination = Annotated[
    str,
    model_option(
        help="Blend the model with seasonal naive and the linear baseline, weights chosen on "
        "the validation windows: auto (in a panel, per series with at least horizon and 24 "
        "validation windows; the model alone elsewhere), none (the model alone), panel (one "
        "set for every series) or series."
    ),
]
Split = Annotated[
    str | None,
    typer.Option(
        help="Train, validation and test fractions, in time order.",
        show_default=",".join(f"{x:g}" for x in SPLIT),
    ),
]
TestSize = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Test rows: for train, the last N of each series (instead of --split); for "
        "backtest, each test block (default: 20% of rows / folds).",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON only, for scripts.")]


def shared_options(
    data: DataArg,
    time_col: TimeCol = DEFAULTS.time_col,
    target: Target = DEFAULTS.target,
    covariates: Covariates = None,
    future_covariates: FutureCovariates = None,
    calendar: Calendar = DEFAULTS.calendar,
    holidays: Holidays = DEFAULTS.holidays,
    id_col: IdCol = DEFAULTS.id_col,
    fill: Fill = DEFAULTS.fill,
    freq: Freq = DEFAULTS.freq,
    sort: Sort = False,
    duplicates: Duplicates = "error",
    tz: Tz = None,
    sep: Sep = None,
    decimal: Decimal = None,
    encoding: Encoding = None,
    dayfirst: Dayfirst = None,
    date_format: DateFormat = None,
    model: Model = DEFAULTS.model,
    lookback: Lookback = DEFAULTS.lookback,
    horizon: Horizon = CLI_DEFAULTS["horizon"],
    units: Units = None,
    dropout: Dropout = None,
    linear_skip: LinearSkip = True,
    ridge_skip: RidgeSkip = DEFAULTS.ridge_skip,
    recurrent_lookback: RecurrentLookback = None,
    epochs: Epochs = DEFAULTS.epochs,
    patience: Patience = DEFAULTS.patience,
    reduce_lr_patience: ReduceLr = DEFAULTS.reduce_lr_patience,
    ensemble: Ensemble = DEFAULTS.ensemble,
    batch_size: BatchSize = DEFAULTS.batch_size,
    windows_per_epoch: WindowsPerEpoch = DEFAULTS.windows_per_epoch,
    loss: Loss = DEFAULTS.loss,
    quantiles: Quantiles = DEFAULTS.quantiles,
    optimizer: Optimizer = DEFAULTS.optimizer,
    lr: Lr = DEFAULTS.learning_rate,
    scaler: Scaler = DEFAULTS.scaler,
    series_scaling: SeriesScaling = DEFAULTS.series_scaling,
    normalize: Normalize = DEFAULTS.normalize,
    season: Season = DEFAULTS.season,
    seed: Seed = DEFAULTS.seed,
    device: Device = DEFAULTS.device,
    data_parallel: DataParallel = False,
    intervals: Intervals = DEFAULTS.intervals,
    guard: Guard = DEFAULTS.guard,
    combination: Combination = DEFAULTS.combination,
    val_origins: ValOrigins = str(DEFAULTS.val_origins),
    refit: Refit = DEFAULTS.refit,
) -> None:
    """The data and model options `train` and `backtest` share, declared once: each command
    decorated with `@with_shared_options` gets them in its `--help` and as `opts`."""


def with_shared_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give `command` the `shared_options` (before its own; a `typer.Context` first) and pass
    them as one namespace `opts` (`opts.horizon`, `opts.model`, ...)."""
    shared = list(inspect.signature(shared_options, eval_str=True).parameters.values())
    own = list(inspect.signature(command, eval_str=True).parameters.values())
    context = [p for p in own if p.annotation is typer.Context]
    params = [*context, *shared, *(p for p in own if p.name != "opts" and p not in context)]

    @functools.wraps(command)
    def run(**kwargs: Any) -> None:
        opts = SimpleNamespace(**{p.name: kwargs.pop(p.name) for p in shared})
        command(opts=opts, **kwargs)

    del run.__wrapped__  # Typer reads the signature below, not the command's own
    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    return run
