"""Register a deployment by running Prefect's own `prefect deploy` (issue 10 §6).

flowwiz never imports Prefect: it runs the project's `prefect` (its ``.venv``/``venv``, else
the one on PATH) as `prefect --no-prompt deploy -n NAME [--prefect-file FILE]` in the project,
with the resolved Prefect settings in its environment, keeps the full output in a log file
(mode 0600 under the flowwiz home) and reads the deployment back from the server.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flowwiz.detectors.errors import WorldError
from flowwiz.detectors.secret import scrub
from flowwiz.writers.paths import flowwiz_home

TIMEOUT = 900.0  # seconds: a docker build inside `prefect deploy` can take minutes


class RegisterError(WorldError):
    """`prefect deploy` failed or could not be run; the message names the kept log."""


@dataclass(frozen=True, slots=True)
class Registered:
    deployment: str  # flow/name
    id: str | None
    ui_url: str | None
    log: Path


def find_prefect(project_root: Path, env: Mapping[str, str] | None = None) -> Path | None:
    """The project's `prefect`: ``.venv/bin/prefect``, ``venv/bin/prefect`` (Scripts\\ on
    Windows), else the first on PATH; None when there is none."""
    for folder in (".venv", "venv"):
        for sub in ("bin", "Scripts"):
            for name in ("prefect", "prefect.exe"):
                candidate = project_root / folder / sub / name
                if candidate.is_file() and os.access(candidate, os.X_OK):
                    return candidate
    env = os.environ if env is None else env
    found = shutil.which("prefect", path=env.get("PATH"))
    return Path(found) if found else None


def register(
    prefect: Path,
    project_root: Path,
    flow_name: str,
    name: str,
    *,
    prefect_file: str = "prefect.yaml",
    env: Mapping[str, str],
    api_url: str,
    secrets: tuple[str, ...] = (),
    read_id: object = None,
) -> Registered:
    """Run `prefect deploy` for one deployment; RegisterError with one line (Prefect's last
    error line, secrets masked) and the log's path when it fails. ``read_id(flow, name)``
    returns the deployment's id from the server (or None)."""
    logs = flowwiz_home(env) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"prefect-deploy-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    argv = [str(prefect), "--no-prompt", "deploy", "-n", name]
    if prefect_file != "prefect.yaml":
        argv += ["--prefect-file", prefect_file]
    child_env = dict(env)
    child_env.setdefault("PREFECT_CLI_COLORS", "false")
    child_env.setdefault("PREFECT_CLI_WRAP_LINES", "false")
    try:
        done = subprocess.run(
            argv,
            cwd=project_root,
            env=child_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIMEOUT,
        )
        output, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        output = _text(exc.stdout) + _text(exc.stderr)
        code = None
    except OSError as exc:
        raise RegisterError(f"cannot run {prefect}: {exc.strerror or type(exc).__name__}") from None
    output = scrub(output, *secrets)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"$ {' '.join(argv)}\n{output}")
    if code != 0:
        why = "did not finish in time" if code is None else f"failed (exit {code})"
        line = last_error_line(output)
        raise RegisterError(
            f"`prefect deploy` {why}{': ' + line if line else ''} (full output: {log})"
        )
    deployment_id = read_id(flow_name, name) if callable(read_id) else None
    return Registered(
        deployment=f"{flow_name}/{name}",
        id=deployment_id,
        ui_url=ui_url(api_url, deployment_id) if deployment_id else None,
        log=log,
    )


_NOISE = re.compile(r"^[\s│╭╰─┃━┏┗|+\-=]*$")


def last_error_line(output: str) -> str:
    """The line of Prefect's output that says what went wrong, in one line of at most 200
    characters: the last line naming an error, else the last non-empty line."""
    lines = [
        " ".join(line.strip(" │┃").split())
        for line in output.splitlines()
        if line.strip() and not _NOISE.match(line)
    ]
    lines = [line for line in lines if line]
    for line in reversed(lines):
        if re.search(r"error|exception|fail|not found|does not exist|invalid", line, re.I):
            return _clip(line)
    return _clip(lines[-1]) if lines else ""


def ui_url(api_url: str, deployment_id: str) -> str:
    """The deployment's page in the Prefect UI: Prefect Cloud's app for a workspace API URL
    (``/api/accounts/A/workspaces/W`` -> ``app.../account/A/workspace/W``), else the server's
    own UI beside its API (``/api`` removed)."""
    parts = urlsplit(api_url)
    netloc = parts.netloc.rpartition("@")[2]
    cloud = re.match(r"^(.*)/api/accounts/([^/]+)/workspaces/([^/]+)/?$", parts.path)
    if cloud and netloc.startswith("api."):
        host = "app." + netloc[4:]
        path = f"/account/{cloud.group(2)}/workspace/{cloud.group(3)}/deployments/deployment/"
        return urlunsplit((parts.scheme, host, path + deployment_id, "", ""))
    base = re.sub(r"/api/?$", "", parts.path.rstrip("/"))
    return urlunsplit(
        (parts.scheme, netloc, f"{base}/deployments/deployment/{deployment_id}", "", "")
    )


def _clip(line: str) -> str:
    line = "".join(ch for ch in line if ch.isprintable())
    return line if len(line) <= 200 else line[:197] + "..."


def _text(data: object) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data if isinstance(data, str) else ""
