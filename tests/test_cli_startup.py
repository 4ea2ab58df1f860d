"""The command line answers `--help`, `datasets` and every path or data error before Keras
(and TensorFlow) is imported: these answers take a fraction of a second, not TensorFlow's
start-up (issue #24)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DAILY = ROOT / "data" / "synthetic_daily.csv"
BACKEND = ("tensorflow", "keras", "jax", "torch")

# Runs each command line in one fresh interpreter, in turn, and reports for each its exit
# status, its stderr and the backend modules imported so far.
PROBE = """
import contextlib, io, json, sys
import forecast.cli
found = []
for argv in json.loads(sys.argv[1]):
    sys.argv = ["forecast", *argv]
    err = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            forecast.cli.main()
        except SystemExit as exc:
            code = exc.code
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in {backend})
    found.append({{"argv": argv, "code": code, "stderr": err.getvalue(), "loaded": loaded}})
print(json.dumps(found))
"""


def _probe(commands: list[list[str]], cwd: Path) -> list[dict]:
    """Each command's exit status, stderr and the Keras-backend modules it imported."""
    code = PROBE.format(backend=set(BACKEND))
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(commands)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_help_usage_and_data_errors_do_not_import_keras(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()  # a folder that is not a saved forecaster
    commands = [
        ["--help"],
        ["train", "--help"],
        ["predict", "--help"],
        ["datasets"],
        ["train", "nope.csv"],
        ["train", str(DAILY), "--target", "nope"],
        ["train", str(DAILY), "--epochs", "zero"],  # Typer's own usage error
        ["backtest", "nope.csv"],
        ["predict", str(run), "--data", str(DAILY)],
        ["evaluate", str(tmp_path / "missing"), "--data", str(DAILY)],
        ["mnist", "train", "--help"],
    ]
    found = _probe(commands, tmp_path)
    for result in found:
        assert result["loaded"] == [], result
    codes = [r["code"] for r in found]
    assert codes == [0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 0]
    assert "data file not found: nope.csv" in found[4]["stderr"]
    assert "column" in found[5]["stderr"] and "nope" in found[5]["stderr"]
    assert "not a saved forecaster" in found[8]["stderr"]
    assert "no saved forecaster" in found[9]["stderr"]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
