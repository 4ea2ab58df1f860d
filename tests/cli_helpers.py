"""What the command-line tests share: run `forecast` in-process and check a one-line error."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecast.cli import app

runner = CliRunner()
PYTHON_TERMS = ("sort=True", "fill=", "target=", "time_col=", "duplicates=", "unexpected")
DAILY = Path(__file__).resolve().parents[1] / "data" / "synthetic_daily.csv"


def invoke(*args: object) -> object:
    """`forecast ARGS...` in this process (Typer's CliRunner), stdout and stderr apart."""
    return runner.invoke(app, [str(a) for a in args])


def trained_run(factory: pytest.TempPathFactory, folder: str, *options: object) -> Path:
    """The run folder `forecast train` writes on the bundled daily data with `options`,
    under a new temporary folder named `folder` (what a test module's `run_dir` trains once)."""
    out = factory.mktemp(folder) / "daily"
    result = invoke("train", DAILY, *options, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def one_error(result: object, *needles: str) -> str:
    """The command failed with status 2 and printed exactly one `error: ...` line holding
    every needle and no Python argument spelling (`sort=True`, `fill=`, ...)."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    for python in PYTHON_TERMS:
        assert python not in lines[0], lines[0]
    return lines[0]
