"""The OS keyring, behind a timeout and a usability check: the only module that imports keyring.

A keyring that would not keep a secret safely is treated as no keyring at all (poetry's
policy): the ``fail`` and ``null`` backends, and any backend with "plaintext" in its name
(keyrings.alt's PlaintextKeyring, which ``keyring`` picks silently on a headless machine). The
one exception is an explicit opt-in for CI and tests: ``FLOWWIZ_ALLOW_PLAINTEXT_KEYRING=1``
together with ``PYTHON_KEYRING_BACKEND`` naming the backend in use; every write is then
reported through the store's warning callback.

Every keyring call runs in a daemon thread with a timeout, because a locked Secret Service
can wait forever for an unlock dialog nobody sees.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flowwiz.writers.blocks.model import BlockStoreError, NoKeyringError

SERVICE = "flowwiz"
# where `PREFECT_API_KEY` may be kept when it is not in the environment
PREFECT_API_KEY_USERNAME = "prefect-api-key"
DEFAULT_TIMEOUT = 5.0
PROBE_TIMEOUT = 3.0
OPT_IN = "FLOWWIZ_ALLOW_PLAINTEXT_KEYRING"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class KeyringStatus:
    backend: str  # "module.Class" of the backend in use (or the chainer's first backend)
    usable: bool
    plaintext: bool = False  # usable only through the explicit opt-in: warn on every write
    reason: str = ""  # why it is not usable, for the error message
    location: str | None = None  # the file a file-backed keyring writes, when it says


def backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_chainer(backend: object) -> bool:
    return type(backend).__name__ == "ChainerBackend" and hasattr(backend, "backends")


def assess(backend: object, env: Mapping[str, str]) -> KeyringStatus:
    """Decide whether a backend may hold secrets (no I/O; the probe comes separately)."""
    if _is_chainer(backend):
        chained = list(getattr(backend, "backends", []))
        # the chainer writes to its first backend, so that is the one that must be safe
        if not chained:
            return KeyringStatus(backend_name(backend), False, reason="it chains no backend")
        first = assess(chained[0], env)
        if first.usable and not first.plaintext:
            return first
        return KeyringStatus(
            backend_name(backend), False, reason=f"it writes to {first.backend} ({first.reason})"
        )
    name = backend_name(backend)
    lowered = name.lower()
    if lowered.startswith("keyring.backends.fail."):
        return KeyringStatus(name, False, reason="no keyring service was found")
    if lowered.startswith("keyring.backends.null."):
        return KeyringStatus(name, False, reason="it discards every secret")
    if "plaintext" in lowered:
        named = env.get("PYTHON_KEYRING_BACKEND", "").strip()
        if env.get(OPT_IN) == "1" and named == name:
            location = getattr(backend, "file_path", None)
            return KeyringStatus(
                name, True, plaintext=True, location=str(location) if location else None
            )
        return KeyringStatus(name, False, reason="it stores secrets unencrypted")
    return KeyringStatus(name, True)


def no_keyring_message(what: str, status: KeyringStatus) -> str:
    """One line: what was not stored, why, and every way out."""
    return (
        f"no usable keyring ({status.backend}: {status.reason}), so {what}. "
        "Ways out: unlock or install a keyring service (on a headless Linux machine, run "
        "flowwiz inside `dbus-run-session` after `gnome-keyring-daemon --unlock`); or set "
        "PREFECT_API_URL (or pass --api-url) to keep blocks on a Prefect server; or, for CI and "
        f"tests only, set {OPT_IN}=1 and PYTHON_KEYRING_BACKEND to the backend to accept "
        "(secrets are then stored unencrypted)"
    )


# per process: (backend, opt-in, named backend) -> status, so the probe runs once; the backend
# object itself is the key (not its id, which a later backend could reuse)
_STATUS_CACHE: dict[tuple[object, str, str], KeyringStatus] = {}


class SecretKeyring:
    """Secret values in the OS keyring, one entry per field, under the service ``flowwiz``."""

    def __init__(
        self, env: Mapping[str, str] | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self._env = os.environ if env is None else env
        self.timeout = timeout

    # -- availability -------------------------------------------------------------------

    def status(self) -> KeyringStatus:
        backend = self._backend()
        key = (
            backend,
            self._env.get(OPT_IN, ""),
            self._env.get("PYTHON_KEYRING_BACKEND", ""),
        )
        cached = _STATUS_CACHE.get(key)
        if cached is not None:
            return cached
        status = assess(backend, self._env)
        if status.usable:
            status = self._probe(backend, status)
        _STATUS_CACHE[key] = status
        return status

    def require(self, what: str) -> KeyringStatus:
        """The usable status, or NoKeyringError saying that ``what`` (e.g. "the secret of
        secret/x was not stored") did not happen."""
        status = self.status()
        if not status.usable:
            raise NoKeyringError(no_keyring_message(what, status))
        return status

    def _backend(self) -> Any:
        def load() -> Any:
            import keyring

            return keyring.get_keyring()

        # loading may connect to D-Bus, which can hang like any other call
        try:
            return self._call(load, doing="load its backend", raw=True)
        except TimeoutError:
            raise BlockStoreError(
                f"the keyring did not load its backend within {self.timeout:g} s: it may be "
                "locked or waiting for an unlock prompt; unlock it and try again"
            ) from None
        except Exception as exc:
            named = self._env.get("PYTHON_KEYRING_BACKEND", "").strip()
            if named:
                raise BlockStoreError(
                    f"the keyring backend named in PYTHON_KEYRING_BACKEND ({named}) cannot be "
                    f"loaded ({type(exc).__name__}): fix or unset it"
                ) from None
            raise BlockStoreError(
                f"the keyring could not load its backend ({type(exc).__name__})"
            ) from None

    def _probe(self, backend: Any, status: KeyringStatus) -> KeyringStatus:
        from keyring.errors import KeyringError

        try:
            self._call(
                lambda: backend.get_password(SERVICE, "availability-probe"),
                doing="answer a probe",
                timeout=min(PROBE_TIMEOUT, self.timeout),
                backend_label=status.backend,
                raw=True,
            )
        except TimeoutError:
            return KeyringStatus(
                status.backend,
                False,
                reason=f"it did not answer within {min(PROBE_TIMEOUT, self.timeout):g} s "
                "(locked, or waiting for an unlock prompt?)",
            )
        except KeyringError as exc:
            return KeyringStatus(status.backend, False, reason=_describe(exc))
        except Exception as exc:  # a backend's own failure (D-Bus, file permissions)
            return KeyringStatus(status.backend, False, reason=f"it failed ({type(exc).__name__})")
        return status

    # -- values -------------------------------------------------------------------------

    def get(self, username: str) -> str | None:
        backend = self._backend()
        value = self._call(
            lambda: backend.get_password(SERVICE, username),
            doing="read a secret",
            backend_label=backend_name(backend),
        )
        return value if isinstance(value, str) else None

    def present(self, usernames: list[str]) -> tuple[dict[str, bool], str | None]:
        """Whether each entry exists: (what was found, why the rest was not looked at).

        The keyring API has no "exists" call, so each entry is read, in one worker thread;
        the value is dropped there and only the yes/no comes back. The limit is on progress,
        not on the total: the look gives up when one read takes longer than the timeout (a
        locked or hanging keyring), so a slow backend over many entries still finishes (a
        file keyring re-reads its whole file per call). After a failure or timeout the
        message says why, and the entries not in the dict were not looked at.
        """
        backend = self._backend()
        label = backend_name(backend)
        found: dict[str, bool] = {}
        box: dict[str, BaseException] = {}

        def look() -> None:
            try:
                for username in usernames:
                    found[username] = isinstance(backend.get_password(SERVICE, username), str)
            except BaseException as exc:  # handed to the caller's thread below
                box["error"] = exc

        worker = threading.Thread(target=look, name="flowwiz-keyring", daemon=True)
        worker.start()
        seen = -1
        while True:
            worker.join(self.timeout)
            if not worker.is_alive():
                break
            if len(found) == seen:
                return dict(found), (
                    f"the keyring ({label}) did not check its secrets within "
                    f"{self.timeout:g} s: it may be locked or waiting for an unlock prompt"
                )
            seen = len(found)
        error = box.get("error")
        if error is not None:
            failure = _translate(error, "check its secrets", label)
            return dict(found), str(getattr(failure, "message", failure))
        return dict(found), None

    def set(self, username: str, value: str) -> None:
        backend = self._backend()
        self._call(
            lambda: backend.set_password(SERVICE, username, value),
            doing="store a secret",
            backend_label=backend_name(backend),
        )

    def delete(self, username: str) -> bool:
        """Remove an entry; False when there was none."""
        from keyring.errors import PasswordDeleteError

        backend = self._backend()

        def remove() -> bool:
            try:
                backend.delete_password(SERVICE, username)
            except PasswordDeleteError:
                return False
            return True

        result: bool = self._call(
            remove, doing="delete a secret", backend_label=backend_name(backend)
        )
        return result

    # -- the timeout --------------------------------------------------------------------

    def _call(
        self,
        fn: Callable[[], T],
        *,
        doing: str,
        timeout: float | None = None,
        backend_label: str = "keyring",
        raw: bool = False,
    ) -> T:
        """Run fn in a daemon thread; a hang becomes a clear error instead of a frozen CLI.

        With ``raw`` the backend's own exceptions (and TimeoutError) are passed on for the
        caller to classify; otherwise they become BlockStoreError, without the library's text.
        """
        limit = self.timeout if timeout is None else timeout
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["result"] = fn()
            except BaseException as exc:  # handed to the caller's thread below
                box["error"] = exc

        worker = threading.Thread(target=run, name="flowwiz-keyring", daemon=True)
        worker.start()
        worker.join(limit)
        if worker.is_alive():
            if raw:
                raise TimeoutError(doing)
            raise BlockStoreError(
                f"the keyring ({backend_label}) did not {doing} within {limit:g} s: it may be "
                "locked or waiting for an unlock prompt; unlock it and try again"
            )
        error = box.get("error")
        if error is None:
            return box["result"]  # type: ignore[no-any-return]
        if raw:
            raise error
        raise _translate(error, doing, backend_label) from None


def _describe(exc: BaseException) -> str:
    from keyring.errors import InitError, KeyringLocked
    from keyring.errors import NoKeyringError as LibNoKeyring

    if isinstance(exc, KeyringLocked):
        return "it is locked"
    if isinstance(exc, LibNoKeyring):
        return "no keyring service was found"
    if isinstance(exc, InitError):
        return "it could not be initialised"
    return f"it failed ({type(exc).__name__})"


def _translate(exc: BaseException, doing: str, backend_label: str) -> Exception:
    """A library exception as a one-line flowwiz error (its own text may quote arguments)."""
    from keyring.errors import NoKeyringError as LibNoKeyring

    if isinstance(exc, BlockStoreError):
        return exc
    if isinstance(exc, LibNoKeyring):
        return NoKeyringError(
            no_keyring_message(
                "nothing was stored", KeyringStatus(backend_label, False, reason=_describe(exc))
            )
        )
    return BlockStoreError(f"the keyring ({backend_label}) could not {doing}: {_describe(exc)}")


def reset_cache() -> None:
    """Forget the per-process availability verdicts (tests swap backends)."""
    _STATUS_CACHE.clear()
