"""The token check passes the token to git through the environment, never through argv."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from flowwiz.detectors import git_access
from flowwiz.detectors.git_access import check_access
from flowwiz.detectors.secret import SecretStr
from tests.leaks import canary


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_token_goes_through_env_not_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    token = canary()
    seen: list[tuple[list[str], dict[str, str]]] = []
    real_run = subprocess.run

    def recording_run(argv, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((list(argv), dict(kwargs.get("env") or {})))
        return real_run(argv, **kwargs)

    monkeypatch.setattr(git_access.subprocess, "run", recording_run)
    result = check_access(
        f"https://127.0.0.1:{closed_port()}/acme/flows.git",
        SecretStr(token),
        username="x-access-token",
    )
    assert result.status == "unreachable"
    assert token not in result.detail
    ((argv, env),) = seen
    assert all(token not in arg for arg in argv)
    assert env["FLOWWIZ_GIT_TOKEN"] == token


def test_the_inline_helper_hands_git_the_token(tmp_path: Path) -> None:
    """`git credential fill` with the same helper configuration returns the token from the env."""
    token = canary()
    argv = [
        "git",
        "-c",
        "credential.helper=",
        "-c",
        f"credential.helper={git_access._HELPER}",
        "credential",
        "fill",
    ]
    result = subprocess.run(
        argv,
        input="protocol=https\nhost=github.com\npath=acme/flows.git\n\n",
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "GIT_CONFIG_NOSYSTEM": "1",
            "FLOWWIZ_GIT_TOKEN": token,
            "FLOWWIZ_GIT_USERNAME": "oauth2",
            "GIT_TERMINAL_PROMPT": "0",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"password={token}" in result.stdout.splitlines()
    assert "username=oauth2" in result.stdout.splitlines()
    assert all(token not in arg for arg in argv)


@pytest.mark.parametrize(
    ("provider", "given", "expected"),
    [
        ("github", None, "x-access-token"),
        ("gitlab", None, "oauth2"),
        ("bitbucket", None, "x-token-auth"),
        ("azure", "pat", "pat"),
        ("other", None, "oauth2"),
    ],
)
def test_username_for(provider: str, given: str | None, expected: str) -> None:
    assert git_access.username_for(provider, given) == expected
