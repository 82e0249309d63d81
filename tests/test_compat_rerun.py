"""Issue 9 against real Prefect 3.9.1: re-runs of `flowwiz deploy` keep what works.

- A private deployment flowwiz wrote, updated with only a new schedule, still clones with its
  token on a real process worker (the token reference was kept, nothing re-asked).
- A Prefect 2 file with the legacy `schedule:` key, updated by flowwiz (a tag, then a new
  cron), is accepted by `prefect deploy` with its schedule intact (never `schedule` beside
  `schedules`, which Prefect refuses).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.deployutil import github_like_repo
from tests.leaks import canary
from tests.prefect_harness import PrefectServer
from tests.test_compat_deploy import (
    FLOW_NAME,
    flowwiz,
    git_clone,
    prefect_deploy,
    run_on_worker,
    token_ref,
    worker_gitconfig,
)

pytestmark = pytest.mark.prefect


def test_private_deployment_rerun_with_a_schedule_still_clones_with_its_token(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    repo = github_like_repo(tmp_path)
    pool = "compat-rerun-pool"
    prefect_server.create_work_pool(pool)
    token = canary()
    flowwiz(
        prefect_server,
        repo,
        "--name",
        "compat-rerun",
        "--pool",
        pool,
        "--param",
        "count=3",
        "--private",
        "--token-env",
        "COMPAT_TOKEN",
        "--no-prefectignore",
        env={"COMPAT_TOKEN": token},
    )
    first = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]
    # the re-run: a schedule, nothing about the repository or the token
    again = flowwiz(
        prefect_server,
        repo,
        "--name",
        "compat-rerun",
        "--cron",
        "0 3 * * *",
        "--timezone",
        "UTC",
        "--no-prefectignore",
    )
    assert "public repository" not in again.stderr
    entry = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]
    assert entry["pull"] == first["pull"]
    assert entry["schedules"] == [{"cron": "0 3 * * *", "timezone": "UTC", "active": True}]
    prefect_deploy(prefect_server, repo, "-n", "compat-rerun")

    dep = prefect_server.read_deployment(FLOW_NAME, "compat-rerun")
    assert dep["pull_steps"] == [git_clone(access_token=token_ref("compat-rerun"))]
    assert [s["schedule"]["cron"] for s in dep["schedules"]] == ["0 3 * * *"]
    gitconfig = worker_gitconfig(tmp_path, f"https://{token}@github.com/acme/flows.git")
    flow_run = run_on_worker(prefect_server, dep["id"], pool, gitconfig, tmp_path)
    assert flow_run["parameters"] == {"count": 3}


LEGACY = """\
# a Prefect 2 file
name: flows
prefect-version: 2.19.0
build: null
push: null
pull: null
deployments:
- name: compat-legacy
  entrypoint: flows/etl.py:etl
  parameters: {count: 1}
  work_pool:
    name: compat-pool
  schedule: {cron: 0 6 * * *, timezone: Europe/Berlin}
  pull:
  - prefect.deployments.steps.git_clone:
      repository: https://github.com/acme/flows.git
      branch: main
"""


def test_legacy_schedule_file_updated_by_flowwiz_is_accepted_by_prefect(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    repo = github_like_repo(tmp_path)
    (repo / "prefect.yaml").write_text(LEGACY)
    prefect_server.create_work_pool("compat-pool")
    flowwiz(
        prefect_server, repo, "--name", "compat-legacy", "--tag", "nightly", "--no-prefectignore"
    )
    entry = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]
    assert "schedules" not in entry and entry["schedule"]["cron"] == "0 6 * * *"
    prefect_deploy(prefect_server, repo, "-n", "compat-legacy")
    dep = prefect_server.read_deployment(FLOW_NAME, "compat-legacy")
    assert dep["tags"] == ["nightly"]
    assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in dep["schedules"]] == [
        ("0 6 * * *", "Europe/Berlin")
    ]
    # a new cron is written under the key the entry uses, and Prefect takes it
    flowwiz(
        prefect_server,
        repo,
        "--name",
        "compat-legacy",
        "--cron",
        "30 7 * * *",
        "--timezone",
        "Europe/Berlin",
        "--no-prefectignore",
    )
    entry = yaml.safe_load((repo / "prefect.yaml").read_text())["deployments"][0]
    assert "schedules" not in entry
    prefect_deploy(prefect_server, repo, "-n", "compat-legacy")
    dep = prefect_server.read_deployment(FLOW_NAME, "compat-legacy")
    assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in dep["schedules"]] == [
        ("30 7 * * *", "Europe/Berlin")
    ]


KEYED = """\
deployments:
- name: compat-keyed
  entrypoint: flows/etl.py:etl
  parameters: {count: 1}
  work_pool:
    name: compat-pool
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


def test_a_new_cron_then_a_new_zone_keep_the_schedule_prefect_had(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    """`--cron` alone keeps the zone, pause, slug, day_or and parameters Prefect reads from the
    schedule (cli/deploy/_schedules.py); `--timezone` alone keeps the cron."""
    repo = github_like_repo(tmp_path)
    (repo / "prefect.yaml").write_text(KEYED)
    prefect_server.create_work_pool("compat-pool")
    name = ("--name", "compat-keyed", "--no-prefectignore")

    def deployed() -> dict:
        prefect_deploy(prefect_server, repo, "-n", "compat-keyed")
        (schedule,) = prefect_server.read_deployment(FLOW_NAME, "compat-keyed")["schedules"]
        return schedule

    flowwiz(prefect_server, repo, *name, "--cron", "0 5 * * *")
    schedule = deployed()
    assert schedule["schedule"]["cron"] == "0 5 * * *"
    assert schedule["schedule"]["timezone"] == "Europe/Oslo"
    assert schedule["schedule"]["day_or"] is False
    assert (schedule["active"], schedule["slug"], schedule["parameters"]) == (
        False,
        "nightly",
        {"count": 5},
    )
    flowwiz(prefect_server, repo, *name, "--timezone", "Europe/Paris")
    schedule = deployed()
    assert (schedule["schedule"]["cron"], schedule["schedule"]["timezone"]) == (
        "0 5 * * *",
        "Europe/Paris",
    )
    assert (schedule["active"], schedule["slug"]) == (False, "nightly")
