"""Specification of forecast/files.py: valid JSON, folder commits that survive SIGKILL at
every step, and the folder lock (one writer; a dead holder's lock is taken over)."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from forecast import files
from forecast.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
OWNED = ("a.txt", "b.txt", "c.txt", "plot.png")
OLD = {"a.txt": "old a", "b.txt": "old b", "plot.png": "old plot"}
NEW = {"a.txt": "new a", "b.txt": "new b", "c.txt": "new c"}  # the plot is not re-made
USER = {"NOTES.md": "mine", "predictions.csv": "t,y"}

# Saves OLD -> NEW (argv[4]; owned names argv[3]) in argv[1], SIGKILLed at the argv[2]-th
# step: each write of a staged file and each os.replace / os.unlink / os.mkdir /
# shutil.rmtree call is a step.
SAVER = textwrap.dedent(
    """
    import json, os, shutil, signal, sys
    from pathlib import Path
    from forecast import files

    folder, kill_at, steps = Path(sys.argv[1]), int(sys.argv[2]), [0]
    owned, new = json.loads(sys.argv[3]), json.loads(sys.argv[4])

    def step():
        steps[0] += 1
        if steps[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def hooked(real):
        def call(*args, **kwargs):
            step()
            return real(*args, **kwargs)
        return call

    os.replace, os.unlink, os.mkdir = map(hooked, (os.replace, os.unlink, os.mkdir))
    shutil.rmtree = hooked(shutil.rmtree)
    with files.staged_commit(folder, owned) as tmp:
        for name, text in new.items():
            step()
            (tmp / name).write_text(text)
    print("saved after", steps[0], "steps")
    """
)


def _contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir()}


def _fill(folder: Path) -> None:
    folder.mkdir()
    for name, text in {**OLD, **USER}.items():
        (folder / name).write_text(text)


# ------------------------------------------------------------------ JSON
def test_json_text_writes_null_for_nan_and_infinity_and_is_valid_json() -> None:
    value = {"a": math.nan, "b": [np.float32("inf"), 1.5], "c": np.int64(2), 3: (np.nan,)}
    text = files.json_text(value)
    assert json.loads(text, parse_constant=pytest.fail) == {
        "a": None,
        "b": [None, 1.5],
        "c": 2,
        "3": [None],
    }


# ------------------------------------------------------------------ commits
@pytest.mark.slow
def test_a_save_killed_at_any_step_leaves_the_old_or_the_new_files_complete(
    tmp_path: Path,
) -> None:
    """SIGKILL at every step of a save: after the next command's `recover_folder`, the
    folder holds exactly the old files or exactly the new ones, the user's files
    untouched, and no leftovers (`.saving`, `.lock`)."""
    outcomes, kill_at = [], 1
    while True:
        folder = tmp_path / f"run{kill_at}"
        _fill(folder)
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                SAVER,
                str(folder),
                str(kill_at),
                *map(json.dumps, (OWNED, NEW)),
            ],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        killed = done.returncode == -signal.SIGKILL
        assert killed or done.returncode == 0, done.stderr
        files.recover_folder(folder)  # what the next command does first
        found = _contents(folder)
        assert found in ({**OLD, **USER}, {**NEW, **USER}), (kill_at, found)
        outcomes.append("new" if found == {**NEW, **USER} else "old")
        if not killed:
            break
        kill_at += 1
    assert outcomes[-1] == "new" and "old" in outcomes and outcomes.count("new") > 1
    assert outcomes == sorted(outcomes, key=["old", "new"].index)  # old until the commit


def test_an_error_while_staging_leaves_the_old_files(tmp_path: Path) -> None:
    _fill(tmp_path / "run")
    with pytest.raises(OSError, match="disk full"):
        with files.staged_commit(tmp_path / "run", OWNED) as tmp:
            (tmp / "a.txt").write_text("half")
            raise OSError("disk full")
    assert _contents(tmp_path / "run") == {**OLD, **USER}


# ------------------------------------------------------------------ lock
HOLDER = textwrap.dedent(
    """
    import sys, time
    from forecast import files
    with files.FolderLock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(60)
    """
)


@pytest.mark.slow
def test_a_second_writer_is_refused_naming_the_holder(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError) as caught:
            files.FolderLock(folder, what="run folder", setting="out").acquire()
        message = str(caught.value)
        assert f"pid {holder.pid} on {socket.gethostname()}" in message
        assert "in use" in message and caught.value.setting == "out"
        assert files.recover_folder(folder) is None and (folder / files.LOCK).exists()
    finally:
        holder.kill()
        holder.wait()
    with files.FolderLock(folder):  # the holder died: its lock is free again
        assert json.loads((folder / files.LOCK).read_text())["pid"] == os.getpid()
    assert not (folder / files.LOCK).exists()


def test_a_lock_file_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    dead = {"pid": 999999, "host": socket.gethostname(), "since": "then", "command": "x"}
    (folder / files.LOCK).write_text(json.dumps(dead))
    with files.FolderLock(folder):
        assert json.loads((folder / files.LOCK).read_text())["pid"] == os.getpid()
        with files.FolderLock(folder):  # re-entrant within one process
            pass
        assert (folder / files.LOCK).exists()
    assert not (folder / files.LOCK).exists()
    (folder / files.LOCK).write_text(json.dumps(dead))
    files.recover_folder(folder)  # the next command removes it
    assert not (folder / files.LOCK).exists()
