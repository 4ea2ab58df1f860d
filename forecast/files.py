"""How the toolkit writes files: atomic files, JSON that is JSON, folder commits, folder locks.

- `atomic_write(path, write)`: a reader (or a crash) never sees half a file.
- `json_text(value)`: numbers that are not finite become `null`; the text always parses.
- `commit_files(folder, staged, owned)`: replace a set of files inside `folder` all at once.
  The new files are staged in `folder/.saving/`, then a `COMMIT` list (the commit point) is
  written, then they are moved into place. A process killed before `COMMIT` leaves the old
  files untouched; one killed after leaves a list that `recover_folder` (run by the next
  command) finishes. Files the caller does not name in `owned` are never touched.
- `FolderLock(folder)`: one writer per folder, `folder/.lock` naming the holder (pid, host).
  The lock is an `fcntl.flock` on that file, so the kernel releases it when the holder dies:
  a lock file left by a dead process is taken over without a race.

This module imports nothing but the standard library and `forecast.errors`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from forecast.errors import ConfigError, ForecastError, OutputError

STAGING = ".saving"  # inside the folder being saved
COMMIT = "COMMIT"  # inside STAGING: the list of files to move in and to remove
LOCK = ".lock"  # inside the folder: pid, host and command of the process writing it


# ---------------------------------------------------------------------- files and JSON
def atomic_write(path: str | os.PathLike, write: Callable[[Path], Any]) -> Path:
    """Call `write(tmp)` on a temporary sibling of `path`, then rename it over `path`.

    The one way the toolkit writes a file: a reader (or a crash) never sees half a file. The
    temporary name keeps the suffix (`x.tmp.keras`), since Keras checks it.
    """
    path = Path(path)
    tmp = path.with_name(f"{path.stem}.tmp{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to `path` atomically (see `atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_text(text))


def check_output_file(
    path: str | os.PathLike, setting: str = "out", inputs: Iterable[Any] = ()
) -> Path:
    """Refuse, before any work, an output file that cannot be written or must not be.

    Args:
        path: the file to write.
        setting: the option that named it, for the message (`out`).
        inputs: files the same command reads: writing over one would lose it.

    Raises:
        OutputError: for a directory, a path under a file, a folder this user cannot write
            in, or one of `inputs`.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(
            f"{setting} {path} is a folder; give a file name (e.g. {path / 'forecast.csv'})",
            setting=setting,
        )
    for given in inputs:
        if isinstance(given, (str, os.PathLike)) and _same_file(path, Path(given)):
            raise OutputError(
                f"{setting} {path} is the input file {given}: writing there would replace "
                "the data; choose another file name",
                setting=setting,
            )
    _check_writable_place(path, path.absolute().parents, setting)
    return path


def check_writable_folder(folder: str | os.PathLike, setting: str = "out") -> Path:
    """Refuse, before any work, an output folder that is a file, lies under a file or
    cannot be written in (checked on its nearest existing folder).

    Raises:
        OutputError: naming `setting` and the reason.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(
            f"{setting} {folder} is a file; choose a folder name (e.g. runs/NAME)",
            setting=setting,
        )
    where = folder.absolute()
    _check_writable_place(folder, (where, *where.parents), setting)
    return folder


def _check_writable_place(path: Path, candidates: Iterable[Path], setting: str) -> None:
    """OutputError when the nearest existing folder among `candidates` (the path itself or
    its parents, nearest first) is a file or cannot be written in."""
    existing = next(p for p in candidates if p.exists())
    if not existing.is_dir():
        raise OutputError(f"{setting} {path} lies under {existing}, a file", setting=setting)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(
            f"{setting} {path}: cannot write in {existing} (permission denied); choose "
            "another folder",
            setting=setting,
        )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.absolute() == b.absolute()


def write_output(
    path: str | os.PathLike, write: Callable[[Path], Any], setting: str = "out"
) -> Path:
    """`atomic_write` into `path` (its folder created), an OSError said in one line: the
    disk full, no permission. The earlier file at `path`, if any, is kept whole on failure.

    Raises:
        OutputError: when the file cannot be written; nothing earlier was replaced.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write(path, write)
    except OutputError:
        raise
    except OSError as exc:
        kept = " (the earlier file is kept)" if path.is_file() else ""
        raise OutputError(
            f"{setting} {path} could not be written: {_reason(exc)}{kept}; free space or "
            "choose another folder",
            setting=setting,
        ) from None


def write_text_output(path: str | os.PathLike, text: str, setting: str = "out") -> Path:
    """`write_output` of `text`, flushed to the disk (fsync) before the rename: a file that a
    later run resumes from (a grid's parts, a search table) is whole after a power cut too."""

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    return write_output(path, write, setting)


def is_write_failure(exc: BaseException) -> bool:
    """Whether `exc` is the system refusing a write (a full disk, no permission, a read-only
    file system), not one of the toolkit's own errors."""
    return isinstance(exc, OSError) and not isinstance(exc, ForecastError) and bool(exc.errno)


def _reason(exc: OSError) -> str:
    return (os.strerror(exc.errno) if exc.errno else str(exc) or type(exc).__name__).lower()


def jsonable(value: Any) -> Any:
    """`value` with every non-finite float (NaN, inf; NumPy scalars too) as None, NumPy
    scalars and arrays as Python numbers and lists, tuples and sets as lists, mapping keys
    as strings."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()  # NumPy scalars and arrays
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    return value


def json_text(value: Any, indent: int | None = 2) -> str:
    """Valid JSON for `value` (see `jsonable`; anything else unknown becomes its `str`).

    Dumped with `allow_nan=False`, so a bare `NaN` can never reach a file or a script.
    """
    return json.dumps(jsonable(value), indent=indent, default=str, allow_nan=False)


# ---------------------------------------------------------------------- folder commits
@contextlib.contextmanager
def staged_commit(
    folder: str | os.PathLike, owned: Iterable[str], what: str = "folder"
) -> Iterator[Path]:
    """`with staged_commit(folder, owned) as tmp:` write the new files into `tmp`; when the
    block ends they replace the old ones in `folder` as one commit (`commit_files`). An
    error in the block removes `tmp` and leaves `folder` as it was. The folder is locked
    (`FolderLock`) throughout.
    """
    with FolderLock(folder, what=what):
        staged = staging_folder(folder)
        try:
            yield staged
            commit_files(folder, owned)
        except BaseException as exc:
            if (staged / COMMIT).exists():  # committed: the next recover_folder finishes it
                raise
            shutil.rmtree(staged, ignore_errors=True)
            if is_write_failure(exc):  # a full disk, no permission: one line, nothing replaced
                raise OutputError(
                    f"{what} {folder} could not be written: {_reason(exc)}; the earlier files "
                    "are kept; free space or choose another folder"
                ) from None
            raise


def staging_folder(folder: str | os.PathLike) -> Path:
    """A fresh, empty `folder/.saving/` to write the new files into (leftovers recovered
    first); created with the user's umask."""
    folder = Path(folder)
    recover_folder(folder)
    staged = folder / STAGING
    staged.mkdir(parents=True)
    return staged


def commit_files(folder: str | os.PathLike, owned: Iterable[str]) -> None:
    """Move every file staged in `folder/.saving/` into `folder`, and remove the `owned`
    names that were not staged (a plot of the previous model, say), as one step: once the
    `COMMIT` list is written, the next `recover_folder` finishes an interrupted move.

    Args:
        folder: the folder being saved.
        owned: the names the caller writes; any other file in `folder` is left alone.
    """
    staged = Path(folder) / STAGING
    names = sorted(p.name for p in staged.iterdir())
    plan = {"replace": names, "remove": sorted(set(owned) - set(names))}
    atomic_write_text(staged / COMMIT, json.dumps(plan))  # the commit point
    _finish(Path(folder))


def _finish(folder: Path) -> None:
    """Carry out `folder/.saving/COMMIT` (again, if interrupted), then remove `.saving`."""
    staged = folder / STAGING
    plan = json.loads((staged / COMMIT).read_text())
    for name in plan["replace"]:
        if (staged / name).exists():
            os.replace(staged / name, folder / name)
    for name in plan["remove"]:
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    shutil.rmtree(staged)


def recover_folder(folder: str | os.PathLike) -> str | None:
    """Finish or undo a save that was interrupted in `folder` (every reader and writer calls
    it first; a save that a live process is making, under its lock, is left alone).

    Returns "finished" (the new files had been committed: they are moved into place),
    "discarded" (killed while writing them: the old files were never touched) or None.
    A lock file left by a dead process is removed.
    Sibling folders `.NAME.saving-*` / `.NAME.old-*` left by earlier versions of the toolkit
    are recovered too: an `old` one is put back when the folder is missing, else removed.
    """
    folder = Path(folder)
    done = _recover_siblings(folder)
    if not ((folder / STAGING).is_dir() or (folder / LOCK).exists()):
        return done
    try:  # a lock file left by a dead process is taken over, and removed on release
        lock = FolderLock(folder).acquire()
    except ConfigError:  # a live writer: the staged files are its save in progress
        return done
    except OSError:  # a folder this user may only read: leave it to its owner
        return done
    try:
        return _recover_staged(folder) if (folder / STAGING).is_dir() else done
    finally:
        lock.release()


def _recover_staged(folder: Path) -> str:
    staged = folder / STAGING
    try:
        json.loads((staged / COMMIT).read_text())
    except (OSError, ValueError):  # no (complete) commit list: the save never committed
        shutil.rmtree(staged)
        return "discarded"
    _finish(folder)
    return "finished"


def _recover_siblings(folder: Path) -> str | None:
    """The swap-folder saves of earlier versions: `.NAME.old-*` (the previous run, moved
    aside) and `.NAME.saving-*` (a new one never moved in)."""
    if not folder.name or not folder.parent.is_dir():
        return None
    olds = sorted(folder.parent.glob(f".{folder.name}.old-*"), key=lambda p: p.stat().st_mtime)
    news = list(folder.parent.glob(f".{folder.name}.saving-*"))
    if not olds and not news:
        return None
    if olds and not folder.exists():
        try:
            os.replace(olds.pop(), folder)
        except FileNotFoundError:  # another reader put it back first
            pass
    for leftover in olds + news:
        shutil.rmtree(leftover, ignore_errors=True)
    return "finished"


# ---------------------------------------------------------------------- lock
def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text())
        return f"pid {info['pid']} on {info['host']} (since {info['since']}: {info['command']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


_HELD: dict[str, int] = {}  # folders this process has locked -> how many holders inside it


class FolderLock:
    """One writer at a time in `folder`: `with FolderLock(folder): ...`.

    Taking it writes `folder/.lock` (pid, host, start time, command line); a second process
    is refused at once with a `ConfigError` naming the holder. The lock is an `fcntl.flock`
    on that file, which the kernel releases when its holder exits or is killed, so a lock
    file left behind by a dead process is simply taken over. Within one process the lock is
    re-entrant (a save inside a locked training run).

    Args:
        folder: the folder to lock (created with the user's umask if missing).
        what: the folder's role in the message ("run folder").
        setting: the setting that named the folder (`out`), for the error.
    """

    def __init__(self, folder: str | os.PathLike, what: str = "folder", setting: str | None = None):
        self.folder = Path(folder)
        self.path = self.folder / LOCK
        self.what = what
        self.setting = setting
        self._fd: int | None = None
        self._key = os.path.realpath(self.folder)
        self._nested = False

    def acquire(self) -> FolderLock:
        """Take the lock or raise ConfigError naming its holder; returns self."""
        import fcntl

        self.folder.mkdir(parents=True, exist_ok=True)
        if _HELD.get(self._key):
            _HELD[self._key] += 1
            self._nested = True
            return self
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise ConfigError(
                    f"{self.setting or self.what} {self.folder} is in use by "
                    f"{_holder(self.path)}; wait for it to finish or choose another folder",
                    setting=self.setting,
                ) from None
            try:  # the file may have been unlinked by a holder releasing it just now
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": time.strftime("%Y-%m-%d %H:%M:%S"),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        }
        os.ftruncate(fd, 0)
        os.write(fd, (json.dumps(info) + "\n").encode())
        self._fd = fd
        _HELD[self._key] = 1
        return self

    def release(self) -> None:
        """Remove the lock file and let go (idempotent)."""
        if self._nested:
            _HELD[self._key] -= 1
            self._nested = False
            return
        if self._fd is None:
            return
        _HELD.pop(self._key, None)
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)  # closing releases the flock
            self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()
