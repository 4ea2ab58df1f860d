"""The `forecast` command line: a thin Typer layer over `Forecaster` and `forecast.runs`.

Commands: train, evaluate, predict, backtest, datasets, info, and the `mnist` sub-app. Keras and
TensorFlow are imported inside the commands, so `forecast --help` is fast. Every
`ForecastError` becomes one `error: ...` line on stderr and exit status 2 (`--debug` shows the
traceback instead); any other exception is reported in one line with exit status 1.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from forecast import backends, tables
from forecast._version import __version__
from forecast.backends import quiet_backend_logs  # noqa: F401  (kept for compatibility)
from forecast.errors import ConfigError, ForecastError
from forecast.vision.cli import errors_reported_above, mnist_app, report_error


class ForecastGroup(TyperGroup):
    """Turns errors from any command (sub-apps included) into one line on stderr."""

    def invoke(self, ctx: typer.Context) -> Any:
        mounted = errors_reported_above.set(True)  # sub-apps leave their errors to this group
        try:
            return super().invoke(ctx)
        except ForecastError as exc:
            if backends.debug_enabled():
                raise
            report_error(exc)
        except BrokenPipeError:  # stdout piped into `head` and closed early: stop quietly
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError):
                pass
            raise typer.Exit(1) from None
        except Exception as exc:
            # Typer's (and Click's) own signals: usage errors, Exit, Abort.
            own_signal = hasattr(exc, "exit_code") or isinstance(exc, typer.Abort)
            if backends.debug_enabled() or own_signal:
                raise
            report_error(exc)
        finally:
            errors_reported_above.reset(mounted)


app = typer.Typer(
    cls=ForecastGroup,
    help="LSTM time-series forecasting on Keras 3, measured against honest baselines.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(mnist_app, name="mnist")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"forecast {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of an error.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            help="Keras backend for this command: tensorflow, jax (faster LSTM training on "
            "CPU) or torch. Same as setting KERAS_BACKEND.",
            show_default="$KERAS_BACKEND, else tensorflow",
        ),
    ] = None,
) -> None:
    """Train, evaluate and use LSTM forecasters; every score is shown beside the baselines."""
    backends.set_debug(debug)
    if backend is not None:
        backends.use_backend(backend)
    backends.quiet_backend_logs()


# ---------------------------------------------------------------------- shared options
DataArg = Annotated[Path, typer.Argument(help="CSV file with a time column and the series.")]
RunDirArg = Annotated[Path, typer.Argument(help="A run folder written by `forecast train`.")]
DataOpt = Annotated[Path, typer.Option("--data", help="CSV file with the same columns.")]
TimeCol = Annotated[
    str | None, typer.Option(help="Time column; default: one named date, time, month, ...")
]
Target = Annotated[
    str | None, typer.Option(help="Column to forecast; default: the only numeric column.")
]
Covariates = Annotated[
    str | None, typer.Option(help="Extra input columns, comma-separated (e.g. HUFL,HULL).")
]
IdCol = Annotated[str | None, typer.Option(help="Series id column, for many series in one file.")]
Fill = Annotated[
    str | None, typer.Option(help="Missing values: interpolate, ffill or drop; default: error.")
]
Freq = Annotated[
    str | None, typer.Option(help="Pandas frequency (h, D, MS...); default: inferred.")
]
Model = Annotated[str, typer.Option(help="single, stacked or attention.")]
Lookback = Annotated[
    str,
    typer.Option(
        help="Input steps per window: a number; or for train, 'auto' (chosen on the validation "
        "part by the linear baseline's MAE, from 1 to 14 seasons) or candidates like 24,96,336."
    ),
]
Horizon = Annotated[int, typer.Option(min=1, help="Steps forecast at once.")]
Units = Annotated[
    str | None,
    typer.Option(help="LSTM sizes: 64, or 64,32 for stacked/attention; default: the model's."),
]
Dropout = Annotated[float | None, typer.Option(help="Dropout rate; default: the model's.")]
Epochs = Annotated[int, typer.Option(min=1, help="Epoch limit.")]
Patience = Annotated[int, typer.Option(min=1, help="Epochs without a better val_loss to stop.")]
Ensemble = Annotated[
    int,
    typer.Option(min=1, help="Train this many seeds (seed, seed+1, ...) and average them."),
]
ReduceLr = Annotated[
    int | None,
    typer.Option(
        min=1, help="Halve the learning rate after this many epochs without a better val_loss."
    ),
]
BatchSize = Annotated[
    int | None,
    typer.Option(min=1, help="Windows per training step; default: 128, smaller for short series."),
]
LinearSkip = Annotated[
    bool,
    typer.Option(
        "--linear-skip/--no-linear-skip",
        help="Add a linear path from the whole input window to the forecast (NLinear-style).",
    ),
]
RidgeSkip = Annotated[
    bool,
    typer.Option(
        "--ridge-skip/--no-ridge-skip",
        help="Start from the linear baseline: the linear path is its ridge fit, frozen, and "
        "the LSTM learns the rest.",
    ),
]
RecurrentLookback = Annotated[
    int | None,
    typer.Option(
        min=0,
        help="Last steps the LSTM reads (the linear path reads the whole lookback); "
        "0: the whole window; default: the model's (48).",
    ),
]
Loss = Annotated[str, typer.Option(help="mae, mse, huber, logcosh, mape, msle.")]
Optimizer = Annotated[str, typer.Option(help="adam, rmsprop, sgd, ...")]
Lr = Annotated[float, typer.Option("--lr", help="Learning rate.")]
Scaler = Annotated[str, typer.Option(help="standard, minmax, robust or none (fit on train).")]
SeriesScaling = Annotated[
    str, typer.Option(help="Many series: one scaler over all (global) or one each (per_series).")
]
Normalize = Annotated[
    str, typer.Option(help="Per-window normalization in the model: last, mean_std or none.")
]
Season = Annotated[
    int | None, typer.Option(min=1, help="Seasonal period; default: from the frequency.")
]
Seed = Annotated[int, typer.Option(min=0, help="Random seed, for repeatable runs.")]
Device = Annotated[
    str, typer.Option(help=f"{', '.join(backends.DEVICES[:-1])} or {backends.DEVICES[-1]}.")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON only, for scripts.")]


def _verbosity(quiet: bool) -> int:
    """Keras's progress bar on a terminal, one line per epoch into a pipe or file."""
    return 0 if quiet else 1 if sys.stdout.isatty() else 2


def _names(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _model_options(
    model: str,
    units: str | None,
    dropout: float | None,
    linear_skip: bool = True,
    recurrent_lookback: int | None = None,
) -> dict[str, Any]:
    from forecast.models import get_builder

    get_builder(model)
    options: dict[str, Any] = {}
    if units is not None:
        try:
            sizes = tuple(int(u) for u in units.split(","))
        except ValueError:
            sizes = ()
        if not sizes or min(sizes) < 1:
            raise ConfigError(f"--units must be positive integers like 64 or 64,32, got {units!r}")
        options["units"] = sizes[0] if model == "single" and len(sizes) == 1 else sizes
    if dropout is not None:
        options["dropout"] = dropout
    if not linear_skip:
        options["linear_skip"] = False
    if recurrent_lookback is not None:
        options["recurrent_lookback"] = recurrent_lookback or None
    return options


def _load(data: Path, **roles: Any) -> Any:
    from forecast.series import load_series

    return load_series(data, **roles)


def _parse_test(test: str | None, test_start: str | None) -> Any:
    if test is not None and test_start is not None:
        raise ConfigError("give --test or --test-start, not both")
    if test_start is not None:
        return test_start
    if test is None:
        return None
    try:
        value = float(test)
    except ValueError:
        value = math.nan
    if 0 < value < 1:
        return value
    if value >= 1 and value.is_integer():
        return int(value)
    raise ConfigError(
        f"--test must be a fraction like 0.2 or a row count like 48, got {test!r} "
        "(for a date use --test-start)"
    )


def _parse_lookback(text: str) -> int | list[int] | None:
    """`--lookback`: a number, "auto" (None: the default candidates) or a list like 24,96."""
    text = str(text).strip().lower()
    if text == "auto":
        return None
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ConfigError(
            f"--lookback must be a positive number, 'auto' or numbers like 24,96,336; got {text!r}"
        )
    return int(parts[0]) if len(parts) == 1 else [int(p) for p in parts]


def _shared_options(
    data: DataArg,
    time_col: TimeCol = None,
    target: Target = None,
    covariates: Covariates = None,
    id_col: IdCol = None,
    fill: Fill = None,
    freq: Freq = None,
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
    series_scaling: SeriesScaling = "global",
    normalize: Normalize = "last",
    season: Season = None,
    seed: Seed = 0,
    device: Device = "auto",
) -> None:
    """The data and model options `train` and `backtest` share, declared once: each command
    decorated with `@_with_shared_options` gets them in its `--help` and as `opts`."""


def _with_shared_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give `command` the `_shared_options` (before its own) and pass them as one namespace
    `opts` (`opts.horizon`, `opts.model`, ...)."""
    shared = list(inspect.signature(_shared_options, eval_str=True).parameters.values())
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


def _forecaster(opts: SimpleNamespace, wanted: int | list[int] | None, verbose: int) -> Any:
    """A Forecaster configured from the shared options, its settings checked; `wanted` is the
    parsed `--lookback`: for `auto` (None) or a list, the lookback is the shortest candidate
    until one is chosen."""
    from forecast.forecaster import Forecaster

    forecaster = Forecaster(
        model=opts.model, lookback=wanted if isinstance(wanted, int) else min(wanted or [1]),
        horizon=opts.horizon, target=opts.target, covariates=_names(opts.covariates),
        time_col=opts.time_col, id_col=opts.id_col, freq=opts.freq, fill=opts.fill,
        scaler=opts.scaler, series_scaling=opts.series_scaling, normalize=opts.normalize,
        ridge_skip=opts.ridge_skip,
        epochs=opts.epochs, patience=opts.patience, reduce_lr_patience=opts.reduce_lr_patience,
        batch_size=opts.batch_size, loss=opts.loss, optimizer=opts.optimizer,
        learning_rate=opts.lr, seed=opts.seed, device=opts.device, season=opts.season,
        ensemble=opts.ensemble, verbose=verbose,
        model_options=_model_options(
            opts.model, opts.units, opts.dropout, opts.linear_skip, opts.recurrent_lookback
        ) or None,
    )  # fmt: skip
    forecaster.check_settings()
    return forecaster


def _series(opts: SimpleNamespace) -> Any:
    """Choose the device, start the backend, load the data (after every option is checked)."""
    backends.select_device(opts.device)
    backends.start_backend()
    return _load(
        opts.data, time_col=opts.time_col, target=opts.target,
        covariates=_names(opts.covariates), id_col=opts.id_col, freq=opts.freq, fill=opts.fill,
    )  # fmt: skip


def _split_spec(
    split: str | None, train_end: str | None, val_end: str | None, sizes: tuple = (None, None)
) -> Any:
    """`--split`, `--train-end` / `--val-end` or `--test-size` / `--val-size` as a
    `forecast.windowing.SplitSpec`."""
    from forecast.windowing import SplitSpec, parse_fractions

    if sizes[0] is not None or sizes[1] is not None:
        if split is not None or train_end or val_end:
            raise ConfigError("give --test-size or --split / --train-end, not both")
        return SplitSpec(test_size=sizes[0], val_size=sizes[1])
    if split is not None and (train_end or val_end):
        raise ConfigError("give either --split or --train-end and --val-end, not both")
    if (train_end is None) != (val_end is None):
        raise ConfigError("--train-end and --val-end go together: give both timestamps")
    if train_end is not None:
        return SplitSpec(train_end=train_end, val_end=val_end)
    return SplitSpec(parse_fractions(split or "0.6,0.2,0.2", "--split"))


# ---------------------------------------------------------------------- train
@app.command()
@_with_shared_options
def train(
    opts: SimpleNamespace,
    split: Annotated[
        str | None,
        typer.Option(
            help="Train, validation and test fractions, in time order.",
            show_default="0.6,0.2,0.2",
        ),
    ] = None,
    train_end: Annotated[
        str | None, typer.Option(help="Instead of --split: last training timestamp.")
    ] = None,
    val_end: Annotated[
        str | None, typer.Option(help="With --train-end: last validation timestamp.")
    ] = None,
    last_test: Annotated[  # not `test_size`: backtest's --test-size means a fold's block
        int | None,
        typer.Option("--test-size", min=1, help="The last rows of each series are the test."),
    ] = None,
    last_val: Annotated[
        int | None, typer.Option("--val-size", min=0, help="With --test-size: rows before it.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Run folder to write.", show_default="runs/<data name>-<model>"),
    ] = None,
    plots: Annotated[bool, typer.Option(help="Write forecast.png, history.png, ...")] = True,
    plot_series: Annotated[
        str | None,
        typer.Option(
            "--series",
            help="Many series: ids to plot, comma-separated.",
            show_default="the first 3",
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Train a forecaster, score it on the test slice beside the baselines, save a run folder.

    The split is chronological; validation and test windows look back into the rows before
    them. Checkpoints go to OUT/.train until the run is saved: run the same command again
    after a crash and it resumes from the last finished epoch.
    """
    from forecast import runs
    from forecast.windowing import split_series

    spec = _split_spec(split, train_end, val_end, (last_test, last_val))
    wanted = _parse_lookback(opts.lookback)
    forecaster = _forecaster(opts, wanted, verbose=_verbosity(quiet))
    console = Console()
    say = (lambda *_: None) if quiet else functools.partial(console.print, soft_wrap=True)
    series = _series(opts)
    ids = _names(plot_series) or None
    for key in (k for k in ids or [] if not isinstance(series, dict) or k not in series):
        raise ConfigError(f"--series {key!r} is not a series id of the data (see --id-col)")
    choice = None
    if not isinstance(wanted, int):
        try:
            choice = forecaster.choose_lookback(series, val=spec, candidates=wanted)
        except ConfigError as exc:
            if exc.setting != "val":
                raise
            raise ConfigError(
                "--lookback auto needs a validation part: give --split with a validation "
                "fraction (e.g. 0.6,0.2,0.2), --train-end and --val-end, or --val-size"
            ) from None
        forecaster.set_params(lookback=choice.lookback)
    parts = split_series(series, spec, context=forecaster.lookback)
    out = out or Path("runs") / f"{opts.data.stem}-{opts.model}"
    say(tables.data_line(opts.data, series, parts))
    if choice is not None:
        say(f"chose  {choice.summary()}")
    result = runs.train_and_save(forecaster, parts, out, data=str(opts.data), log=say)
    fitted = forecaster.fit_result_
    console.print(tables.fit_summary(forecaster, fitted, result.seconds), soft_wrap=True)
    heading = f"test   {result.report.n_windows} windows × {opts.horizon} steps, in original units"
    tables.print_report(console, result.report, heading, opts.model)
    written = sorted(p.name for p in out.iterdir())
    if plots:
        written += [
            p.name for p in runs.save_plots(forecaster, series, out, parts.evaluate_test, ids)
        ]
    console.print(f"saved {out}: {', '.join(dict.fromkeys(written))}", soft_wrap=True)


# ---------------------------------------------------------------------- evaluate / predict
@app.command()
def evaluate(
    run_dir: RunDirArg,
    data: DataOpt,
    test: Annotated[
        str | None,
        typer.Option(
            help="Score the last fraction (0.2) or rows (48) of the data.",
            show_default="the test start saved at training",
        ),
    ] = None,
    test_start: Annotated[str | None, typer.Option(help="Score from this timestamp on.")] = None,
    as_json: AsJson = False,
) -> None:
    """Score a saved forecaster on data, beside the naive, seasonal-naive, mean and linear
    baselines."""
    from forecast import runs

    wanted = _parse_test(test, test_start)
    backends.start_backend()
    forecaster, report, used = runs.evaluate_run(run_dir, data, test=wanted)
    if as_json:
        tables.echo_json(
            {"run_dir": str(run_dir), "data": str(data), "test": used, **report.to_dict()}
        )
        return
    heading = f"{data} scored from {used}: {report.n_windows} windows × {forecaster.horizon} steps"
    tables.print_report(Console(), report, heading, forecaster.model)


@app.command()
def predict(
    run_dir: RunDirArg,
    data: DataOpt,
    out: Annotated[
        Path | None, typer.Option(help="Write a CSV here ('-' for stdout) instead of a table.")
    ] = None,
) -> None:
    """Forecast the `horizon` steps after the end of the data."""
    import pandas as pd

    from forecast.forecaster import Forecaster

    backends.start_backend()
    forecaster = Forecaster.load(run_dir)
    preds = forecaster.predict(data)
    if isinstance(preds, dict):
        by = {k: v.attrs.get("method", "model") for k, v in preds.items()}
        for k in [k for k, m in by.items() if m != "model"][:1]:  # say so, on stderr
            typer.echo(f"{sum(m != 'model' for m in by.values())} of {len(by)} series forecast "
                       f"by a fallback, e.g. {k!r} by {by[k]}", err=True)  # fmt: skip
        preds = pd.concat(preds, names=["series"]).reset_index(level=0)
    if out is not None:
        text = preds.to_csv(index_label=preds.index.name or "time")
        if str(out) == "-":
            typer.echo(text, nl=False)
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        typer.echo(f"wrote {len(preds)} forecasts to {out}")
        return
    console = Console()
    console.print(f"next {forecaster.horizon} steps after the end of {data}", soft_wrap=True)
    table = Table()
    table.add_column(preds.index.name or "time")
    for col in preds.columns:
        table.add_column(str(col), justify="left" if col == "series" else "right")
    for stamp, row in preds.iterrows():
        table.add_row(
            tables.when(stamp), *(v if isinstance(v, str) else tables.num(v) for v in row)
        )
    console.print(table)


# ---------------------------------------------------------------------- backtest
@app.command()
@_with_shared_options
def backtest(
    opts: SimpleNamespace,
    folds: Annotated[int, typer.Option(min=1, help="Test blocks at the end of the data.")] = 5,
    mode: Annotated[
        str, typer.Option(help="expanding (train from the start) or sliding (fixed length).")
    ] = "expanding",
    refit_every: Annotated[
        int, typer.Option(min=0, help="Retrain every k folds; 0 trains once.")
    ] = 1,
    test_size: Annotated[
        int | None,
        typer.Option(min=1, help="Rows per test block.", show_default="20% of rows / folds"),
    ] = None,
    val: Annotated[
        float, typer.Option(help="Validation fraction of each fold's training rows.")
    ] = 0.2,
    as_json: AsJson = False,
    quiet: Quiet = False,
) -> None:
    """Rolling-origin backtest: train, test on the next block, move the origin, repeat."""
    wanted = _parse_lookback(opts.lookback)
    if not isinstance(wanted, int):
        raise ConfigError("backtest takes one --lookback number ('auto' and lists are for train)")
    forecaster = _forecaster(opts, wanted, _verbosity(quiet or as_json))
    series = _series(opts)
    result = forecaster.backtest(
        series, folds=folds, test_size=test_size, mode=mode, refit_every=refit_every, val=val
    )
    if as_json:
        summary = result.summary.reset_index().to_dict(orient="records")
        tables.echo_json({"summary": summary, "folds": result.folds.to_dict(orient="records")})
        return
    console = Console()
    console.print(f"backtest of {opts.data}: mean over {folds} folds ({mode})", soft_wrap=True)
    for table in tables.metrics_tables(result.summary, opts.model):
        console.print(table)
    frame = next(iter(series.values())) if isinstance(series, dict) else series
    first = result.folds.iloc[0]
    size = frame.index.get_loc(first["test_end"]) - frame.index.get_loc(first["test_start"]) + 1
    console.print(tables.folds_table(result.folds, mode, size))


# ---------------------------------------------------------------------- datasets / info
@app.command()
def datasets() -> None:
    """The bundled datasets and the shared public ones found on this machine."""
    from forecast import series

    console = Console()
    for table in tables.datasets_tables(series.bundled_datasets(), series.public_datasets()):
        console.print(table)
    console.print(
        "train on one: forecast train ../shared/datasets/AirPassengers.csv "
        "--time-col Month --target Passengers",
        soft_wrap=True,
    )


@app.command()
def info(as_json: AsJson = False) -> None:
    """Versions, backend, visible GPUs, and whether the default LSTM will use cuDNN."""
    from forecast import models

    backends.start_backend()
    env = models.environment()
    if as_json:
        tables.echo_json(env)
        return
    table = Table(title="forecast environment", title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    for key in ("forecast", "python", "keras", "backend", "tensorflow", "jax", "torch"):
        if env[key] is not None:
            table.add_row(key, env[key])
    table.add_row("CUDA_VISIBLE_DEVICES", str(env["CUDA_VISIBLE_DEVICES"] or "(unset)"))
    table.add_row("visible GPUs", ", ".join(env["gpus"]) or "none")
    eligible = env["default_model_cudnn_eligible"]
    table.add_row(
        "default LSTM cuDNN-eligible",
        "yes" if eligible else "no: " + "; ".join(env["cudnn_problems"]),
    )
    table.add_row(
        "default LSTM uses cuDNN",
        "yes" if env["uses_cudnn"] else "no (no GPU visible)" if eligible else "no",
    )
    if env["speed_hint"]:
        table.add_row("faster CPU training", env["speed_hint"])
    Console().print(table)


def main() -> None:
    """Console entry point (`forecast`)."""
    backends.set_debug("--debug" in sys.argv[1:])
    backends.quiet_backend_logs()
    app()


if __name__ == "__main__":
    main()
