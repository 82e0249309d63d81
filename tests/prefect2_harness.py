"""A real Prefect 2.20 server for the tests that need one: the ``prefect2_server`` fixture.

The same object as tests/prefect_harness.py's ``prefect_server`` (a ``PrefectServer``), from its
own virtualenv (``~/.cache/flowwiz-tests/prefect-<PREFECT2_VERSION>``, or
``FLOWWIZ_TEST_PREFECT2_VENV``), installed lazily: only a session that uses this fixture pays for
the install (about a minute with uv, once; a marker file means "installed and working" after)
and for the server (module scope, stopped after the module). Installs take the same fcntl lock
discipline as the 3.x harness. Failure to install or start fails the tests, never skips them.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.prefect_harness import (
    _BASE_ENV,
    INSTALL_TIMEOUT,
    HarnessError,
    PrefectServer,
    _bin,
    _clean_env,
    _run,
    _tail,
    _uv_command,
    serve,
)

PREFECT2_VERSION = "2.20.27"
PREFECT2_PACKAGES = (f"prefect=={PREFECT2_VERSION}",)
PREFECT2_VENV = Path(
    os.environ.get("FLOWWIZ_TEST_PREFECT2_VENV")
    or Path.home() / ".cache" / "flowwiz-tests" / f"prefect-{PREFECT2_VERSION}"
).expanduser()
_MARKER = ".flowwiz-ready"


def _works(venv: Path) -> bool:
    marker = venv / _MARKER
    if not marker.is_file() or marker.read_text().split() != list(PREFECT2_PACKAGES):
        return False
    probe = "import importlib.metadata as m; print(m.version('prefect'))"
    done = _run([str(_bin(venv, "python")), "-c", probe], _clean_env(_BASE_ENV), 60)
    return done.returncode == 0 and done.stdout.strip() == PREFECT2_VERSION


def ensure_prefect2(venv: Path = PREFECT2_VENV) -> Path:
    """Install Prefect 2.20 into venv unless a working install is there; returns the venv."""
    if _works(venv):
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _works(venv):
            return venv
        uv = _uv_command()
        env = _clean_env(_BASE_ENV)
        steps = [
            [*uv, "venv", "--quiet", "--allow-existing", "--python", sys.executable, str(venv)],
            [
                *uv, "pip", "install", "--quiet", "--python", str(_bin(venv, "python")),
                "--compile-bytecode", *PREFECT2_PACKAGES,
            ],
        ]  # fmt: skip
        for argv in steps:
            done = _run(argv, env, INSTALL_TIMEOUT)
            if done.returncode != 0:
                raise HarnessError(
                    f"could not install {PREFECT2_PACKAGES[0]}: $ {' '.join(argv)}\n"
                    + _tail(done.stdout + done.stderr)
                )
        (venv / _MARKER).write_text("\n".join(PREFECT2_PACKAGES) + "\n")
    return venv


@pytest.fixture(scope="module")
def prefect2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    yield from serve(
        ensure_prefect2, tmp_path_factory.mktemp("prefect2"), f"real Prefect {PREFECT2_VERSION}"
    )
