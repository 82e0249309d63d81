"""The interactive wizard, driven through the installed console script in a pseudo-terminal."""

from __future__ import annotations

import os
from pathlib import Path

import pexpect
import pytest
import yaml

from tests.conftest import FLOWWIZ
from tests.deployutil import github_like_repo, tree_hashes
from tests.leaks import assert_not_leaked, canary

ENTER = "\r"
DOWN = "\x1b[B"
CTRL_C = "\x03"


def spawn(repo: Path, *args: str) -> pexpect.spawn:
    env = {
        **os.environ,
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "TERM": "xterm",
        "COLUMNS": "100",
        "LINES": "40",
    }
    child = pexpect.spawn(
        FLOWWIZ,
        ["deploy", *args],
        cwd=str(repo),
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 100),
    )
    return child


class Transcript:
    """Everything the wizard printed, kept to search for leaks afterwards."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.parts: list[str] = []

    def expect(self, pattern: str) -> None:
        try:
            self.child.expect(pattern)
        except (pexpect.TIMEOUT, pexpect.EOF):
            seen = "".join(self.parts) + (self.child.before or "")
            raise AssertionError(f"did not see {pattern!r}; output was:\n{seen[-3000:]}") from None
        self.parts.append(self.child.before + self.child.after)

    def answer(self, pattern: str, *keys: str) -> None:
        self.expect(pattern)
        for key in keys:
            self.child.send(key)

    def finish(self) -> int:
        self.child.expect(pexpect.EOF, timeout=30)
        self.parts.append(self.child.before or "")
        self.child.close()
        return (
            self.child.exitstatus
            if self.child.exitstatus is not None
            else -(self.child.signalstatus or 0)
        )

    @property
    def text(self) -> str:
        return "".join(self.parts)


def test_public_repo_interactive(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    t = Transcript(spawn(repo))
    t.answer("Which flow do you want to deploy", ENTER)
    t.answer("Deployment name", ENTER)
    t.answer("Description", ENTER)
    t.answer("Tags", "etl, nightly", ENTER)
    t.answer("Schedule", DOWN)
    t.child.send(DOWN)
    t.child.send(ENTER)  # Cron
    t.answer("Cron string", ENTER)
    t.answer("Time zone", ENTER)
    t.answer("Work pool", ENTER)
    t.answer("Work queue", ENTER)
    t.answer("Job variables", "env.LOG_LEVEL=DEBUG", ENTER)
    t.answer(r"Parameter count \(int\)", "abc", ENTER)
    t.expect("is not a valid int")  # validation in place, then a good answer
    t.child.send("\x7f\x7f\x7f")
    t.child.send("3")
    t.child.send(ENTER)
    t.answer("Override parameters with defaults", ENTER)
    t.answer("Pull flow code from the remote repository", ENTER)
    t.answer("Repository URL", ENTER)
    t.answer("Branch to pull", ENTER)
    t.answer("Is this a private repository", "n")
    t.answer(r"Write prefect.yaml\?", ENTER)
    assert t.finish() == 0, t.text
    entry = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]
    assert entry["name"] == "nightly-etl"
    assert entry["tags"] == ["etl", "nightly"]
    assert entry["schedules"] == [{"cron": "0 0 * * *", "timezone": "UTC", "active": True}]
    assert entry["parameters"] == {"count": 3}
    assert entry["work_pool"]["job_variables"] == {"env": {"LOG_LEVEL": "DEBUG"}}
    assert entry["pull"] == [
        {
            "prefect.deployments.steps.git_clone": {
                "repository": "https://github.com/acme/flows.git",
                "branch": "main",
            }
        }
    ]
    assert "Review" in t.text and "prefect deploy -n nightly-etl" in t.text


def test_private_repo_interactive_token_is_hidden(tmp_path: Path, file_keyring: Path) -> None:
    repo = github_like_repo(tmp_path)
    token = canary()
    t = Transcript(spawn(repo))
    for prompt in (
        "Which flow",
        "Deployment name",
        "Description",
        "Tags",
        "Schedule",
        "Work pool",
        "Work queue",
        "Job variables",
    ):
        t.answer(prompt, ENTER)
    t.answer(r"Parameter count", "5", ENTER)
    t.answer("Override parameters with defaults", ENTER)
    t.answer("Pull flow code from the remote repository", ENTER)
    t.answer("Repository URL", ENTER)
    t.answer("Branch to pull", ENTER)
    t.answer("Is this a private repository", "y")
    t.answer("Repository token", ENTER)  # "Enter a token (hidden input)"
    t.answer(r"Access token \(input hidden\)", token, ENTER)
    t.answer("Check now that this token can read the repository", "n")
    t.answer(r"Write prefect.yaml\?", ENTER)
    assert t.finish() == 0, t.text
    step = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]["pull"][0]
    assert step["prefect.deployments.steps.git_clone"]["access_token"] == (
        "{{ prefect.blocks.secret.deployment-nightly-etl-nightly-etl-repo-token }}"
    )
    from flowwiz.writers.blocks import open_store

    block = open_store().get(
        "secret", "deployment-nightly-etl-nightly-etl-repo-token", include_secrets=True
    )
    assert block.data["value"].reveal() == token
    # never echoed on the terminal, never in a written file or the catalog
    assert_not_leaked(token, texts=[t.text], roots=[repo, Path(os.environ["FLOWWIZ_HOME"])])


PROMPTS = [
    ("Which flow do you want to deploy", ()),
    ("Deployment name", (ENTER,)),
    ("Description", (ENTER,)),
    ("Tags", (ENTER,)),
    ("Schedule", (ENTER,)),
    ("Work pool", (ENTER,)),
    ("Work queue", (ENTER,)),
    ("Job variables", (ENTER,)),
    ("Parameter count", ("1", ENTER)),
    ("Override parameters with defaults", (ENTER,)),
    ("Pull flow code from the remote repository", (ENTER,)),
    ("Repository URL", (ENTER,)),
    ("Branch to pull", (ENTER,)),
    ("Is this a private repository", ("y",)),
    ("Repository token", (ENTER,)),
    (r"Access token \(input hidden\)", ("partial-token", ENTER)),
    ("Check now that this token", ("n",)),
    (r"Write prefect.yaml\?", ()),
]


@pytest.mark.parametrize("stop_at", range(len(PROMPTS)), ids=[p[0].split("\\")[0] for p in PROMPTS])
def test_ctrl_c_at_any_prompt_writes_nothing(
    tmp_path: Path, file_keyring: Path, stop_at: int
) -> None:
    repo = github_like_repo(tmp_path)
    before = tree_hashes(repo)
    home = Path(os.environ["FLOWWIZ_HOME"])
    t = Transcript(spawn(repo))
    for index, (prompt, keys) in enumerate(PROMPTS):
        t.expect(prompt)
        if index == stop_at:
            t.child.send(CTRL_C)
            break
        if index == 0:
            t.child.send(ENTER)
        for key in keys:
            t.child.send(key)
    status = t.finish()
    assert status == 130, t.text
    assert "nothing was written" in t.text
    assert "Traceback" not in t.text
    assert tree_hashes(repo) == before
    from flowwiz.writers.blocks import open_store

    assert open_store().list() == []
    assert_not_leaked("partial-token", roots=[home])


def test_decline_write_writes_nothing(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    before = tree_hashes(repo)
    t = Transcript(spawn(repo, "--public", "--param", "count=1", "--no-schedule"))
    for prompt in (
        "Which flow",
        "Deployment name",
        "Description",
        "Tags",
        "Work pool",
        "Work queue",
        "Job variables",
    ):
        t.answer(prompt, ENTER)
    t.answer("Override parameters with defaults", ENTER)
    t.answer("Pull flow code from the remote repository", ENTER)
    t.answer("Repository URL", ENTER)
    t.answer("Branch to pull", ENTER)
    t.answer(r"Write prefect.yaml\?", DOWN, DOWN, ENTER)  # "No, cancel"
    assert t.finish() == 0
    assert "Nothing was written" in t.text
    assert "To write it later" in t.text  # the answers are not lost: the command is shown
    assert tree_hashes(repo) == before
