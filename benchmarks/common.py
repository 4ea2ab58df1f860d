"""What the benchmark scripts share: where things are (each script's results folder), the
command line a results file shows, its date stamp, and writing a results table (`.csv`) beside
its report (`.md`).

Results live one folder per benchmark: `benchmarks/results/<benchmark>/`, the final results on
top, intermediate runs (parts combined later, quick or exploratory runs) under its `parts/`.

A script run as `python benchmarks/<script>.py` finds this module beside it (its folder is
first on `sys.path`): `from common import ROOT, command_line, write_results`.
"""

from __future__ import annotations

import datetime
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only a type here: importing this module stays cheap for child processes
    import pandas as pd

ROOT = Path(__file__).resolve().parents[1]  # the repository
DATA_DIR = "../shared/datasets"  # the public datasets, relative to the repository root
RESULTS = ROOT / "benchmarks" / "results"


def out_folder(benchmark: str) -> Path:
    """`benchmark`'s results folder, `benchmarks/results/<benchmark>/` (its `parts/` holds the
    intermediate runs), for scripts that name their files inside it (`--name parts/NAME`)."""
    return RESULTS / benchmark


def out_stem(benchmark: str, name: str | None = None, *, part: bool = False) -> str:
    """Where `benchmark` writes by default, relative to the repository and without suffix:
    `benchmarks/results/<benchmark>/<name>` (`name` defaults to `benchmark`), under the folder's
    `parts/` for an intermediate run (`part=True`: a quick run never lands on the final results).
    """
    folder = f"benchmarks/results/{benchmark}" + ("/parts" if part else "")
    return f"{folder}/{name or benchmark}"


def resolve(path: str | Path) -> Path:
    """`path` as given when it is absolute or exists from here, else under the repository."""
    given = Path(path)
    return given if given.is_absolute() or given.exists() else ROOT / given


def command_line(script: str, argv: list[str]) -> str:
    """The command that ran `benchmarks/<script>` with `argv`, as a results file shows it; a
    `--runs VALUE` pair (a report-only run's list of earlier commands) is left out."""
    shown = [a for i, a in enumerate(argv) if "--runs" not in argv[max(i - 1, 0) : i + 1]]
    return f"python benchmarks/{script} " + shlex.join(shown)


def utc_now() -> str:
    """This minute in UTC as results files date themselves: `2026-12-07T12:30 UTC`."""
    return f"{datetime.datetime.now(datetime.UTC):%Y-%m-%dT%H:%M} UTC"


def write_results(out: Path, table: pd.DataFrame, text: str, **csv: Any) -> None:
    """Write `table` to `out.csv` (`csv`: `DataFrame.to_csv` options, e.g. `float_format`) and
    the report `text` to `out.md`, creating `out`'s folder."""
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out.with_suffix(".csv"), index=False, **csv)
    out.with_suffix(".md").write_text(text)
