"""The `forecast` command line: a thin Typer layer over `Forecaster` and `forecast.runs`.

Commands: train, evaluate, predict, backtest, batch, tune, datasets, info, and the `mnist`
sub-app. Keras and TensorFlow are imported inside the commands, after the options, paths and
data are checked: `--help`, `datasets` and every usage or data error answer without them. Every
`ForecastError` becomes one `error: ...` line on stderr and exit status 2 (`--debug` shows the
traceback before it, the exit status unchanged); any other exception is reported in one line
with exit status 1.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

import typer
from rich.console import Console

from forecast import backends, tables
from forecast._version import __version__
from forecast.cli_errors import SETTING_NAMES, ForecastGroup, as_option, one_line
from forecast.cli_options import (
    AsJson,
    DataOpt,
    Quiet,
    RunDirArg,
    Split,
    TestSize,
    with_shared_options,
)
from forecast.distributed import cli as distributed_cli
from forecast.errors import ConfigError, ForecastWarning
from forecast.quantiles import check_quantiles
from forecast.vision.cli import mnist_app

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


# ---------------------------------------------------------------------- output
def _stdout(line: str) -> None:
    typer.echo(line)


def _stderr(line: str) -> None:
    typer.echo(line, err=True)


@contextlib.contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """Each `ForecastWarning` raised inside as one `warning: ...` line on stderr, in the
    command line's terms; other warnings pass on as usual."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        yield
    for w in caught:
        if issubclass(w.category, ForecastWarning):
            _stderr(f"warning: {as_option(one_line(w.message), None)}")
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def _verbosity(quiet: bool) -> int:
    """Keras's progress bar on a terminal, one line per epoch into a pipe or file."""
    return 0 if quiet else 1 if sys.stdout.isatty() else 2


def _names(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _targets(text: str | None) -> str | list[str] | None:
    """`--target`: None (from the data), one column, or several (`a,b`)."""
    names = _names(text)
    return names[0] if len(names) == 1 else names or None


def _known_future(opts: SimpleNamespace) -> bool:
    """Whether known-future inputs are on: the rows after the last target value are kept."""
    from forecast.known_future import is_used

    return is_used(_names(opts.future_covariates), opts.calendar, opts.holidays)


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
        if model == "single" and len(sizes) > 1:
            raise ConfigError(
                f"--model single has one LSTM layer, so one --units number; for layers of "
                f"{units} use --model stacked"
            )
        options["units"] = sizes[0] if model == "single" and len(sizes) == 1 else sizes
    if dropout is not None:
        options["dropout"] = dropout
    if not linear_skip:
        options["linear_skip"] = False
    if recurrent_lookback is not None:
        options["recurrent_lookback"] = recurrent_lookback or None
    return options


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


def _first_lookback(wanted: int | list[int] | None) -> int | str:
    """The lookback the Forecaster starts from: "auto" for None, the shortest candidate of a
    list."""
    return "auto" if wanted is None else wanted if isinstance(wanted, int) else min(wanted)


def _forecaster(opts: SimpleNamespace, wanted: int | list[int] | None, verbose: int) -> Any:
    """A Forecaster configured from the shared options, its settings checked; `wanted` is the
    parsed `--lookback`: `auto` (None) stays "auto"; for a list, the lookback is the shortest
    candidate until one is chosen."""
    from forecast.forecaster import Forecaster
    from forecast.panel import check_val_origins
    from forecast.seasons import as_setting

    first = _first_lookback(wanted)
    forecaster = Forecaster(
        model=opts.model, lookback=first,
        horizon=opts.horizon, target=_targets(opts.target), covariates=_names(opts.covariates),
        future_covariates=_names(opts.future_covariates), calendar=opts.calendar,
        holidays=opts.holidays,
        time_col=opts.time_col, id_col=opts.id_col, freq=opts.freq, fill=opts.fill,
        load_options=_load_options(opts).extra() or None, scaler=opts.scaler,
        series_scaling=opts.series_scaling, normalize=opts.normalize, ridge_skip=opts.ridge_skip,
        epochs=opts.epochs, patience=opts.patience, reduce_lr_patience=opts.reduce_lr_patience,
        batch_size=opts.batch_size, loss=opts.loss, optimizer=opts.optimizer,
        windows_per_epoch=opts.windows_per_epoch,
        quantiles=None if opts.quantiles is None else check_quantiles(opts.quantiles),
        learning_rate=opts.lr, seed=opts.seed, device=opts.device, season=as_setting(opts.season),
        ensemble=opts.ensemble, verbose=verbose, intervals=opts.intervals, guard=opts.guard,
        combination=opts.combination, refit=opts.refit,
        val_origins=check_val_origins(opts.val_origins),
        distribution="data_parallel" if opts.data_parallel else None,
        model_options=_model_options(
            opts.model, opts.units, opts.dropout, opts.linear_skip, opts.recurrent_lookback
        ) or None,
    )  # fmt: skip
    forecaster.check_settings()
    return forecaster


def _load_options(opts: SimpleNamespace) -> Any:
    """The data options as one `forecast.series.LoadOptions` (future covariates loaded after
    the past ones; the rows after the last target value kept with known-future inputs)."""
    from forecast.series import LoadOptions

    return LoadOptions(
        time_col=opts.time_col, target=_targets(opts.target), id_col=opts.id_col,
        covariates=_names(opts.covariates) + _names(opts.future_covariates), freq=opts.freq,
        fill=opts.fill, sort=opts.sort, duplicates=opts.duplicates, tz=opts.tz, sep=opts.sep,
        decimal=opts.decimal, encoding=opts.encoding, future_rows=_known_future(opts),
        dayfirst=opts.dayfirst, date_format=opts.date_format,
    )  # fmt: skip


def _series(
    opts: SimpleNamespace, say: Callable[..., None], lookback: int | str, quiet: bool = False
) -> Any:
    """Choose the device, then `forecast.runs.load_data`: load the data, `say` what loading
    decided (not when `quiet`) and changed, refuse data too short for one window. Keras is
    not imported: a data error is reported before the backend starts (`_forecaster` and
    `backends.start_backend` come after)."""
    from forecast import runs

    backends.select_device(opts.device)

    def said(series: Any) -> None:
        for line in tables.load_lines(series, time=not quiet):
            say(line)

    return runs.load_data(opts.data, _load_options(opts), lookback, opts.horizon, said)


def _split_spec(
    split: str | None, train_end: str | None, val_end: str | None, sizes: tuple = (None, None)
) -> Any:
    """`--split`, `--train-end` / `--val-end` or `--test-size` / `--val-size` as a
    `forecast.splits.SplitSpec`."""
    from forecast.splits import SplitSpec, parse_fractions

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
    return SplitSpec(parse_fractions(split, "--split")) if split else SplitSpec()


# ---------------------------------------------------------------------- train
@app.command()
@with_shared_options
def train(
    ctx: typer.Context,
    opts: SimpleNamespace,
    split: Split = None,
    train_end: Annotated[
        str | None, typer.Option(help="Instead of --split: last training timestamp.")
    ] = None,
    val_end: Annotated[
        str | None, typer.Option(help="With --train-end: last validation timestamp.")
    ] = None,
    test_size: TestSize = None,
    val_size: Annotated[
        int | None, typer.Option(min=0, help="With --test-size: rows before it for validation.")
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
    from_run: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Continue training this saved run (its settings, scaler, weights) on DATA; "
            "only --epochs, --patience, --reduce-lr-patience, --batch-size, --device apply.",
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Train a forecaster, score it on the test slice beside the baselines, save a run folder.

    The split is chronological; validation and test windows look back into the rows before
    them. Checkpoints go to OUT/.train until the run is saved: run the same command again
    after a crash (or Ctrl-C) and it resumes from the last finished epoch. OUT is locked
    while it is written; a re-save keeps the files in it that the toolkit did not write.
    """
    from forecast import runs

    wanted = _parse_lookback(opts.lookback) if from_run is None else None
    out = out or Path("runs") / f"{opts.data.stem}-{opts.model}"
    with runs.run_folder(out):
        if from_run is None:  # the data first: its errors come before Keras starts
            series = _series(opts, _stdout, _first_lookback(wanted), quiet)
        spec = _split_spec(split, train_end, val_end, (test_size, val_size))
        if from_run is None:
            forecaster = _forecaster(opts, wanted, verbose=_verbosity(quiet))
            backends.start_backend()
        else:  # the options given on the command line, in the library's names
            given = {SETTING_NAMES.get(k, k): v for k, v in vars(opts).items()
                     if k != "data" and ctx.get_parameter_source(k).name != "DEFAULT"}  # fmt: skip
            backends.select_device(opts.device)
            backends.start_backend()
            given["verbose"] = _verbosity(quiet)
            forecaster, series = runs.continue_from(from_run, opts.data, given)
            wanted = forecaster.lookback_
        from forecast.series_set import keyed

        ids, frames = _names(plot_series) or None, keyed(series)
        for key in (k for k in ids or [] if frames.lone or k not in frames):
            raise ConfigError(f"--series {key!r} is not a series id of the data (see --id-col)")
        candidates = wanted if isinstance(wanted, list) else None
        _train(opts, forecaster, series, spec, out, (candidates, plots, ids), quiet)


def _train(
    opts: SimpleNamespace, forecaster: Any, series: Any, spec: Any, out: Path,
    how: tuple[list[int] | None, bool, list[str] | None], quiet: bool,
) -> None:  # fmt: skip
    """`forecast.runs.train` inside the locked run folder, and what it says; Ctrl-C says how
    to resume. `how`: the lookback candidates, whether to plot, the series ids to plot."""
    candidates, plots, ids = how
    from forecast import runs

    console = Console()
    say = (lambda *_: None) if quiet else functools.partial(console.print, soft_wrap=True)
    try:
        result = runs.train(
            forecaster, series, spec, out, candidates=candidates, data=str(opts.data),
            plots=plots, plot_series=ids, log=say,
            on_split=lambda parts: say(tables.data_line(opts.data, series, parts)),
        )  # fmt: skip
    except KeyboardInterrupt:
        typer.echo(runs.interrupted_message(out), err=True)
        raise typer.Exit(130) from None
    fitted = forecaster.fit_result_
    console.print(tables.fit_summary(forecaster, fitted, result.seconds), soft_wrap=True)
    if getattr(forecaster, "calendar_choice_", None) is not None:
        say(forecaster.calendar_choice_.summary())
    if getattr(forecaster, "guard_", None) is not None:
        say(forecaster.guard_.summary())
    if getattr(forecaster, "combination_", None) is not None:
        say(forecaster.combination_.summary())
    if getattr(forecaster, "refit_epochs_", None) is not None:
        say(f"refit: trained again on the training and validation rows for the chosen "
            f"{forecaster.refit_epochs_} epochs")  # fmt: skip
    n, horizon = result.report.n_windows, forecaster.horizon
    heading = f"test   {n} windows × {horizon} steps, in original units"
    tables.print_report(console, result.report, heading, forecaster.model)
    console.print(f"saved {out}: {', '.join(dict.fromkeys(result.written))}", soft_wrap=True)


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
    from forecast.artifacts import read_config
    from forecast.reading import check_file

    wanted = _parse_test(test, test_start)
    read_config(run_dir)  # the run folder and the data file are checked before Keras starts
    check_file(data)
    backends.start_backend()
    with _warnings_as_lines():
        sink = _stderr if as_json else _stdout
        run = runs.evaluate_run(run_dir, data, test=wanted, log=lambda x: sink(f"load   {x}"))
    forecaster, report, used = run
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
    levels: Annotated[
        str | None, typer.Option(help="Interval levels like 80,95: lo-80, hi-80, ... columns.")
    ] = None,
    engine: distributed_cli.PredictEngine = None,
    address: distributed_cli.Address = None,
    shards: distributed_cli.Shards = None,
) -> None:
    """Forecast the `horizon` steps after the end of the data (with --levels, intervals)."""
    from forecast.artifacts import read_config
    from forecast.reading import check_file

    read_config(run_dir)  # the run folder and the data file are checked before Keras starts
    check_file(data)
    import pandas as pd

    from forecast import files
    from forecast.forecaster import Forecaster

    if engine is not None:  # a Parquet panel by shards of series ids, here or on Ray
        distributed_cli.predict_sharded(run_dir, data, out, engine, address, shards, levels)
        return
    if out is not None and str(out) != "-":  # before any work: never over the data itself
        files.check_output_file(out, "out", inputs=[data])
    backends.start_backend()
    forecaster = Forecaster.load(run_dir)
    series = forecaster.collection(data)
    for line in tables.load_lines(series):
        (_stdout if out is None else _stderr)(line)
    with _warnings_as_lines():
        preds = forecaster.predict(series, levels=levels)
    if not series.lone:  # {id: frame}
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
        files.write_output(out, lambda tmp: tmp.write_text(text))  # atomic: old or new file
        typer.echo(f"wrote {len(preds)} forecasts to {out}")
        return
    console = Console()
    console.print(f"next {forecaster.horizon} steps after the end of {data}", soft_wrap=True)
    lone = forecaster.columns_[0] if forecaster.n_targets_ == 1 else None  # lo-80, not OT-lo-80
    console.print(tables.forecast_table(preds, lone))


# ---------------------------------------------------------------------- backtest
@app.command()
@with_shared_options
def backtest(
    opts: SimpleNamespace,
    folds: Annotated[int, typer.Option(min=1, help="Test blocks at the end of the data.")] = 5,
    mode: Annotated[
        str, typer.Option(help="expanding (train from the start) or sliding (fixed length).")
    ] = "expanding",
    refit_every: Annotated[
        int, typer.Option(min=0, help="Retrain every k folds; 0 trains once.")
    ] = 1,
    test_size: TestSize = None,
    val: Annotated[
        float, typer.Option(help="Validation fraction of each fold's training rows.")
    ] = 0.2,
    as_json: AsJson = False,
    quiet: Quiet = False,
) -> None:
    """Rolling-origin backtest: train, test on the next block, move the origin, repeat."""
    wanted = _parse_lookback(opts.lookback)
    if isinstance(wanted, list):
        raise ConfigError("backtest takes one --lookback number or auto (lists are for train)")
    series = _series(opts, _stderr if as_json else _stdout, _first_lookback(wanted))
    forecaster = _forecaster(opts, wanted, _verbosity(quiet or as_json))
    backends.start_backend()
    result = forecaster.backtest(
        series, folds=folds, test_size=test_size, mode=mode, refit_every=refit_every, val=val
    )
    if as_json:
        summary = result.summary.reset_index().to_dict(orient="records")
        found = {"summary": summary, "folds": result.folds.to_dict(orient="records")}
        if result.interval_summary is not None:
            found["intervals"] = result.interval_summary.reset_index().to_dict(orient="records")
        tables.echo_json(found)
        return
    console = Console()
    console.print(f"backtest of {opts.data}: mean over {folds} folds ({mode})", soft_wrap=True)
    for table in tables.metrics_tables(result.summary, opts.model):
        console.print(table)
    from forecast.series_set import keyed

    frame = next(iter(keyed(series).values()))
    first = result.folds.iloc[0]
    size = frame.index.get_loc(first["test_end"]) - frame.index.get_loc(first["test_start"]) + 1
    console.print(tables.folds_table(result.folds, mode, size))
    if result.interval_summary is not None:
        console.print(tables.intervals_table(result.interval_summary, opts.model))


# ---------------------------------------------------------------------- batch / tune
app.command()(distributed_cli.batch)  # forecast.distributed: grids here or on Ray


@app.command()
@with_shared_options
def tune(
    opts: SimpleNamespace,
    trials: distributed_cli.Trials = 12,
    engine: distributed_cli.Engine = "ray",
    address: distributed_cli.Address = None,
    space: distributed_cli.SpaceFile = None,
    search: distributed_cli.Search = "random",
    split: Split = None,
    cpus: Annotated[float, typer.Option(min=0.01, help="Ray only: CPUs per trial.")] = 1,
    out: Annotated[
        Path | None,
        typer.Option(help="Run folder for the winner.", show_default="runs/<data>-tuned"),
    ] = None,
) -> None:
    """Search lookback, model, units, dropout, learning rate, normalize and loss on the
    validation part (Ray Tune with ASHA, or --engine local); train the winner, score its test
    part once and save it as a run folder with search.csv. Trial 0 is the options given."""
    from forecast import runs

    out = runs.check_output_folder(out or Path("runs") / f"{opts.data.stem}-tuned")  # first
    wanted = _parse_lookback(opts.lookback)
    if not isinstance(wanted, int):
        raise ConfigError("tune takes one --lookback number (trial 0's); the search tries others")
    series = _series(opts, _stdout, wanted, quiet=True)
    spec = _split_spec(split, None, None)
    forecaster = _forecaster(opts, wanted, verbose=0)
    from forecast.distributed import tuning  # imports Keras: after the data is checked

    chosen = tuning.read_space(space) if space is not None else None
    backends.start_backend()
    console = Console()
    with distributed_cli.progress_bar(console) as bar:
        show = tables.trial_line(bar, bar.add_task("trials", total=trials))
        try:
            result = tuning.tune(
                forecaster, series, spec, out, trials=trials, space=chosen, engine=engine,
                address=address, cpus=cpus, search=search, data=str(opts.data), on_trial=show,
            )  # fmt: skip
        except tuning.TuneInterrupted as stopped:  # Ctrl-C: the trials that ended are kept
            bar.console.print(str(stopped), soft_wrap=True)
            raise typer.Exit(130) from None
    tables.print_search(console, result, out)


# ---------------------------------------------------------------------- datasets / info
@app.command()
def datasets() -> None:
    """The bundled datasets and the shared public ones found on this machine."""
    from forecast import catalogue

    console = Console()
    for title, found in (
        ("Bundled datasets (data/)", catalogue.bundled_datasets()),
        ("Public datasets (../shared/datasets)", catalogue.public_datasets()),
    ):
        console.print(tables.datasets_table(title, found) if found else f"{title}: none found")
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
    Console().print(tables.environment_table(env))


def main() -> None:
    """Console entry point (`forecast`)."""
    backends.set_debug("--debug" in sys.argv[1:])
    backends.quiet_backend_logs()
    backends.lean_keras_import()  # no scikit-learn, matplotlib for Keras's unused wrappers
    app()


if __name__ == "__main__":
    main()
