"""Reading and guarding the files flowwiz rewrites: only regular files, one writer at a time.

``read_text`` looks at what a path is BEFORE opening it: opening a FIFO for reading blocks until
someone writes to it, and a device (a symlink to /dev/null) would be "read" as empty and then
replaced. ``write_lock`` serialises flowwiz's writers of one file, so the check "the file is
still what was read" and the rename that follows cannot interleave with another flowwiz.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from flowwiz.detectors.errors import ProjectFileError, UserError, WorldError


def check_regular(path: Path) -> os.stat_result | None:
    """The stat of the file ``path`` names (a symlink followed); None when nothing is there.

    Raises UserError for anything but a regular file (FIFO, device, socket, directory), named
    with what it is, and for a symlink that points nowhere."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise UserError(
                f"{path.name} is a symlink to {path.readlink()}, which does not exist; "
                "create the file it points to or remove the link"
            ) from None
        return None
    except OSError as exc:
        raise WorldError(f"could not read {path}: {exc.strerror or type(exc).__name__}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = _kind(info.st_mode)
        via = f" (through the symlink to {os.path.realpath(path)})" if path.is_symlink() else ""
        raise UserError(
            f"{path.name} is {kind}{via}, not a regular file; flowwiz reads and "
            "writes only regular files"
        )
    return info


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def read_text(path: Path) -> str | None:
    """The file's text exactly as stored (CRLF kept); None if absent. UTF-8 only."""
    if check_regular(path) is None:
        return None
    try:
        # O_NONBLOCK: should the file have become a FIFO since the check, do not wait on it
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise WorldError(f"could not read {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UserError(f"{path.name} is not a regular file; flowwiz reads only regular files")
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as exc:
        raise WorldError(f"could not read {path}: {exc.strerror or type(exc).__name__}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProjectFileError(f"{path.name} line {line}: not UTF-8 text") from None


@contextlib.contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for rewriting ``path`` (its real target).

    The lock is taken on the directory that holds the file (``flock`` on a directory fd), so
    no lock file is left in the project and the lock outlives the rename that replaces the
    file's inode. Where ``fcntl`` is missing (Windows) this only runs the block: the caller's
    "still what was read" check still applies."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    directory = Path(os.path.realpath(path)).parent
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError as exc:
        raise WorldError(
            f"could not open {directory}: {exc.strerror or type(exc).__name__}"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
