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
from collections.abc import Iterator
from pathlib import Path

from flowwiz.detectors.errors import UserError, WorldError


def write_atomic(path: Path, text: str) -> None:
    """Replace (or create) ``path`` with ``text``; an existing file keeps its owner, group and
    permission bits.

    A symlinked file is written through: the link's target is replaced, the link stays. A
    target that is not a regular file (a FIFO, /dev/null, a directory) is refused, and so is
    a read-only file (no write bit for anyone, e.g. 0444): replacing it would bypass what its
    owner asked for, as an editor asks before it overrides one. Ctrl-C is held back while
    the rename happens, so the file is either the old one or the new one, never a question;
    an interrupted write leaves no temp file behind.
    """
    from flowwiz.writers.files import check_regular

    target = Path(os.path.realpath(path))
    info = check_regular(target)
    if info is not None and not info.st_mode & 0o222:
        raise UserError(
            f"{path.name} is read-only (mode {stat.S_IMODE(info.st_mode):04o}); make it writable "
            f"(chmod u+w {path.name}) and run flowwiz again"
        )
    mode = stat.S_IMODE(info.st_mode) if info is not None else None
    owner = (info.st_uid, info.st_gid) if info is not None else None
    tmp = _write_temp(target, text, mode, owner)
    try:
        with _no_interrupt():
            tmp.replace(target)
            _fsync_dir(target.parent)
    except BaseException as exc:
        _discard(tmp)
        if isinstance(exc, OSError):
            raise _world_error(target, exc) from None
        raise


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """SIGINT is blocked (held pending) inside: it arrives after the block, not in it."""
    import signal
    import threading

    main = threading.current_thread() is threading.main_thread()
    block = hasattr(signal, "pthread_sigmask") and main
    if block:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if block:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


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


def _write_temp(
    target: Path, text: str, mode: int | None, owner: tuple[int, int] | None = None
) -> Path:
    # 0o666 lets the umask decide a new file's mode, as a plain open() would
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.flowwiz-tmp")
    data = text.encode("utf-8")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise _world_error(target, exc) from None
    try:
        try:
            if owner is not None and hasattr(os, "fchown"):
                _keep_owner(fd, owner, target)
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if mode is not None and not hasattr(os, "fchmod"):  # Windows
            tmp.chmod(mode)
    except BaseException as exc:  # Ctrl-C included: no temp file stays behind
        _discard(tmp)
        if isinstance(exc, OSError):
            raise _world_error(target, exc) from None
        raise
    return tmp


def _keep_owner(fd: int, owner: tuple[int, int], target: Path) -> None:
    current = os.fstat(fd)
    if (current.st_uid, current.st_gid) == owner:
        return
    try:
        os.fchown(fd, *owner)
    except PermissionError:
        if current.st_uid != owner[0]:
            raise UserError(
                f"{target.name} belongs to another user (uid {owner[0]}); replacing it would "
                "make it yours: run flowwiz as its owner"
            ) from None
        with contextlib.suppress(OSError):  # the group only: keep what can be kept
            os.fchown(fd, -1, owner[1])


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
