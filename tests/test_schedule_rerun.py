"""Re-runs of `flowwiz deploy` start from the schedule as it is: a new cron keeps the zone and
the keys flowwiz does not ask about, `--timezone` alone moves the current schedules, the
interactive prompts are seeded with the current values; a tag keeps its spaces."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.deployutil import FLOW, github_like_repo, run_deploy
from tests.test_deploy_interactive import DOWN, ENTER, Transcript, spawn
from tests.test_rerun_fidelity import assert_only_entry_changed, entry_of

FILE = """\
# team file: keep this comment
name: acme

deployments:
- name: etl
  description: Nightly ETL.
  entrypoint: flows/etl.py:etl
  tags: [etl]
  parameters: {count: 1}
  work_pool:
    name: prod
    work_queue_name: default
    job_variables: {}
  schedules:
  - cron: 15 2 * * *
    slug: nightly
    timezone: Europe/Oslo
    day_or: false
    active: false
    parameters: {count: 5}
  pull:
  - prefect.deployments.steps.git_clone:
      repository: https://github.com/acme/flows.git
      branch: main
"""

SAME = ("--entrypoint", "flows/etl.py:etl", "--name", "etl", "--no-prefectignore")


def repo_with(tmp_path: Path, text: str) -> Path:
    repo = github_like_repo(tmp_path, {"flows/etl.py": FLOW, "requirements.txt": "prefect\n"})
    (repo / "prefect.yaml").write_text(text)
    return repo


def deploy(repo: Path, *args: str) -> dict:
    result = run_deploy(repo, "--yes", *SAME, *args)
    assert result.returncode == 0, result.stderr
    return entry_of((repo / "prefect.yaml").read_text(), "etl")


def test_a_new_cron_keeps_the_zone_and_every_key_flowwiz_does_not_ask_about(
    tmp_path: Path,
) -> None:
    repo = repo_with(tmp_path, FILE)
    old = entry_of(FILE, "etl")
    new = deploy(repo, "--cron", "0 5 * * *")
    assert new == {**old, "schedules": [{**old["schedules"][0], "cron": "0 5 * * *"}]}
    text = (repo / "prefect.yaml").read_text()
    assert_only_entry_changed(FILE, text, "etl")
    # the item's keys stay in their order: only the cron line changed in the whole file
    changed = [line for line in text.splitlines() if line not in FILE.splitlines()]
    assert changed == ["  - cron: 0 5 * * *"]

    # another kind keeps the zone, paused state, slug and parameters, not a cron's day_or
    new = deploy(repo, "--interval", "600")
    assert new["schedules"] == [
        {
            "interval": 600,
            "slug": "nightly",
            "timezone": "Europe/Oslo",
            "active": False,
            "parameters": {"count": 5},
        }
    ]
    # an interval's anchor_date stays with a new interval; an explicit zone wins
    text = (repo / "prefect.yaml").read_text()
    (repo / "prefect.yaml").write_text(
        text.replace(
            "    active: false\n", "    active: false\n    anchor_date: 2026-01-01T03:00\n"
        )
    )
    new = deploy(repo, "--interval", "900", "--timezone", "America/New_York")
    assert new["schedules"][0]["anchor_date"] == "2026-01-01T03:00"
    assert new["schedules"][0]["interval"] == 900
    assert new["schedules"][0]["timezone"] == "America/New_York"


def test_timezone_alone_moves_the_current_schedules(tmp_path: Path) -> None:
    text = FILE.replace(
        "    parameters: {count: 5}\n",
        "    parameters: {count: 5}\n  - interval: 3600\n    anchor_date: '2026-01-01T00:00:00'\n",
    )
    repo = repo_with(tmp_path, text)
    old = entry_of(text, "etl")
    new = deploy(repo, "--timezone", "Europe/Paris")
    assert new["schedules"] == [
        {**old["schedules"][0], "timezone": "Europe/Paris"},
        {**old["schedules"][1], "timezone": "Europe/Paris", "active": True},
    ]
    assert {k: v for k, v in new.items() if k != "schedules"} == {
        k: v for k, v in old.items() if k != "schedules"
    }
    assert_only_entry_changed(text, (repo / "prefect.yaml").read_text(), "etl")

    # a zone Prefect refuses for a kind is refused before anything is written
    before = (repo / "prefect.yaml").read_text()
    result = run_deploy(repo, "--yes", *SAME, "--timezone", "Mars/Olympus")
    assert result.returncode == 2
    assert "unknown time zone 'Mars/Olympus'" in result.stderr
    assert (repo / "prefect.yaml").read_text() == before


def test_timezone_alone_without_a_schedule_is_refused(tmp_path: Path) -> None:
    text = FILE.split("  schedules:")[0] + "  schedules: []\n"
    repo = repo_with(tmp_path, text)
    result = run_deploy(repo, "--yes", *SAME, "--timezone", "Europe/Paris")
    assert result.returncode == 2
    assert "--timezone goes with a new schedule" in result.stderr
    assert "there is none" in result.stderr
    assert (repo / "prefect.yaml").read_text() == text


def test_tags_keep_their_spaces(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, FILE)
    new = deploy(repo, "--tag", "nightly etl", "--tag", " a b , c,,c")
    assert new["tags"] == ["nightly etl", "a b", "c"]


PROMPTS_AFTER = (
    "Work pool",
    "Work queue",
    "Job variables",
    "Override parameters",
    "Repository URL",
    r"Write prefect\.yaml\?",
)


def test_interactive_rerun_seeds_the_schedule_prompts_with_the_current_schedule(
    tmp_path: Path,
) -> None:
    repo = repo_with(tmp_path, FILE)
    storage = ("--git", "--public", "--branch", "main")
    t = Transcript(spawn(repo, "--entrypoint", "flows/etl.py:etl", "--name", "etl", *storage))
    t.answer(r"Update it\?", ENTER)
    t.answer("Description", ENTER)
    t.answer("Tags", "\x15", "nightly etl, x", ENTER)  # ^U clears the seeded "etl"
    t.answer("Schedule", DOWN, DOWN, DOWN, ENTER)  # keep, none, interval, cron
    t.expect("Cron string")
    t.expect("15 2")
    t.child.send(ENTER)
    t.expect("Time zone")
    t.expect("Europe/Oslo")
    t.child.send(ENTER)
    for prompt in PROMPTS_AFTER:  # the rest: Enter keeps what the entry has
        t.answer(prompt, ENTER)
    assert t.finish() == 0, t.text
    new = entry_of((repo / "prefect.yaml").read_text(), "etl")
    old = entry_of(FILE, "etl")
    assert new["tags"] == ["nightly etl", "x"]
    assert new["schedules"] == old["schedules"]
    assert "\n  - cron: 15 2 * * *\n    slug: nightly\n" in (repo / "prefect.yaml").read_text()
    assert yaml.safe_load((repo / "prefect.yaml").read_text())["name"] == "acme"


BARE = """\
deployments:
- name: etl
  entrypoint: flows/etl.py:etl
  work_pool:
    name: prod
  pull:
  - prefect.deployments.steps.git_clone:
      repository: https://github.com/acme/flows.git
      branch: main
"""


def test_a_rerun_adds_no_key_whose_value_is_prefects_default(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, BARE)
    result = run_deploy(repo, "--yes", *SAME, "--cron", "0 5 * * *", "--param", "count=1")
    assert result.returncode == 0, result.stderr
    new = entry_of((repo / "prefect.yaml").read_text(), "etl")
    # no tags: [], job_variables: {}, work_queue_name: default, nor the docstring
    assert new == {
        **entry_of(BARE, "etl"),
        "parameters": {"count": 1},
        "schedules": [{"cron": "0 5 * * *", "timezone": "UTC", "active": True}],
    }
    review = result.stderr.split("Review", 1)[1].split("Changes to", 1)[0]
    rows = {line.split()[0]: line.split()[-1] for line in review.splitlines() if line.strip()}
    assert rows["Work"] == "kept"  # "Work pool ... prod": no queue is Prefect's default one
    assert rows["Description"] == "kept" and rows["Tags"] == "kept"
    assert rows["Schedule"] == "added" and rows["Parameters"] == "added"
