"""Isolation for every test: HOME, XDG dirs, FLOWWIZ_HOME and git identity in tmp_path.

No test reaches a real keyring, ~/.config or a Prefect server it did not start itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# uv (the Prefect harnesses, the `uv tool install` test) trusts the system's certificate store,
# as pip does through its config: without SSL_CERT_FILE in the environment, uv's bundled roots
# refuse a network whose TLS is re-signed by a local CA ("UnknownIssuer")
os.environ.setdefault("UV_NATIVE_TLS", "1")

pytest_plugins = ["tests.prefect_harness", "tests.s3_harness"]

# flowwiz's console script, next to the interpreter running the tests
FLOWWIZ = str(Path(sys.executable).with_name("flowwiz"))

_SCRUBBED = (
    "PREFECT_API_URL",
    "PREFECT_API_KEY",
    "PREFECT_PROFILES_PATH",
    "PYTHON_KEYRING_BACKEND",
    "FLOWWIZ_ALLOW_PLAINTEXT_KEYRING",
    "FLOWWIZ_DEBUG",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GITHUB_HEAD_REF",
    "GITHUB_REF_NAME",
    "GITHUB_REF",
    "CI_COMMIT_REF_NAME",
    "SYSTEM_PULLREQUEST_SOURCEBRANCH",
    "BUILD_SOURCEBRANCH",
    "BUILD_SOURCEBRANCHNAME",
    "DBUS_SESSION_BUS_ADDRESS",
    "FORCE_COLOR",
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        path = home / sub
        path.mkdir(parents=True)
        monkeypatch.setenv(var, str(path))
    monkeypatch.setenv("FLOWWIZ_HOME", str(tmp_path / "flowwiz-home"))
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Flowwiz Test\n\temail = test@flowwiz.invalid\n"
        '[init]\n\tdefaultBranch = main\n[protocol "file"]\n\tallow = always\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    for var, value in (
        ("GIT_AUTHOR_NAME", "Flowwiz Test"),
        ("GIT_AUTHOR_EMAIL", "test@flowwiz.invalid"),
        ("GIT_COMMITTER_NAME", "Flowwiz Test"),
        ("GIT_COMMITTER_EMAIL", "test@flowwiz.invalid"),
    ):
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("PROMPT_TOOLKIT_NO_CPR", "1")
    for var in _SCRUBBED:
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def memory_keyring() -> Iterator[object]:
    """An in-memory keyring for in-process tests; the previous backend is restored after."""
    import keyring

    from tests.memory_keyring import MemoryKeyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def file_keyring(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real keyring backend on disk (keyrings.alt, test-only) with the explicit opt-in.

    Set in the environment, so subprocesses (the real CLI) use it, and in this process too
    (keyring picks its backend once per process). Yields the directory holding the keyring
    file, for leak searches.
    """
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    from flowwiz.writers.blocks import keyring_backend

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("FLOWWIZ_ALLOW_PLAINTEXT_KEYRING", "1")
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    keyring_backend.reset_cache()
    try:
        yield Path(os.environ["XDG_DATA_HOME"]) / "python_keyring"
    finally:
        keyring.set_keyring(previous)
        keyring_backend.reset_cache()


def read_file_keyring(service: str, username: str) -> str | None:
    """Read an entry back from the on-disk test keyring, as a separate reader would."""
    from keyrings.alt.file import PlaintextKeyring

    return PlaintextKeyring().get_password(service, username)
