"""prefect.yaml in the shapes flowwiz writes, deployed by real Prefect and read back over REST.

These pin what the prefect.yaml writer relies on (measured on Prefect 3.9.1); if Prefect
changes any of it, a test here says so before users find out on a worker:

- A deployment's own ``pull:`` list is stored verbatim, templates unresolved, whether the
  top-level ``build``/``push``/``pull`` are ``null`` or left out (no warning for ``null``).
- BUT Prefect resolves every block reference in the deployment entry at deploy time, its own
  ``pull:`` included, only to throw the result away. So a deployment-level pull that names a
  block that does not exist FAILS the deploy: exit 1 with a traceback, "Block not found:
  '<name>' of type '<slug>'". The same step in the top-level ``pull:`` is not looked at:
  exit 0, and the worker fails later.
- A 3.9.1 server registers github-/gitlab-/bitbucket-credentials (and every other collection
  block type) itself at start-up: no ``prefect block register`` is needed.
- Secret references anywhere else in a deployment (job variables, parameters) are replaced
  by the secret's value at deploy time and stored in plain text on the server.
- ``prefect deploy`` does not import-check the flow: a missing module still deploys (exit 0).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.gitutil import bare_remote, flow_repo, git, push_to
from tests.prefect_harness import PrefectServer

pytestmark = pytest.mark.prefect

POOL = "shapes-pool"
FLOW = "shapes-etl"  # flow name (@flow(name=...)) of flows/etl.py:etl in every test repo
TOKEN_BLOCK = "shapes-repo-token"
TOKEN = "shapes-token-value-0042"
TOKEN_REF = f"{{{{ prefect.blocks.secret.{TOKEN_BLOCK} }}}}"
NULLS = "build: null\npush: null\npull: null\n"


@pytest.fixture
def server(prefect_server: PrefectServer) -> PrefectServer:
    prefect_server.create_work_pool(POOL)
    prefect_server.save_secret(TOKEN_BLOCK, TOKEN)
    return prefect_server


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    """A committed repo of one flow, pushed to a bare remote: (repo, remote)."""
    remote = bare_remote(tmp_path)
    repo = flow_repo(tmp_path / "repo", {"flows/etl.py": ("etl", FLOW)})
    push_to(repo, remote)
    return repo, remote


@dataclass(frozen=True, slots=True)
class Batch:
    """One prefect.yaml of many deployments, deployed with one `prefect deploy` call (each
    call pays ~3 s of `import prefect`)."""

    repo: Path
    remote: Path
    text: str
    done: subprocess.CompletedProcess[str]
    file_after: str  # prefect.yaml as the deploy left it (the batches share one repo)


@pytest.fixture(scope="module")
def batches(
    prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Batch]]:
    """The shapes that deploy, deployed once for the module: {"nulls"|"omitted"|"top": Batch}."""
    root = tmp_path_factory.mktemp("shapes")
    # module scope runs before the per-test isolation of tests/conftest.py: isolate git here
    with pytest.MonkeyPatch.context() as mp:
        home = root / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for role in ("AUTHOR", "COMMITTER"):
            mp.setenv(f"GIT_{role}_NAME", "Flowwiz Test")
            mp.setenv(f"GIT_{role}_EMAIL", "test@flowwiz.invalid")
        prefect_server.create_work_pool(POOL)
        prefect_server.save_secret(TOKEN_BLOCK, TOKEN)
        prefect_server.save_block_document("github-credentials", "shapes-gh", {"token": TOKEN})
        remote = bare_remote(root)
        repo = flow_repo(root / "repo", {"flows/etl.py": ("etl", FLOW)})
        (repo / "flows" / "needs_missing.py").write_text(NEEDS_MISSING)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "a flow whose imports are missing")
        push_to(repo, remote)
        files = {
            "nulls": (prefect_yaml(NULLS, nulls_deployments(remote)), ("--all",)),
            # with -n, only the named one of the two
            "omitted": (
                prefect_yaml("", own_pull_deployment("shape-own-pull-omitted", remote)
                             + deployment("shape-pick-other")),
                ("-n", "shape-own-pull-omitted"),
            ),
            "top": (
                prefect_yaml(
                    "build: null\npush: null\n"
                    + git_clone_pull(remote, f"access_token: '{MISSING_REF}'", indent=""),
                    deployment("shape-top-pull"),
                ),
                ("--all",),
            ),
        }
        result = {}
        for key, (text, args) in files.items():
            done = deploy(prefect_server, repo, text, *args)
            result[key] = Batch(repo, remote, text, done, (repo / "prefect.yaml").read_text())
        yield result


MISSING_REF = "{{ prefect.blocks.secret.shapes-no-such-block }}"
GH_REF = "{{ prefect.blocks.github-credentials.shapes-gh }}"
NEEDS_MISSING = (
    "import flowwiz_no_such_module\n"
    "from prefect import flow\n\n\n"
    "@flow(name='shapes-needs-missing')\n"
    "def needs(count: int, label: str = 'x'):\n"
    "    return flowwiz_no_such_module.run(count)\n"
)
SCHEDULES = (
    "  schedules:\n"
    "  - cron: 0 3 * * *\n"
    "    timezone: Europe/Berlin\n"
    "    active: true\n"
    "  - interval: 3600\n"
    "    active: false\n"
)


def own_pull_deployment(name: str, remote: Path) -> str:
    return deployment(name, pull=git_clone_pull(remote, f"access_token: '{TOKEN_REF}'"))


def nulls_deployments(remote: Path) -> str:
    """Every shape that deploys under top-level `build/push/pull: null`, one entry each."""
    cred_map = f"credentials:\n  username: oauth2\n  access_token: '{TOKEN_REF}'"
    local = (
        "  pull:\n"
        "  - prefect.deployments.steps.set_working_directory:\n"
        "      directory: /srv/flows/checkout\n"
    )
    return "".join([
        own_pull_deployment("shape-own-pull-nulls", remote),
        deployment("shape-cred-map", pull=git_clone_pull(remote, cred_map)),
        deployment("shape-gh-own", pull=git_clone_pull(remote, f"credentials: '{GH_REF}'")),
        deployment("shape-schedules", extra=SCHEDULES),
        deployment("shape-unscheduled", extra="  schedules: []\n"),
        deployment(
            "shape-vars",
            job_variables="{env: {LOG_LEVEL: DEBUG, EXTRA_PATH: /opt/x}, stream_output: false}",
            parameters="{count: 3, label: nightly}",
        ),
        deployment("shape-dotted", job_variables="{env.LOG_LEVEL: DEBUG}"),
        deployment("shape-leaky", job_variables=f"{{env: {{GIT_TOKEN: '{TOKEN_REF}'}}}}"),
        deployment("shape-local", pull=local),
        deployment("shape-missing-import", entrypoint="flows/needs_missing.py:needs"),
    ])


def deployed(batches: dict[str, Batch], key: str) -> Batch:
    batch = batches[key]
    assert batch.done.returncode == 0, f"deploy failed\n{batch.done.stdout}\n{batch.done.stderr}"
    return batch


def prefect_yaml(top: str, deployments: str) -> str:
    return f"name: repo\nprefect-version: 3.9.1\n{top}deployments:\n{deployments}"


def deployment(
    name: str,
    *,
    pull: str = "",
    entrypoint: str = "flows/etl.py:etl",
    extra: str = "",
    job_variables: str = "{}",
    parameters: str = "{}",
) -> str:
    """One deployment entry as flowwiz writes it (pull: a block of lines indented 2)."""
    return (
        f"- name: {name}\n"
        f"  version: null\n"
        f"  tags: []\n"
        f"  description: null\n"
        f"  entrypoint: {entrypoint}\n"
        f"  parameters: {parameters}\n"
        f"  work_pool:\n"
        f"    name: {POOL}\n"
        f"    work_queue_name: null\n"
        f"    job_variables: {job_variables}\n"
        f"{extra}{pull}"
    )


def git_clone_pull(remote: Path, auth: str, *, indent: str = "  ") -> str:
    """A pull list (under `pull:` at indent) of one git_clone step with auth lines."""
    lines = [
        "pull:",
        "- prefect.deployments.steps.git_clone:",
        f"    repository: {remote}",
        "    branch: main",
        *(f"    {line}" for line in auth.splitlines()),
    ]
    return "".join(f"{indent}{line}\n" for line in lines)


def deploy(server: PrefectServer, repo: Path, text: str, *args: str):
    (repo / "prefect.yaml").write_text(text)
    return server.run_prefect("--no-prompt", "deploy", *(args or ("--all",)), cwd=repo)


def deploy_ok(server: PrefectServer, repo: Path, text: str, *args: str):
    done = deploy(server, repo, text, *args)
    assert done.returncode == 0, f"deploy failed\n{done.stdout}\n{done.stderr}"
    return done


def git_clone_step(remote: Path, **auth: Any) -> dict[str, Any]:
    return {
        "prefect.deployments.steps.git_clone": {
            "repository": str(remote),
            "branch": "main",
            **auth,
        }
    }


def assert_not_created(server: PrefectServer, flow: str, name: str) -> None:
    response = server.api("GET", f"/deployments/name/{flow}/{name}")
    assert response.status_code == 404, response.text[:300]


# 1 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("top", ["nulls", "omitted"])
def test_deployment_pull_with_access_token_is_stored_verbatim(
    prefect_server: PrefectServer, batches: dict[str, Batch], top: str
) -> None:
    batch = deployed(batches, top)
    dep = prefect_server.read_deployment(FLOW, f"shape-own-pull-{top}")
    assert dep["pull_steps"] == [git_clone_step(batch.remote, access_token=TOKEN_REF)]
    assert dep["entrypoint"] == "flows/etl.py:etl"
    assert dep["work_pool_name"] == POOL
    assert dep["path"] is None


@pytest.mark.parametrize("top", ["nulls", "omitted"])
def test_deploy_draws_no_warning_and_leaves_the_file_as_written(
    batches: dict[str, Batch], top: str
) -> None:
    batch = deployed(batches, top)
    out = batch.done.stdout + batch.done.stderr
    assert "warning" not in out.lower()
    assert TOKEN not in out
    assert batch.file_after == batch.text


def test_top_level_pull_is_used_when_the_deployment_has_none_and_is_not_checked(
    prefect_server: PrefectServer, batches: dict[str, Batch]
) -> None:
    """7 (top level): a reference to a block that does not exist deploys, exit 0, silently."""
    batch = deployed(batches, "top")
    assert "shapes-no-such-block" not in batch.done.stdout + batch.done.stderr
    dep = prefect_server.read_deployment(FLOW, "shape-top-pull")
    assert dep["pull_steps"] == [git_clone_step(batch.remote, access_token=MISSING_REF)]


def test_deploy_by_name_deploys_only_that_deployment(
    prefect_server: PrefectServer, batches: dict[str, Batch]
) -> None:
    deployed(batches, "omitted")
    assert prefect_server.read_deployment(FLOW, "shape-own-pull-omitted")["name"]
    assert_not_created(prefect_server, FLOW, "shape-pick-other")


def test_stored_pull_steps_resolve_and_clone_like_a_worker(
    prefect_server: PrefectServer, batches: dict[str, Batch], tmp_path: Path
) -> None:
    batch = deployed(batches, "nulls")
    dep_id = prefect_server.read_deployment(FLOW, "shape-own-pull-nulls")["id"]
    # what a worker does before the flow runs: read the deployment, run its pull steps
    ran = prefect_server.check_python(
        "import asyncio, json\n"
        "from prefect.client.orchestration import get_client\n"
        "from prefect.deployments.steps.core import run_steps\n"
        "from prefect.utilities.templating import resolve_block_document_references\n"
        "async def main():\n"
        "    async with get_client() as client:\n"
        f"        dep = await client.read_deployment('{dep_id}')\n"
        "    resolved = await resolve_block_document_references(dep.pull_steps)\n"
        "    token = resolved[0]['prefect.deployments.steps.git_clone']['access_token']\n"
        "    out = await run_steps(dep.pull_steps, print_function=lambda *a: None)\n"
        f"    print(json.dumps({{'token_matches': token == {TOKEN!r}, **out}}))\n"
        "asyncio.run(main())\n",
        cwd=tmp_path,
    )
    result = json.loads(ran.stdout.strip().splitlines()[-1])
    assert result["token_matches"] is True
    cloned = tmp_path / result["directory"]
    assert (cloned / "flows" / "etl.py").is_file()
    assert git(cloned, "rev-parse", "HEAD") == git(batch.repo, "rev-parse", "HEAD")


# 2 -------------------------------------------------------------------------------------


def test_credentials_mapping_with_secret_reference_is_stored_unresolved(
    prefect_server: PrefectServer, batches: dict[str, Batch]
) -> None:
    batch = deployed(batches, "nulls")
    dep = prefect_server.read_deployment(FLOW, "shape-cred-map")
    assert dep["pull_steps"] == [
        git_clone_step(batch.remote, credentials={"username": "oauth2", "access_token": TOKEN_REF})
    ]


# 3 -------------------------------------------------------------------------------------


def test_provider_credential_block_types_are_on_a_fresh_server(
    prefect_server: PrefectServer,
) -> None:
    """A 3.9.1 server registers the collections' block types itself: no prefect-github needed."""
    for slug in ("github-credentials", "gitlab-credentials", "bitbucket-credentials"):
        block_type = prefect_server.api("GET", f"/block_types/slug/{slug}")
        assert block_type.status_code == 200, slug
        schemas = prefect_server.api(
            "POST", "/block_schemas/filter",
            json={"block_schemas": {"block_type_id": {"any_": [block_type.json()["id"]]}}},
        ).json()
        assert schemas, slug
        assert all("token" in schema["fields"]["secret_fields"] for schema in schemas), slug


def test_existing_credentials_block_in_deployment_pull_is_stored_unresolved(
    prefect_server: PrefectServer, batches: dict[str, Batch]
) -> None:
    batch = deployed(batches, "nulls")
    dep = prefect_server.read_deployment(FLOW, "shape-gh-own")
    assert dep["pull_steps"] == [git_clone_step(batch.remote, credentials=GH_REF)]


def test_missing_credentials_block_fails_a_deployment_pull(
    server: PrefectServer, project: tuple[Path, Path]
) -> None:
    repo, remote = project
    ref = "{{ prefect.blocks.gitlab-credentials.shapes-no-such-gl }}"
    pull = git_clone_pull(remote, f"credentials: '{ref}'")
    done = deploy(server, repo, prefect_yaml(NULLS, deployment("shape-gl-own", pull=pull)))
    assert done.returncode == 1
    assert (
        "Block not found: 'shapes-no-such-gl' of type 'gitlab-credentials'"
        in done.stdout + done.stderr
    )
    assert_not_created(server, FLOW, "shape-gl-own")


# 4 -------------------------------------------------------------------------------------


def test_cron_and_interval_schedules_read_back(
    prefect_server: PrefectServer, batches: dict[str, Batch]
) -> None:
    deployed(batches, "nulls")
    stored = prefect_server.read_deployment(FLOW, "shape-schedules")["schedules"]
    # the server does not keep the file's order: find each by kind
    by_kind = {("cron" if "cron" in s["schedule"] else "interval"): s for s in stored}
    assert len(stored) == 2
    assert by_kind["cron"]["schedule"] == {
        "cron": "0 3 * * *", "timezone": "Europe/Berlin", "day_or": True,
    }
    assert by_kind["cron"]["active"] is True
    interval = by_kind["interval"]["schedule"]
    assert interval["interval"] == 3600.0
    assert interval["timezone"] == "UTC"
    assert "anchor_date" in interval  # defaulted to the deploy time
    assert by_kind["interval"]["active"] is False
    for schedule in stored:
        assert schedule["parameters"] == {}
        assert schedule["max_scheduled_runs"] is None


def test_no_schedules_reads_back_empty(
    prefect_server: PrefectServer, batches: dict[str, Batch]
) -> None:
    deployed(batches, "nulls")
    assert prefect_server.read_deployment(FLOW, "shape-unscheduled")["schedules"] == []


# 5 -------------------------------------------------------------------------------------


def test_job_variables_and_parameters_read_back(
    prefect_server: PrefectServer, batches: dict[str, Batch]
) -> None:
    deployed(batches, "nulls")
    dep = prefect_server.read_deployment(FLOW, "shape-vars")
    assert dep["job_variables"] == {
        "env": {"LOG_LEVEL": "DEBUG", "EXTRA_PATH": "/opt/x"},
        "stream_output": False,
    }
    assert dep["parameters"] == {"count": 3, "label": "nightly"}
    assert dep["work_queue_name"] == "default"
    schema = dep["parameter_openapi_schema"]
    assert schema["required"] == ["count"]
    assert set(schema["properties"]) == {"count", "label"}


def test_dotted_job_variable_keys_are_not_expanded(
    prefect_server: PrefectServer, batches: dict[str, Batch]
) -> None:
    """Prefect stores a key "env.LOG_LEVEL" as it is: nesting is the writer's job."""
    deployed(batches, "nulls")
    assert prefect_server.read_deployment(FLOW, "shape-dotted")["job_variables"] == {
        "env.LOG_LEVEL": "DEBUG"
    }


def test_secret_reference_in_job_variables_is_resolved_and_stored_in_plain_text(
    prefect_server: PrefectServer, batches: dict[str, Batch]
) -> None:
    """Why flowwiz keeps secret references to pull steps only."""
    deployed(batches, "nulls")
    assert prefect_server.read_deployment(FLOW, "shape-leaky")["job_variables"] == {
        "env": {"GIT_TOKEN": TOKEN}
    }


# 6 -------------------------------------------------------------------------------------


def test_set_working_directory_with_absolute_path_is_stored_verbatim(
    prefect_server: PrefectServer, batches: dict[str, Batch]
) -> None:
    deployed(batches, "nulls")
    dep = prefect_server.read_deployment(FLOW, "shape-local")
    assert dep["pull_steps"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": "/srv/flows/checkout"}}
    ]


# 7 -------------------------------------------------------------------------------------


def test_missing_secret_block_in_deployment_pull_fails_the_deploy(
    server: PrefectServer, project: tuple[Path, Path]
) -> None:
    repo, remote = project
    pull = git_clone_pull(remote, f"access_token: '{MISSING_REF}'")
    done = deploy(server, repo, prefect_yaml(NULLS, deployment("shape-missing-own", pull=pull)))
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert "Block not found: 'shapes-no-such-block' of type 'secret'" in out
    assert "Traceback" in out  # Prefect shows its own traceback: flowwiz should check first
    assert_not_created(server, FLOW, "shape-missing-own")


# 8 -------------------------------------------------------------------------------------


def test_flow_whose_imports_are_missing_still_deploys(
    prefect_server: PrefectServer, batches: dict[str, Batch]
) -> None:
    deployed(batches, "nulls")
    dep = prefect_server.read_deployment("shapes-needs-missing", "shape-missing-import")
    assert dep["entrypoint"] == "flows/needs_missing.py:needs"
    # the parameter schema still comes through (Prefect falls back to reading the source)
    assert dep["parameter_openapi_schema"]["required"] == ["count"]
    assert set(dep["parameter_openapi_schema"]["properties"]) == {"count", "label"}
