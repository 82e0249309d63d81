"""The compatibility matrix (issue 6): `flowwiz deploy --yes`, then real `prefect deploy`.

Each case: a real git repository whose origin is an https GitHub URL that git rewrites to a
bare remote on disk (tests.deployutil.github_like_repo), `flowwiz deploy --yes ...` against
the harness's Prefect server (PREFECT_API_URL, so secret blocks land there), then
`prefect --no-prompt deploy` in the repository, then the deployment read back over REST.
Two cases go all the way: a process worker runs the flow, cloning through the pull step that
flowwiz wrote with the token flowwiz stored (git rewrites only the URL carrying that exact
token to the bare remote, so the clone works only if Prefect resolved the right token).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deployutil import FLOW, github_like_repo, run_deploy
from tests.leaks import assert_not_leaked, canary
from tests.prefect_harness import PrefectServer

pytestmark = pytest.mark.prefect

FLOW_NAME = "nightly-etl"  # tests.deployutil.FLOW: etl(count: int, label="x", ratio=0.5)
URL = "https://github.com/acme/flows.git"
POOL = "compat-pool"


def flowwiz(server: PrefectServer, repo: Path, *args: str, env: dict[str, str] | None = None):
    done = run_deploy(repo, "--yes", *args, env={"PREFECT_API_URL": server.api_url, **(env or {})})
    assert done.returncode == 0, f"flowwiz failed\n{done.stdout}\n{done.stderr}"
    return done


def prefect_deploy(server: PrefectServer, repo: Path, *args: str):
    return server.check_prefect("--no-prompt", "deploy", *(args or ("--all",)), cwd=repo)


def git_clone(repository: str = URL, branch: str = "main", **auth: Any) -> dict[str, Any]:
    return {
        "prefect.deployments.steps.git_clone": {
            "repository": repository, "branch": branch, **auth,
        }
    }


def token_ref(deployment: str, flow: str = FLOW_NAME) -> str:
    return f"{{{{ prefect.blocks.secret.deployment-{deployment}-{flow}-repo-token }}}}"


def worker_gitconfig(tmp_path: Path, url: str) -> Path:
    """A git config under which exactly `url` clones from the test's bare remote."""
    path = tmp_path / "worker.gitconfig"
    remote = tmp_path / "remotes" / "remote.git"
    path.write_text(f'[url "{remote}"]\n\tinsteadOf = {url}\n')
    return path


def run_on_worker(
    server: PrefectServer,
    deployment_id: str,
    pool: str,
    gitconfig: Path,
    tmp_path: Path,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Create a flow run and let one process worker poll once and run it; the flow run after."""
    created = server.api("POST", f"/deployments/{deployment_id}/create_flow_run", json={})
    assert created.status_code == 201, created.text[:500]
    workdir = tmp_path / "worker"
    workdir.mkdir()
    worker = server.check_prefect(
        "worker", "start", "--pool", pool, "--run-once",
        cwd=workdir,
        env_extra={"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1", **(env or {})},
        timeout=300,
    )
    flow_run = server.api("GET", f"/flow_runs/{created.json()['id']}").json()
    assert flow_run["state"]["type"] == "COMPLETED", worker.stdout + worker.stderr
    return dict(flow_run)


# --------------------------------------------------------------------------- public repo


def test_public_repo_one_flow(prefect_server: PrefectServer, tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    prefect_server.create_work_pool(POOL)
    flowwiz(prefect_server, repo, "--name", "compat-public", "--pool", POOL, "--param", "count=3")
    prefect_deploy(prefect_server, repo, "-n", "compat-public")

    dep = prefect_server.read_deployment(FLOW_NAME, "compat-public")
    assert dep["entrypoint"] == "flows/etl.py:etl"
    assert dep["work_pool_name"] == POOL
    assert dep["work_queue_name"] == "default"
    assert dep["pull_steps"] == [git_clone()]
    assert dep["schedules"] == []
    assert dep["parameters"] == {"count": 3}
    assert dep["job_variables"] == {}
    assert dep["description"] == "Loads the nightly extract."


# --------------------------------------------------------------------------- private repo


def test_private_repo_token_on_the_server_runs_on_a_worker(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    repo = github_like_repo(tmp_path)
    pool = "compat-private-pool"  # its own pool: the worker below must find only this run
    prefect_server.create_work_pool(pool)
    token = canary()
    wizard = flowwiz(
        prefect_server, repo,
        "--name", "compat-private", "--pool", pool, "--param", "count=3",
        "--private", "--token-env", "COMPAT_TOKEN",
        env={"COMPAT_TOKEN": token},
    )
    deployed = prefect_deploy(prefect_server, repo, "-n", "compat-private")

    dep = prefect_server.read_deployment(FLOW_NAME, "compat-private")
    ref = token_ref("compat-private")
    assert dep["pull_steps"] == [git_clone(access_token=ref)]  # unresolved on the server
    assert dep["entrypoint"] == "flows/etl.py:etl"
    assert dep["work_pool_name"] == pool
    assert dep["parameters"] == {"count": 3}

    # the secret is a real Secret block on the server, and Prefect's templating resolves it
    block = "deployment-compat-private-nightly-etl-repo-token"
    checked = prefect_server.check_python(
        "import asyncio, json\n"
        "from prefect.blocks.system import Secret\n"
        "from prefect.utilities.templating import resolve_block_document_references\n"
        f"loaded = Secret.load({block!r}).get()\n"
        f"resolved = asyncio.run(resolve_block_document_references({{'t': {ref!r}}}))['t']\n"
        f"print(json.dumps([loaded == {token!r}, resolved == {token!r}]))\n"
    )
    assert json.loads(checked.stdout.strip().splitlines()[-1]) == [True, True]

    # a worker clones with that token (only https://<token>@github.com/... reaches the remote)
    gitconfig = worker_gitconfig(tmp_path, f"https://{token}@github.com/acme/flows.git")
    flow_run = run_on_worker(prefect_server, dep["id"], pool, gitconfig, tmp_path)
    assert flow_run["parameters"] == {"count": 3}

    assert_not_leaked(
        token,
        texts=[wizard.stdout, wizard.stderr, deployed.stdout, deployed.stderr],
        roots=[repo, Path(os.environ["FLOWWIZ_HOME"])],
    )


# --------------------------------------------------------------------------- existing file


EXISTING = f"""\
# Team deployments: this comment must survive flowwiz.
name: flows
prefect-version: 3.9.1
build: null
push: null
pull: null

deployments:
# runs every hour
- name: compat-other-hourly
  entrypoint: flows/etl.py:etl
  parameters: {{count: 1}}
  work_pool:
    name: {POOL}
  schedules:
  - interval: 3600
- name: compat-other-manual  # started by hand
  entrypoint: flows/etl.py:etl
  parameters:
    count: 2
    label: manual
  work_pool:
    name: {POOL}
    job_variables:
      env:
        MODE: manual
"""


def test_existing_prefect_yaml_with_two_deployments_and_comments(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    repo = github_like_repo(tmp_path)
    (repo / "prefect.yaml").write_text(EXISTING)
    prefect_server.create_work_pool(POOL)
    flowwiz(prefect_server, repo, "--name", "compat-merged", "--pool", POOL, "--param", "count=5")

    text = (repo / "prefect.yaml").read_text()
    assert "# Team deployments: this comment must survive flowwiz." in text
    assert "# runs every hour" in text
    assert "# started by hand" in text
    names = [d["name"] for d in yaml.safe_load(text)["deployments"]]
    assert names == ["compat-other-hourly", "compat-other-manual", "compat-merged"]

    prefect_deploy(prefect_server, repo, "--all")
    hourly = prefect_server.read_deployment(FLOW_NAME, "compat-other-hourly")
    assert hourly["parameters"] == {"count": 1}
    assert [s["schedule"]["interval"] for s in hourly["schedules"]] == [3600.0]
    manual = prefect_server.read_deployment(FLOW_NAME, "compat-other-manual")
    assert manual["parameters"] == {"count": 2, "label": "manual"}
    assert manual["job_variables"] == {"env": {"MODE": "manual"}}
    assert manual["schedules"] == []
    merged = prefect_server.read_deployment(FLOW_NAME, "compat-merged")
    assert merged["parameters"] == {"count": 5}
    assert merged["pull_steps"] == [git_clone()]
    assert merged["work_pool_name"] == POOL


# --------------------------------------------------------------------------- schedules


def test_cron_and_interval_schedules(prefect_server: PrefectServer, tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    prefect_server.create_work_pool(POOL)
    common = ("--pool", POOL, "--param", "count=1")
    flowwiz(prefect_server, repo, "--name", "compat-cron", *common,
            "--cron", "30 2 * * 1-5", "--timezone", "Europe/Berlin")
    flowwiz(prefect_server, repo, "--name", "compat-interval", *common, "--interval", "900")
    prefect_deploy(prefect_server, repo, "--all")

    cron = prefect_server.read_deployment(FLOW_NAME, "compat-cron")["schedules"]
    assert len(cron) == 1
    assert cron[0]["schedule"] == {
        "cron": "30 2 * * 1-5", "timezone": "Europe/Berlin", "day_or": True,
    }
    assert cron[0]["active"] is True
    interval = prefect_server.read_deployment(FLOW_NAME, "compat-interval")["schedules"]
    assert len(interval) == 1
    assert interval[0]["schedule"]["interval"] == 900.0
    assert interval[0]["schedule"]["timezone"] == "UTC"
    assert interval[0]["active"] is True


# --------------------------------------------------------------------------- parameters


def test_required_and_defaulted_parameters(prefect_server: PrefectServer, tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    prefect_server.create_work_pool(POOL)
    # count is required; ratio has a default and is overridden; label keeps its default
    flowwiz(prefect_server, repo, "--name", "compat-params", "--pool", POOL,
            "--param", "count=3", "--param", "ratio=0.25")
    prefect_deploy(prefect_server, repo, "-n", "compat-params")

    dep = prefect_server.read_deployment(FLOW_NAME, "compat-params")
    assert dep["parameters"] == {"count": 3, "ratio": 0.25}
    schema = dep["parameter_openapi_schema"]
    assert schema["required"] == ["count"]
    assert schema["properties"]["count"]["type"] == "integer"
    assert schema["properties"]["label"]["default"] == "x"
    assert schema["properties"]["ratio"]["default"] == 0.5
    # the server checks a run's parameters against that schema: these pass as they are
    run = prefect_server.api("POST", f"/deployments/{dep['id']}/create_flow_run", json={})
    assert run.status_code == 201, run.text[:500]
    assert run.json()["parameters"] == {"count": 3, "ratio": 0.25}


# --------------------------------------------------------------------------- job variables


def test_dotted_job_variables(prefect_server: PrefectServer, tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    prefect_server.create_work_pool(POOL)
    flowwiz(
        prefect_server, repo, "--name", "compat-jobvars", "--pool", POOL, "--param", "count=1",
        "--job-variable", "env.LOG_LEVEL=DEBUG",
        "--job-variable", "env.HTTP_PROXY=http://proxy.internal:3128",
        "--job-variable", "working_dir=/srv/flows",
    )
    prefect_deploy(prefect_server, repo, "-n", "compat-jobvars")

    dep = prefect_server.read_deployment(FLOW_NAME, "compat-jobvars")
    assert dep["job_variables"] == {
        "env": {"LOG_LEVEL": "DEBUG", "HTTP_PROXY": "http://proxy.internal:3128"},
        "working_dir": "/srv/flows",
    }
    # what a process worker makes of them
    config = prefect_server.check_python(
        "import asyncio, json\n"
        "from prefect.client.orchestration import get_client\n"
        "from prefect.workers.process import ProcessWorker\n"
        "async def main():\n"
        "    async with get_client() as client:\n"
        f"        pool = await client.read_work_pool({POOL!r})\n"
        f"        dep = await client.read_deployment({dep['id']!r})\n"
        "    config = await ProcessWorker.job_configuration.from_template_and_values(\n"
        "        pool.base_job_template, dep.job_variables)\n"
        "    print(json.dumps({'env': config.env, 'working_dir': str(config.working_dir)}))\n"
        "asyncio.run(main())\n"
    )
    made = json.loads(config.stdout.strip().splitlines()[-1])
    assert made["env"] == {"LOG_LEVEL": "DEBUG", "HTTP_PROXY": "http://proxy.internal:3128"}
    assert made["working_dir"] == "/srv/flows"


def test_numeric_looking_env_job_variable_deploys(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    repo = github_like_repo(tmp_path)
    prefect_server.create_work_pool(POOL)
    flowwiz(prefect_server, repo, "--name", "compat-env-number", "--pool", POOL,
            "--param", "count=1", "--job-variable", "env.RETRIES=3")
    prefect_deploy(prefect_server, repo, "-n", "compat-env-number")
    dep = prefect_server.read_deployment(FLOW_NAME, "compat-env-number")
    assert dep["job_variables"] == {"env": {"RETRIES": "3"}}


# --------------------------------------------------------------------------- credentials block


def test_provider_credentials_block_runs_on_a_worker(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    repo = github_like_repo(tmp_path)
    pool = "compat-creds-pool"
    prefect_server.create_work_pool(pool)
    token = canary()
    prefect_server.save_block_document("github-credentials", "compat-gh", {"token": token})
    flowwiz(
        prefect_server, repo, "--name", "compat-creds", "--pool", pool, "--param", "count=2",
        "--private", "--credentials-block", "github-credentials/compat-gh",
    )
    prefect_deploy(prefect_server, repo, "-n", "compat-creds")

    dep = prefect_server.read_deployment(FLOW_NAME, "compat-creds")
    assert dep["pull_steps"] == [
        git_clone(credentials="{{ prefect.blocks.github-credentials.compat-gh }}")
    ]
    # prefect-github's own class reads the block
    loaded = prefect_server.check_python(
        "from prefect_github import GitHubCredentials\n"
        f"print(GitHubCredentials.load('compat-gh').token.get_secret_value() == {token!r})\n"
    )
    assert loaded.stdout.strip().splitlines()[-1] == "True"
    gitconfig = worker_gitconfig(tmp_path, f"https://{token}@github.com/acme/flows.git")
    flow_run = run_on_worker(prefect_server, dep["id"], pool, gitconfig, tmp_path)
    assert flow_run["parameters"] == {"count": 2}


# --------------------------------------------------------------------------- no git storage


def test_no_git_storage(prefect_server: PrefectServer, tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    prefect_server.create_work_pool(POOL)
    flowwiz(prefect_server, repo, "--name", "compat-local", "--pool", POOL,
            "--param", "count=1", "--no-git")
    prefect_deploy(prefect_server, repo, "-n", "compat-local")

    dep = prefect_server.read_deployment(FLOW_NAME, "compat-local")
    assert dep["pull_steps"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(repo.resolve())}}
    ]
    assert dep["entrypoint"] == "flows/etl.py:etl"
    assert dep["parameters"] == {"count": 1}


def test_flow_source_used_by_the_matrix_is_what_the_readbacks_assume() -> None:
    """Guard: the matrix reads deployments back under this flow name and signature."""
    assert f'@flow(name="{FLOW_NAME}")' in FLOW
    assert 'def etl(count: int, label: str = "x", ratio: float = 0.5)' in FLOW


# --------------------------------------------------------------------------- token on the worker


def test_token_in_the_workers_environment_runs_on_a_worker(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    """`--token-worker-env`: nothing stored; `prefect deploy` keeps the template (the variable is
    not set where it runs) and the worker's pull step reads the token from its environment."""
    repo = github_like_repo(tmp_path)
    pool = "compat-worker-env-pool"  # its own pool: the worker below must find only this run
    prefect_server.create_work_pool(pool)
    wizard = flowwiz(
        prefect_server, repo,
        "--name", "compat-worker-env", "--pool", pool, "--param", "count=2",
        "--token-worker-env", "COMPAT_GIT_TOKEN",
    )  # fmt: skip
    assert "stored nothing" in wizard.stderr
    prefect_deploy(prefect_server, repo, "-n", "compat-worker-env")
    dep = prefect_server.read_deployment(FLOW_NAME, "compat-worker-env")
    assert dep["pull_steps"] == [git_clone(access_token="{{ $COMPAT_GIT_TOKEN }}")]
    token = canary()
    gitconfig = worker_gitconfig(tmp_path, f"https://{token}@github.com/acme/flows.git")
    flow_run = run_on_worker(
        prefect_server, dep["id"], pool, gitconfig, tmp_path, env={"COMPAT_GIT_TOKEN": token}
    )
    assert flow_run["parameters"] == {"count": 2}
