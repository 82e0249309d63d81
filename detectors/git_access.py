"""Can this token read that repository? ``git ls-remote`` with the token kept out of argv.

The token reaches git only through the child's environment and an inline credential helper,
never in the URL or on the command line (where ``ps`` and logs would see it).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from flowwiz.detectors.secret import SecretStr, scrub

# git runs this shell function as its credential helper; it reads only its own env vars
_HELPER = (
    '!f() { test "$1" = get || exit 0; '
    'echo "username=${FLOWWIZ_GIT_USERNAME}"; echo "password=${FLOWWIZ_GIT_TOKEN}"; }; f'
)

_DENIED = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "repository not found",
    "access denied",
    "403",
    "401",
    "invalid username or password",
    "not authorized",
)
_UNREACHABLE = (
    "could not resolve host",
    "failed to connect",
    "connection refused",
    "timed out",
    "network is unreachable",
    "couldn't connect",
    "no route to host",
    "ssl",
)


@dataclass(frozen=True, slots=True)
class AccessCheck:
    status: Literal["ok", "denied", "unreachable", "unavailable"]  # unavailable: cannot check
    detail: str  # one line, token-free


def username_for(provider: str, username: str | None) -> str:
    """The https username that goes with a bare token for each provider (see the reference)."""
    if username:
        return username
    return {
        "github": "x-access-token",
        "gitlab": "oauth2",
        "bitbucket": "x-token-auth",
    }.get(provider, "oauth2")


def check_access(
    url: str,
    token: SecretStr,
    *,
    username: str,
    timeout: float = 20.0,
    env: Mapping[str, str] | None = None,
) -> AccessCheck:
    base = dict(os.environ if env is None else env)
    child_env = {
        **base,
        "FLOWWIZ_GIT_TOKEN": token.reveal(),
        "FLOWWIZ_GIT_USERNAME": username,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
    }
    argv = [
        "git",
        "-c",
        "credential.helper=",
        "-c",
        f"credential.helper={_HELPER}",
        "-c",
        "core.askPass=",
        "ls-remote",
        "--heads",
        "--",
        url,
    ]
    try:
        result = subprocess.run(
            argv, env=child_env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return AccessCheck("unreachable", f"no answer from {url} within {timeout:.0f} s")
    except OSError as exc:
        return AccessCheck("unreachable", f"could not run git: {exc.strerror}")
    if result.returncode == 0:
        return AccessCheck("ok", f"the token can read {url}")
    stderr = scrub(result.stderr, token.reveal())
    lowered = stderr.lower()
    last = next((ln.strip() for ln in reversed(stderr.splitlines()) if ln.strip()), "git failed")
    if any(marker in lowered for marker in _UNREACHABLE):
        return AccessCheck("unreachable", last)
    if any(marker in lowered for marker in _DENIED):
        return AccessCheck("denied", last)
    return AccessCheck("denied", last)
