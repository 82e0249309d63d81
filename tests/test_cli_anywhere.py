"""The command line for a newcomer: `--debug` anywhere, shell completion as the README says."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.clirun import flowwiz
from tests.conftest import FLOWWIZ


@pytest.mark.parametrize(
    "args",
    [
        ("--debug", "deploy", "--yes"),
        ("deploy", "--debug", "--yes"),
        ("deploy", "--yes", "--debug"),
    ],
)
def test_debug_works_before_and_after_the_subcommand(tmp_path: Path, args: tuple[str, ...]) -> None:
    # an empty directory: no flow to deploy, a user error with a traceback under --debug
    result = flowwiz(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" in result.stderr and "pass --entrypoint" in result.stderr
    plain = flowwiz("deploy", "--yes", cwd=tmp_path)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert plain.stderr.strip().splitlines()[-1] == result.stderr.strip().splitlines()[-1]


def test_debug_after_a_double_dash_is_an_argument() -> None:
    result = flowwiz("detect", "--", "--debug")
    assert "Traceback" not in result.stderr


def test_bash_completion_from_the_readme(tmp_path: Path) -> None:
    """`eval "$(_FLOWWIZ_COMPLETE=bash_source flowwiz)"` installs a completion that completes
    commands, options and option values."""
    script = r"""
eval "$(_FLOWWIZ_COMPLETE=bash_source flowwiz)"
complete -p flowwiz
ask() { COMPREPLY=(); COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _flowwiz_completion flowwiz;
        echo "${COMPREPLY[*]}"; }
ask flowwiz de
ask flowwiz deploy --stor
ask flowwiz deploy --storage ""
"""
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(FLOWWIZ).parent), os.environ["PATH"]])}
    out = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60,
    ).stdout.splitlines()  # fmt: skip
    assert out[0] == "complete -o nosort -F _flowwiz_completion flowwiz"
    assert out[1] == "deploy detect"
    assert "--storage" in out[2].split()
    assert set(out[3].split()) >= {"git", "s3", "gcs", "azure", "docker", "local"}
