"""The flow picker and the parameter questions, driven in a real terminal (pexpect):
a long flow list filters as you type; Literal/Enum/bool parameters are a choice; a list
parameter asks for JSON with an example and refuses what Prefect would refuse."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.deployutil import github_like_repo
from tests.test_deploy_interactive import DOWN, ENTER, Transcript, spawn

MANY_FLOWS = "from prefect import flow\n" + "".join(
    f"\n\n@flow\ndef job_{i:02d}():\n    pass\n" for i in range(12)
)

TYPED = '''\
import enum
from typing import Literal, Optional

from prefect import flow


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@flow(name="typed")
def typed(
    mode: Literal["full", "delta"],
    months: list[int],
    color: Color,
    flag: bool = False,
    limit: Optional[int] = 5,
):
    pass
'''


def test_many_flows_filter_as_you_type_and_parameters_are_typed(tmp_path: Path) -> None:
    repo = github_like_repo(
        tmp_path,
        {"flows/many.py": MANY_FLOWS, "flows/typed.py": TYPED, "requirements.txt": "prefect\n"},
    )
    t = Transcript(
        spawn(repo, "--name", "typed", "--description", "d", "--tag", "t", "--no-schedule",
              "--pool", "default", "--queue", "default", "--job-variable", "env.A=1",
              "--public")
    )
    t.expect("type to filter")
    t.child.send("typed")  # 13 flows: typing narrows the list to the one that matches
    t.expect("typed")
    t.child.send(ENTER)
    t.answer(r"Parameter mode", DOWN, ENTER)  # a Literal is a choice: full, delta
    t.expect(r"Parameter months \(list\[int\]; JSON, e\.g\. \[1, 1\]\)")
    t.child.send('[1, "x"]')
    t.child.send(ENTER)
    t.expect("is not a valid list")  # refused in place, as Prefect would refuse it
    t.child.send("\x7f" * 8)
    t.child.send("[3, 4]")
    t.child.send(ENTER)
    t.answer(r"Parameter color", DOWN, ENTER)  # an Enum is a choice: red, blue
    t.answer("Override parameters with defaults", "y")
    t.answer(r"Parameter flag", DOWN, ENTER)  # keep the default / true / false
    t.answer(r"Parameter limit", "null", ENTER)  # Optional[int]: null is None
    t.answer("Pull flow code from the remote repository", ENTER)
    t.answer("Repository URL", ENTER)
    t.answer("Branch to pull", ENTER)
    t.answer(r"Write prefect.yaml\?", ENTER)
    assert t.finish() == 0, t.text
    entry = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]
    assert entry["entrypoint"] == "flows/typed.py:typed"
    assert entry["parameters"] == {
        "mode": "delta",
        "months": [3, 4],
        "color": "blue",
        "flag": True,
        "limit": None,
    }
