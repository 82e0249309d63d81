"""Write a whole file or nothing: temp file in the same directory, fsync, rename, fsync the dir.

A crash or a full disk halfway through leaves the old file (or no file) in place, never a
truncated prefect.yaml. Text is written as UTF-8 bytes exactly as given: no newline
translation, so a CRLF file stays CRLF and an LF file stays LF on every platform.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from flowwiz.detectors.errors import WorldError


def write_atomic(path: Path, text: str) -> None:
    """Replace (or create) ``path`` with ``text``; an existing file keeps its permission bits.

    A symlinked file is written through: the link's target is replaced, the link stays.
    """
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise _world_error(target, exc) from None
    tmp = _write_temp(target, text, mode)
    try:
        tmp.replace(target)
    except OSError as exc:
        _discard(tmp)
        raise _world_error(target, exc) from None
    _fsync_dir(target.parent)


def create_atomic(path: Path, text: str) -> bool:
    """Create ``path`` with ``text`` only if nothing is there yet; return whether it wrote.

    ``os.link`` refuses to overwrite, so a file created meanwhile by someone else is kept.
    """
    target = Path(os.path.realpath(path))
    if target.exists():
        return False
    tmp = _write_temp(target, text, None)
    try:
        os.link(tmp, target)
    except FileExistsError:
        return False
    except OSError:
        # filesystems without hard links: fall back to a rename after a fresh existence check
        if target.exists():
            return False
        try:
            tmp.replace(target)
        except OSError as exc:
            raise _world_error(target, exc) from None
        _fsync_dir(target.parent)
        return True
    finally:
        _discard(tmp)
    _fsync_dir(target.parent)
    return True


def _write_temp(target: Path, text: str, mode: int | None) -> Path:
    # 0o666 lets the umask decide a new file's mode, as a plain open() would
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.flowwiz-tmp")
    data = text.encode("utf-8")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise _world_error(target, exc) from None
    try:
        try:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        _discard(tmp)
        raise _world_error(target, exc) from None
    if mode is not None and not hasattr(os, "fchmod"):  # Windows
        tmp.chmod(mode)
    return tmp


def _fsync_dir(directory: Path) -> None:
    # makes the rename itself durable; not possible (nor needed) on every platform
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink()


def _world_error(target: Path, exc: OSError) -> WorldError:
    reason = exc.strerror or type(exc).__name__
    return WorldError(f"could not write {target}: {reason}")
