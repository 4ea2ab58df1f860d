"""The `forecast batch` command and the options `forecast batch` and `forecast tune` share
(`--engine`, `--address`); `forecast.cli` registers them. Typer and printing only: the work is
in `forecast.distributed.grid` and `forecast.distributed.tuning`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from forecast.distributed.grid import ENGINES, SEARCHES

Engine = Annotated[
    str,
    typer.Option(
        help=f"{' or '.join(ENGINES)}: in this machine's processes, or as Ray tasks on a "
        "cluster (--address)."
    ),
]
Address = Annotated[
    str | None,
    typer.Option(
        help="Ray only: 'auto' (the cluster this machine belongs to) or HOST:PORT of "
        "`ray start --head`; default: start a Ray instance here.",
    ),
]

Search = Annotated[
    str,
    typer.Option(
        help=f"Ray only: who draws the trials: {' or '.join(SEARCHES)} (Ray Tune's "
        'OptunaSearch; pip install -e ".[optuna]").'
    ),
]
PredictEngine = Annotated[
    str | None,
    typer.Option(
        help=f"{' or '.join(ENGINES)}: forecast a Parquet panel (--data a file or a folder of "
        "parts) by shards of series ids, in this process or as Ray actors (--address); "
        "--out is then a folder of Parquet parts.",
        show_default="one process, the output a table or CSV",
    ),
]
Shards = Annotated[
    int | None,
    typer.Option(
        min=1, help="With --engine: shards of series ids.", show_default="4 per Ray worker"
    ),
]
Trials = Annotated[int, typer.Option(min=1, help="Configurations tried (the default too).")]
SpaceFile = Annotated[
    Path | None, typer.Option(help="TOML file whose [space] table overrides the default space.")
]


def progress_bar(console: Console) -> Progress:
    """A rich progress bar over cells or trials, with the elapsed time and an ETA."""
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    return Progress(*columns, TimeElapsedColumn(), TimeRemainingColumn(), console=console)


def batch(
    config: Annotated[Path, typer.Argument(help="TOML grid (see examples/batch_config.toml).")],
    engine: Engine = "local",
    address: Address = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder.", show_default="`out` in the config")
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Local only: cells at once (processes).")] = 1,
    cpus: Annotated[
        float | None,
        typer.Option(
            min=0.01,
            help="CPU threads per cell (on Ray, the CPUs each task asks for).",
            show_default="1 on Ray; locally the CPUs shared by --jobs",
        ),
    ] = None,
    gpus: Annotated[float, typer.Option(min=0, help="Ray only: GPUs each cell asks for.")] = 0,
    max_retries: Annotated[
        int, typer.Option(min=0, help="Ray only: reruns of a cell whose worker died.")
    ] = 1,
) -> None:
    """Evaluate a grid of models × datasets × horizons × seeds; rank them in a leaderboard.

    Each finished cell is its own file in OUT/parts/ (written atomically by this process
    only); OUT/results.csv is assembled from them at the end, Ctrl-C included. Run the
    command again after a crash and it runs only the cells not finished, failed ones
    included. Relative data paths are relative to the current folder.
    """
    from forecast.distributed import grid
    from forecast.files import check_writable_folder

    settings = grid.read_config(config)
    folder = check_writable_folder(out or Path(settings.get("out", "runs/batch")), "out")
    grid.check_config(settings)  # the whole grid, before its first cell
    console = Console()
    with progress_bar(console) as progress:
        bar = progress.add_task("cells", total=None)

        def start(done: int, todo: int) -> None:
            progress.update(bar, total=todo)
            progress.console.print(
                f"{done} cells already in {folder}, {todo} to run ({engine})", soft_wrap=True
            )  # a long path stays whole, not broken at 80 columns

        def finished(row: dict[str, Any]) -> None:
            name = "/".join(grid.key_of(row))
            if row["status"] == grid.FAILED:
                progress.console.print(f"[red]{name} failed:[/] {row['error']}", soft_wrap=True)
            else:
                progress.console.print(f"{name}: MAE {row['MAE']:.4g} in {row['seconds']} s")
            progress.advance(bar)

        result = grid.run_grid(
            settings, folder, engine=engine, address=address, jobs=jobs, cpus=cpus,
            gpus=gpus, max_retries=max_retries, on_start=start, on_cell=finished,
        )  # fmt: skip
    for path in result.missing_paths:
        console.print(f"skipped {path}: file not found")
    console.print(result.leaderboard.read_text(), soft_wrap=True)
    console.print(f"results: {result.results}\nleaderboard: {result.leaderboard}", soft_wrap=True)
    if result.failed:
        console.print(f"[red]{result.failed} cell(s) failed[/]: run the command again to retry")
        raise typer.Exit(1)


def predict_sharded(
    run_dir: Path,
    data: Path,
    out: Path | None,
    engine: str,
    address: str | None,
    shards: int | None,
    levels: str | None,
) -> None:
    """`forecast predict --engine`: the Parquet panel by shards, one line per shard and a
    summary (`forecast.distributed.predict.predict_parts`)."""
    from forecast.distributed import predict
    from forecast.errors import ConfigError

    if out is None or str(out) == "-":
        raise ConfigError("predict --engine writes Parquet parts: give --out FOLDER", setting="out")
    if levels:
        raise ConfigError(
            "predict --engine gives point forecasts: leave out --levels", setting="levels"
        )
    console = Console()
    result = predict.predict_parts(
        run_dir, data, out, engine=engine, address=address, shards=shards,
        on_shard=lambda n, count: console.print(f"shard {n}: {count} series"),
    )  # fmt: skip
    console.print(
        f"{result.series} series in {result.shards} shards on {len(result.workers)} workers "
        f"({engine}): {result.out}",
        soft_wrap=True,
    )
