"""Can this token read that repository? ``git ls-remote`` with the token kept out of argv.

The token reaches git only through the child's environment and an inline credential helper,
never in the URL or on the command line (where ``ps`` and logs would see it).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from flowwiz.detectors.secret import SecretStr, scrub

# git runs this shell function as its credential helper; it reads only its own env vars
_HELPER = (
    '!f() { test "$1" = get || exit 0; '
    'echo "username=${FLOWWIZ_GIT_USERNAME}"; echo "password=${FLOWWIZ_GIT_TOKEN}"; }; f'
)

# What the check's git must not inherit: trace output (with GIT_TRACE_REDACT=0 a trace file
# gets the Authorization header), configuration injected through the environment (which could
# rewrite the URL or add headers), and anything that points git at another repository.
_DROPPED_PREFIXES = ("GIT_TRACE", "GIT_CONFIG", "GIT_CURL_")
_DROPPED = {
    "GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE", "GIT_NAMESPACE",
    "GIT_REDIRECT_STDERR", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_PROXY_COMMAND",
    "GIT_ALLOW_PROTOCOL", "GIT_PROTOCOL_FROM_USER", "GIT_HTTP_PROXY_AUTHMETHOD",
}  # fmt: skip

# git's own fatal messages (LC_ALL=C), matched only on lines git writes ("fatal:", "error:")
# after the quoted URL is cut out of them: a URL is data and may hold any word ("openssl").
_DENIED = (
    ("authentication failed for", "the server refused the token (authentication failed)"),
    ("could not read username for", "the server asked for credentials the token did not satisfy"),
    ("could not read password for", "the server asked for credentials the token did not satisfy"),
    ("the requested url returned error: 401", "the server refused the token (HTTP 401)"),
    ("the requested url returned error: 403", "the token may not read this repository (HTTP 403)"),
    ("the requested url returned error: 404", "no such repository, or the token may not see it"),
    ("repository '' not found", "no such repository, or the token may not see it"),
)  # fmt: skip
_UNREACHABLE = (
    ("could not resolve host", "the host name could not be resolved"),
    ("could not resolve proxy", "the proxy host name could not be resolved"),
    ("failed to connect", "the connection failed"),
    ("couldn't connect", "the connection failed"),
    ("connection refused", "the connection was refused"),
    ("timed out", "the connection timed out"),
    ("network is unreachable", "the network is unreachable"),
    ("no route to host", "there is no route to the host"),
    ("ssl", "the TLS handshake or certificate check failed"),
    ("certificate", "the TLS handshake or certificate check failed"),
    ("gnutls", "the TLS handshake or certificate check failed"),
    ("empty reply from server", "the server closed the connection"),
    ("recv failure", "the connection broke"),
    ("send failure", "the connection broke"),
    ("the requested url returned error: 5", "the server failed (HTTP 5xx)"),
    ("the requested url returned error: 429", "the server is rate limiting (HTTP 429)"),
)  # fmt: skip


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


def child_environment(base: Mapping[str, str], token: SecretStr, username: str) -> dict[str, str]:
    """The check's git environment: the user's, minus traces and injected configuration, with
    no global or system git configuration (a ``url.<base>.insteadOf`` there could send the
    check to another URL with other credentials), messages in English (``LC_ALL=C``: the
    markers above are git's untranslated words), and no prompts."""
    env = {
        k: v
        for k, v in base.items()
        if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED
    }
    env.update(
        {
            "FLOWWIZ_GIT_TOKEN": token.reveal(),
            "FLOWWIZ_GIT_USERNAME": username,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C",
            "LANGUAGE": "",
        }
    )
    return env


def classify(returncode: int, stderr: str, host: str) -> AccessCheck:
    """What a failed ``git ls-remote`` means, in flowwiz's words (git's output, which holds the
    URL and whatever the server said, is never shown). Authentication is decided before
    transport, and an unknown failure is never "ok"."""
    lines = [
        re.sub(r"'[^']*'", "''", line.strip()).lower()
        for line in stderr.splitlines()
        if line.lstrip().startswith(("fatal:", "error:"))
    ]
    for marker, said in _DENIED:
        if any(marker in line for line in lines):
            return AccessCheck("denied", said)
    for marker, said in _UNREACHABLE:
        if any(marker in line for line in lines):
            return AccessCheck("unreachable", f"{said} ({host})")
    return AccessCheck("denied", f"git could not list the repository (exit status {returncode})")


def check_access(
    url: str,
    token: SecretStr,
    *,
    username: str,
    timeout: float = 20.0,
    env: Mapping[str, str] | None = None,
) -> AccessCheck:
    """Whether ``token`` can read the repository at ``url``: ``git ls-remote --heads`` in an
    empty temporary directory (no repository's configuration applies), with the token handed
    over by an inline credential helper from the child's environment (never argv). ``detail``
    is one token-free line in flowwiz's words."""
    import tempfile

    from flowwiz.detectors.remote_url import parse_remote_url

    host = parse_remote_url(url).host or "the server"
    child_env = child_environment(os.environ if env is None else env, token, username)
    argv = [
        "git",
        "-c",
        "credential.helper=",
        "-c",
        f"credential.helper={_HELPER}",
        "-c",
        "core.askPass=",
        "-c",
        "http.extraHeader=",
        "ls-remote",
        "--heads",
        "--",
        url,
    ]
    with tempfile.TemporaryDirectory(prefix="flowwiz-check-") as empty:
        child_env["GIT_CEILING_DIRECTORIES"] = str(Path(empty).parent)
        try:
            result = subprocess.run(
                argv,
                env=child_env,
                cwd=empty,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return AccessCheck("unreachable", f"no answer from {host} within {timeout:.0f} s")
        except OSError as exc:
            return AccessCheck("unreachable", f"could not run git: {exc.strerror}")
    if result.returncode == 0:
        return AccessCheck("ok", f"the token can read {scrub(url, token.reveal())}")
    return classify(result.returncode, result.stderr, host)
