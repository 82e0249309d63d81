"""A real Prefect server for the compatibility tests: the ``prefect_server`` fixture.

Use it::

    import pytest

    @pytest.mark.prefect
    def test_something(prefect_server, tmp_path):
        prefect_server.create_work_pool("pool")                       # idempotent
        prefect_server.check_prefect("--no-prompt", "deploy", "--all", cwd=repo)
        dep = prefect_server.read_deployment("my-flow", "my-deployment")  # REST readback
        out = prefect_server.check_python("from prefect.blocks.system import Secret; ...")
        prefect_server.api("GET", "/health")                          # any REST call

The object (``PrefectServer``): ``api_url``, ``python``/``prefect`` (the venv's executables),
``env`` (the environment every command gets), ``run_python(code)``/``run_prefect(*args)``
(a CompletedProcess; ``check_python``/``check_prefect`` raise PrefectCommandFailed with
stdout and stderr unless exit 0), ``api(method, path, json=...)`` (an httpx.Response),
``read_deployment(flow, name)``, ``deployments()``, ``create_work_pool(name, type)``
(idempotent), ``save_secret(name, value)``/``save_block_document(slug, name, data)`` (over
REST, create or overwrite), ``read_block_document(slug, name)`` (with secrets, or None),
``register_blocks(module)``. The venv also holds prefect-github (its GitHubCredentials class),
prefect-aws (the S3 steps) and moto's S3 server (a bucket on loopback).

Server state is shared by the whole session: give deployments, pools and blocks names unique
to your test module. A module-scoped fixture runs BEFORE the per-test isolation of
tests/conftest.py (HOME, git identity), so isolate what it needs itself (see
tests/test_compat_yaml_shapes.py ``batches``).

What it does, once per test session (the fixture is session-scoped):

1. Installs Prefect ``PREFECT_VERSION`` into its own virtualenv OUTSIDE the repository
   (``~/.cache/flowwiz-tests/prefect-<version>``, resolved when this module is imported,
   before the per-test HOME isolation; override with ``FLOWWIZ_TEST_PREFECT_VENV``). A
   marker file written after ``prefect version`` succeeded means "installed and working"; the
   next session reuses it. An fcntl lock keeps parallel sessions from installing twice. The
   install uses uv with an override for ``certifi`` (Prefect 3.9 pins a certifi newer than
   the index holds) and ``--compile-bytecode`` (this machine sets PYTHONDONTWRITEBYTECODE,
   and without .pyc files every prefect command is much slower); if uv fails it falls back
   to pip with the certifi pin relaxed. It also keeps a pre-migrated database next to the
   venv, which halves server start-up.
2. Starts ``prefect server start --host 127.0.0.1 --port <free port>`` with PREFECT_HOME in a
   session temp dir, logging to a file there, and waits (bounded) for ``/api/health``.
3. Stops it at session end (SIGTERM to its process group, then SIGKILL).

Failure policy: if Prefect cannot be installed or the server does not start, every test that
uses the fixture FAILS with the reason (and the log tail), locally and in CI. Never a skip:
a compatibility suite that quietly skips proves nothing.

Nothing happens at import except computing paths, so sessions that do not use the fixture pay
nothing. Mark tests that use it with ``@pytest.mark.prefect`` (``-m "not prefect"`` to leave
them out of a quick local run).

Commands run by ``run_python``/``run_prefect`` get the *current* ``os.environ`` (so the
per-test isolation in ``tests/conftest.py``: HOME, git identity... applies) with every
``PREFECT_*`` variable replaced by the harness's own (``prefect_server.env`` shows the
result): PREFECT_API_URL at this server, a client PREFECT_HOME in the session temp dir,
analytics off, no API key, no colours or line wrapping, and PYTHONDONTWRITEBYTECODE unset.

Extending it: add a method to ``PrefectServer`` (it is a frozen dataclass; keep state on the
server, not on the object) and, if a test needs a fresh server of its own, reuse
``_start_server``/``_stop_server`` from a fixture with the scope it needs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

PREFECT_VERSION = "3.9.1"
# What the venv holds. prefect-github gives the tests Prefect's own GitHubCredentials class, to
# load what flowwiz stores (a 3.9.1 server registers the github-credentials TYPE by itself).
# prefect-aws runs the S3 push/pull steps flowwiz writes, against moto's S3 server on loopback
# (tests/test_compat_bucket.py): the stand-in for an AWS account.
PREFECT_PACKAGES = (
    f"prefect=={PREFECT_VERSION}",
    "prefect-github==0.4.4",
    "prefect-aws==0.7.12",
    "moto[server]==5.2.5",
)

# Resolved at import: tests isolate HOME per test, and the venv must outlive them all.
PREFECT_VENV = Path(
    os.environ.get("FLOWWIZ_TEST_PREFECT_VENV")
    or Path.home() / ".cache" / "flowwiz-tests" / f"prefect-{PREFECT_VERSION}"
).expanduser()
# The environment as it was before any test changed it: installs and the server use this.
_BASE_ENV = dict(os.environ)

_MARKER = ".flowwiz-ready"
_TEMPLATE_DB = ".flowwiz-template.db"
INSTALL_TIMEOUT = 900
SERVER_START_TIMEOUT = 120.0


class PrefectCommandFailed(AssertionError):
    """A checked Prefect command or snippet exited non-zero (or timed out)."""


class HarnessError(Exception):
    """Prefect could not be installed or started: the fixture turns it into a test failure."""


# --------------------------------------------------------------------------- environment


def _bin(venv: Path, name: str) -> Path:
    return venv / "bin" / name


def _clean_env(base: Mapping[str, str]) -> dict[str, str]:
    """base without any Prefect setting or virtualenv of the caller's."""
    env = {
        k: v
        for k, v in base.items()
        if not k.startswith("PREFECT_") and k not in ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH")
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _prefect_overlay(venv: Path, home: Path, api_url: str | None) -> dict[str, str]:
    overlay = {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_CLI_COLORS": "false",
        "PREFECT_CLI_WRAP_LINES": "false",
        "VIRTUAL_ENV": str(venv),
    }
    if api_url:
        overlay["PREFECT_API_URL"] = api_url
    return overlay


def _with_venv_path(env: dict[str, str], venv: Path) -> dict[str, str]:
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", os.defpath)])
    return env


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _run(argv: Sequence[str], env: Mapping[str, str], timeout: float, cwd: Path | None = None):
    return subprocess.run(
        list(argv),
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


# --------------------------------------------------------------------------- install


def _uv_command() -> list[str]:
    beside = Path(sys.executable).with_name("uv")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def _venv_works(venv: Path) -> bool:
    marker = venv / _MARKER
    if not marker.is_file() or not _bin(venv, "prefect").exists():
        return False
    if marker.read_text().split() != list(PREFECT_PACKAGES):
        return False  # installed for another package set
    # cheap (no `import prefect`): the right distribution is what the marker says it is
    probe = "import importlib.metadata as m; print(m.version('prefect'))"
    try:
        done = _run([str(_bin(venv, "python")), "-c", probe], _clean_env(_BASE_ENV), 60)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == PREFECT_VERSION


def _install_with_uv(venv: Path, env: dict[str, str], log: list[str]) -> bool:
    uv = _uv_command()
    overrides = venv.parent / f"{venv.name}.overrides.txt"
    # Prefect 3.9 pins certifi>=2026.10.19, newer than the index holds: any certifi will do.
    overrides.write_text("certifi\n")
    steps = [
        # --allow-existing: a venv from an older package set is topped up, not rebuilt
        [*uv, "venv", "--quiet", "--allow-existing", "--python", sys.executable, str(venv)],
        [
            *uv, "pip", "install", "--quiet", "--python", str(_bin(venv, "python")),
            "--override", str(overrides), "--compile-bytecode", *PREFECT_PACKAGES,
        ],
    ]
    for argv in steps:
        done = _run(argv, env, INSTALL_TIMEOUT)
        log.append(f"$ {' '.join(argv)}\n-> {done.returncode}\n{_tail(done.stdout + done.stderr)}")
        if done.returncode != 0:
            return False
    return True


_RELAXED_REQUIREMENTS = """
import importlib.metadata as m, json, re, sys
def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()
wanted = {}
for p in sys.argv[1:]:
    name, _, extras = p.split("==")[0].partition("[")
    wanted[norm(name)] = {norm(e) for e in extras.rstrip("]").split(",") if e}
ours = list(wanted)
reqs = []
for dist in ours:
    for req in m.requires(dist) or []:
        if "extra ==" in req:
            extra = re.search(r"extra == .([A-Za-z0-9_.-]+)", req)
            if not extra or norm(extra.group(1)) not in wanted[dist]:
                continue
            req = req.split(";")[0].strip()
        name = re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", req).group(0)).lower()
        if name in ours:
            continue
        reqs.append("certifi" if name == "certifi" else req)
print(json.dumps(reqs))
"""


def _install_with_pip(venv: Path, env: dict[str, str], log: list[str]) -> bool:
    """The slower route: our packages without deps, then their requirements, certifi relaxed.

    (pip has no --override, and would refuse prefect's certifi pin while resolving.)
    """
    python = str(_bin(venv, "python"))
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    steps: list[list[str]] = [
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [*pip, "--no-deps", *PREFECT_PACKAGES],
    ]
    for argv in steps:
        done = _run(argv, env, INSTALL_TIMEOUT)
        log.append(f"$ {' '.join(argv)}\n-> {done.returncode}\n{_tail(done.stdout + done.stderr)}")
        if done.returncode != 0:
            return False
    listed = _run([python, "-c", _RELAXED_REQUIREMENTS, *PREFECT_PACKAGES], env, 60)
    if listed.returncode != 0:
        log.append(f"listing requirements failed:\n{_tail(listed.stderr)}")
        return False
    done = _run([*pip, *json.loads(listed.stdout)], env, INSTALL_TIMEOUT)
    log.append(f"$ pip install <prefect requirements>\n-> {done.returncode}\n"
               f"{_tail(done.stdout + done.stderr)}")
    return done.returncode == 0


def _verify(venv: Path, env: dict[str, str], log: list[str]) -> bool:
    with tempfile.TemporaryDirectory(prefix="flowwiz-prefect-verify-") as home:
        check = _clean_env(env) | _prefect_overlay(venv, Path(home), None)
        done = _run([str(_bin(venv, "prefect")), "version"], check, 300)
    log.append(f"$ prefect version\n-> {done.returncode}\n{_tail(done.stdout + done.stderr)}")
    return done.returncode == 0 and PREFECT_VERSION in done.stdout


def ensure_prefect(venv: Path = PREFECT_VENV) -> Path:
    """Install Prefect into venv unless a working install is there; returns the venv.

    Raises HarnessError with what was tried. Safe to call from parallel sessions.
    """
    if _venv_works(venv):
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _venv_works(venv):  # another session finished it while we waited
            return venv
        env = _clean_env(_BASE_ENV)
        log: list[str] = []
        (venv / _MARKER).unlink(missing_ok=True)
        for install in (_install_with_uv, _install_with_pip):
            if install is _install_with_pip:
                shutil.rmtree(venv, ignore_errors=True)
            try:
                ok = install(venv, env, log) and _verify(venv, env, log)
            except (OSError, subprocess.SubprocessError, ValueError) as exc:
                log.append(f"{install.__name__}: {exc!r}")
                ok = False
            if ok:
                (venv / _MARKER).write_text("\n".join(PREFECT_PACKAGES) + "\n")
                return venv
        raise HarnessError(
            f"could not install {' '.join(PREFECT_PACKAGES)} into {venv}:\n" + "\n".join(log)
        )


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(api_url: str, auth: str | None = None) -> bool:
    import httpx

    try:
        return httpx.get(f"{api_url}/health", timeout=2, auth=auth).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(frozen=True, slots=True)
class _Server:
    process: subprocess.Popen[bytes]
    api_url: str
    home: Path
    log: Path
    seconds_to_healthy: float


def _start_server(
    venv: Path,
    home: Path,
    log: Path,
    *,
    template_db: Path | None = None,
    env_extra: Mapping[str, str] | None = None,
) -> _Server:
    """Start a server with PREFECT_HOME=home (and ``env_extra``, e.g.
    PREFECT_SERVER_API_AUTH_STRING); raises HarnessError (with the log tail)."""
    home.mkdir(parents=True, exist_ok=True)
    if template_db is not None and template_db.is_file():
        shutil.copyfile(template_db, home / "prefect.db")
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = _with_venv_path(_clean_env(_BASE_ENV) | _prefect_overlay(venv, home, None), venv)
    env.update(env_extra or {})
    argv = [str(_bin(venv, "prefect")), "server", "start", "--host", "127.0.0.1",
            "--port", str(port), "--no-ui", "--analytics-off"]
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so stopping it stops uvicorn too
        )
    deadline = started + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        auth_string = (env_extra or {}).get("PREFECT_SERVER_API_AUTH_STRING")
        if _healthy(api_url, tuple(auth_string.split(":", 1)) if auth_string else None):
            return _Server(process, api_url, home, log, time.monotonic() - started)
        time.sleep(0.2)
    exited = process.poll()
    _stop_server(process)
    why = f"exited with {exited}" if exited is not None else (
        f"no /api/health within {SERVER_START_TIMEOUT:.0f} s")
    raise HarnessError(
        f"prefect server did not start ({why}); log {log}:\n"
        + _tail(log.read_text(errors="replace"))
    )


def _stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def ensure_template_db(venv: Path = PREFECT_VENV) -> Path | None:
    """A migrated, empty database kept beside the venv (built once; None if that failed).

    A new database costs the server about twice the start-up time of a copied one.
    """
    template = venv / _TEMPLATE_DB
    if template.is_file():
        return template
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if template.is_file():
            return template
        with tempfile.TemporaryDirectory(prefix="flowwiz-prefect-template-") as tmp:
            home = Path(tmp) / "home"
            try:
                server = _start_server(venv, home, Path(tmp) / "server.log")
            except HarnessError:
                return None
            _stop_server(server.process)
            # VACUUM INTO folds the WAL into one self-contained file
            partial = template.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            with contextlib.closing(sqlite3.connect(home / "prefect.db")) as db:
                db.execute("VACUUM INTO ?", (str(partial),))
            partial.replace(template)
    return template


# --------------------------------------------------------------------------- fixture object


@dataclass(frozen=True, slots=True)
class PrefectServer:
    """A running Prefect server and the Prefect venv that talks to it."""

    api_url: str
    python: Path
    prefect: Path
    venv: Path
    client_home: Path
    server_log: Path
    seconds_to_healthy: float

    @property
    def env(self) -> dict[str, str]:
        """The full environment for a Prefect command against this server (current os.environ
        with every PREFECT_* setting replaced; PYTHONDONTWRITEBYTECODE unset)."""
        return _with_venv_path(
            _clean_env(os.environ) | _prefect_overlay(self.venv, self.client_home, self.api_url),
            self.venv,
        )

    def _env(self, env_extra: Mapping[str, str] | None) -> dict[str, str]:
        return self.env | dict(env_extra or {})

    def run_python(
        self,
        code: str,
        *,
        cwd: Path | str | None = None,
        env_extra: Mapping[str, str] | None = None,
        timeout: float = 120,
        check: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """Run code with the Prefect venv's python (``python -c code``)."""
        return self._call([str(self.python), "-c", code], cwd, env_extra, timeout, check)

    def run_prefect(
        self,
        *args: str,
        cwd: Path | str | None = None,
        env_extra: Mapping[str, str] | None = None,
        timeout: float = 300,
        check: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """Run the venv's ``prefect`` CLI with args."""
        return self._call([str(self.prefect), *args], cwd, env_extra, timeout, check)

    def check_python(self, code: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """run_python that raises PrefectCommandFailed (stdout and stderr shown) unless exit 0."""
        return self.run_python(code, check=True, **kwargs)

    def check_prefect(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """run_prefect that raises PrefectCommandFailed (stdout and stderr shown) unless exit 0."""
        return self.run_prefect(*args, check=True, **kwargs)

    def _call(
        self,
        argv: list[str],
        cwd: Path | str | None,
        env_extra: Mapping[str, str] | None,
        timeout: float,
        check: bool,
    ) -> subprocess.CompletedProcess[str]:
        shown = argv if argv[1] != "-c" else [argv[0], "-c", "<code>"]
        try:
            done = _run(argv, self._env(env_extra), timeout, Path(cwd) if cwd else None)
        except subprocess.TimeoutExpired as exc:
            raise PrefectCommandFailed(
                f"{shown} timed out after {timeout} s\n--- stdout\n{exc.stdout}\n"
                f"--- stderr\n{exc.stderr}"
            ) from None
        if check and done.returncode != 0:
            code = f"\n--- code\n{argv[2]}" if argv[1] == "-c" else ""
            raise PrefectCommandFailed(
                f"{shown} exited {done.returncode}{code}\n--- stdout\n{done.stdout}\n"
                f"--- stderr\n{done.stderr}"
            )
        return done

    # -- REST

    def api(self, method: str, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        """One REST call; path is relative to api_url (e.g. "/deployments/filter")."""
        import httpx

        return httpx.request(method, self.api_url + path, json=json, timeout=30, **kwargs)

    def read_deployment(self, flow_name: str, deployment_name: str) -> dict[str, Any]:
        response = self.api("GET", f"/deployments/name/{flow_name}/{deployment_name}")
        if response.status_code != 200:
            raise AssertionError(
                f"deployment {flow_name}/{deployment_name}: HTTP {response.status_code} "
                f"{response.text[:500]}"
            )
        return dict(response.json())

    def deployments(self) -> list[dict[str, Any]]:
        """Every deployment on the server."""
        response = self.api("POST", "/deployments/filter", json={})
        response.raise_for_status()
        return list(response.json())

    def read_block_document(self, type_slug: str, name: str) -> dict[str, Any] | None:
        """A block document with its secrets, or None when it does not exist."""
        response = self.api(
            "GET",
            f"/block_types/slug/{type_slug}/block_documents/name/{name}",
            params={"include_secrets": "true"},
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return dict(response.json())

    def save_block_document(self, type_slug: str, name: str, data: Mapping[str, Any]) -> str:
        """Create or overwrite a block document over REST (no `import prefect`, so fast);
        returns its id. The type must be registered on the server."""
        block_type = self.api("GET", f"/block_types/slug/{type_slug}")
        if block_type.status_code != 200:
            raise AssertionError(f"block type {type_slug!r}: HTTP {block_type.status_code}")
        type_id = block_type.json()["id"]
        schemas = self.api(
            "POST", "/block_schemas/filter",
            json={"block_schemas": {"block_type_id": {"any_": [type_id]}}},
        )
        schemas.raise_for_status()
        schema_id = schemas.json()[0]["id"]
        existing = self.read_block_document(type_slug, name)
        if existing is not None:
            patched = self.api(
                "PATCH", f"/block_documents/{existing['id']}",
                json={"block_schema_id": schema_id, "data": dict(data),
                      "merge_existing_data": False},
            )
            # never show a block write's body: a 422 repeats the request, secrets included
            if patched.status_code != 204:
                raise AssertionError(f"updating {type_slug}/{name}: HTTP {patched.status_code}")
            return str(existing["id"])
        created = self.api(
            "POST", "/block_documents/",
            json={"name": name, "block_type_id": type_id, "block_schema_id": schema_id,
                  "data": dict(data)},
        )
        if created.status_code != 201:
            raise AssertionError(f"creating {type_slug}/{name}: HTTP {created.status_code}")
        return str(created.json()["id"])

    def save_secret(self, name: str, value: str) -> str:
        """A Secret block (what `Secret(value=...).save(name, overwrite=True)` makes)."""
        return self.save_block_document("secret", name, {"value": value})

    def register_blocks(self, module: str) -> None:
        """`prefect block register -m module` (e.g. "prefect_github", which the venv holds)."""
        self.check_prefect("block", "register", "-m", module)

    def create_work_pool(self, name: str, type: str = "process") -> None:  # noqa: A002
        """Create a work pool unless one of that name exists (idempotent)."""
        found = self.api("GET", f"/work_pools/{name}")
        if found.status_code == 200:
            if found.json().get("type") != type:
                raise AssertionError(f"work pool {name!r} exists with type {found.json()['type']}")
            return
        self.check_prefect("work-pool", "create", name, "--type", type, "--overwrite")


# --------------------------------------------------------------------------- the fixture


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """A real Prefect server for this session (see the module docstring)."""
    yield from serve(ensure_prefect, tmp_path_factory.mktemp("prefect"), "real Prefect")


def serve(
    install: Callable[[], Path], root: Path, what: str
) -> Iterator[PrefectServer]:
    """Install (``install()`` returns the venv), start a server under ``root`` from a migrated
    template database, yield it, stop it; a harness failure fails the test naming ``what``."""
    try:
        venv = install()
        template = ensure_template_db(venv)  # a migrated database: half the start-up
        server = _start_server(venv, root / "server-home", root / "server.log",
                               template_db=template)
    except HarnessError as exc:
        pytest.fail(f"{what} is not available: {exc}", pytrace=False)
    client_home = root / "client-home"
    client_home.mkdir()
    try:
        yield PrefectServer(
            api_url=server.api_url,
            python=_bin(venv, "python"),
            prefect=_bin(venv, "prefect"),
            venv=venv,
            client_home=client_home,
            server_log=server.log,
            seconds_to_healthy=server.seconds_to_healthy,
        )
    finally:
        _stop_server(server.process)
