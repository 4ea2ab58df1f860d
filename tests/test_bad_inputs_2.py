"""Issue #26, the bad-input catalogue's second round: each case with its exact input, giving
the right result or one `error:` line with exit status 2 (`cli_helpers.one_error`).

Output files survive a kill and a full disk (the earlier file whole, or the new one complete);
day-first dates are read as such; silent wrong results and tracebacks become one clear line.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import invoke, one_error

ROOT = Path(__file__).resolve().parents[1]
DAILY = ROOT / "data" / "synthetic_daily.csv"
AEP = ROOT.parent / "shared" / "datasets" / "AEP_hourly.csv"
TINY = ["--lookback", "14", "--horizon", "7", "--epochs", "1", "--units", "4"]
TINY += ["--batch-size", "256", "--quiet", "--no-plots"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder trained once (1 epoch, 4 units) on the bundled daily data."""
    out = tmp_path_factory.mktemp("bad2") / "daily"
    result = invoke("train", DAILY, *TINY, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def last_error(result: object, *needles: str) -> str:
    """Exit 2, and the last stderr line the one `error:` line (after the load report lines
    `predict --out` prints on stderr), with no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert [x for x in lines if x.startswith("error: ")] == lines[-1:], result.stderr
    assert "Traceback" not in result.output and "unexpected" not in lines[-1]
    for needle in needles:
        assert needle in lines[-1], lines[-1]
    return lines[-1]


def _half_then(fail: BaseException | None):
    """A `Path.write_text` that writes half the text, then raises `fail` (None: SIGKILL)."""

    def write_text(self: Path, text: str, *args: object, **kwargs: object) -> int:
        with open(self, "w") as fh:
            fh.write(text[: len(text) // 2])
            fh.flush()
        if fail is None:
            os.kill(os.getpid(), signal.SIGKILL)
        raise fail

    return write_text


# ---------------------------------------------------------------------- data loss: predict --out
def test_predict_out_disk_full_keeps_the_earlier_file(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preds = tmp_path / "preds.csv"
    assert invoke("predict", run_dir, "--data", DAILY, "--out", preds).exit_code == 0
    good = preds.read_text()
    monkeypatch.setattr(Path, "write_text", _half_then(OSError(errno.ENOSPC, "No space")))
    line = last_error(invoke("predict", run_dir, "--data", DAILY, "--out", preds), "--out")
    assert "no space left on device" in line and "earlier file is kept" in line
    assert preds.read_text() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preds.csv"]  # no temporary left


@pytest.mark.slow
def test_predict_out_killed_while_writing_keeps_the_earlier_file(
    run_dir: Path, tmp_path: Path
) -> None:
    preds = tmp_path / "preds.csv"
    assert invoke("predict", run_dir, "--data", DAILY, "--out", preds).exit_code == 0
    good = preds.read_text()
    script = (
        "import sys, pathlib, test_bad_inputs_2 as t\n"
        "pathlib.Path.write_text = t._half_then(None)\n"
        "from forecast.cli import main\n"
        f"sys.argv = ['forecast', 'predict', {str(run_dir)!r}, '--data', {str(DAILY)!r}, "
        f"'--out', {str(preds)!r}]\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert preds.read_text() == good


def test_predict_out_onto_its_own_data_file_is_refused(run_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_bytes(DAILY.read_bytes())
    one_error(invoke("predict", run_dir, "--data", data, "--out", data), "--out", "input file")
    assert data.read_bytes() == DAILY.read_bytes()


def test_predict_out_an_existing_folder_is_refused(run_dir: Path, tmp_path: Path) -> None:
    one_error(invoke("predict", run_dir, "--data", DAILY, "--out", tmp_path), "is a folder")


def test_predict_out_in_a_read_only_folder_is_one_line(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m, **k: Path(p) != locked and real(p, m, **k))
    one_error(
        invoke("predict", run_dir, "--data", DAILY, "--out", locked / "p.csv"),
        "permission denied",
    )
    # and when the check passes but the write itself is refused (root, a network share, ...)
    monkeypatch.setattr(os, "access", real)
    monkeypatch.setattr(Path, "write_text", _half_then(PermissionError(errno.EACCES, "denied")))
    last_error(
        invoke("predict", run_dir, "--data", DAILY, "--out", locked / "p.csv"),
        "permission denied",
    )
    assert not (locked / "p.csv").exists()
