"""Issue 9, real repositories: `flowwiz deploy --yes` through the real console script on
monorepo sub-folders, per-pipeline prefect.yaml files, submodules, tags, pinned commits, CI
checkouts and repositories git refuses (dubious ownership)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from flowwiz.wizard.review import deploy_commands
from flowwiz.writers.plan import DeploymentPlan, GitStorage
from tests.deployutil import FLOW, github_like_repo, run_deploy, tree_hashes
from tests.gitutil import git, make_repo

CLONE = "prefect.deployments.steps.git_clone"
CHDIR = "prefect.deployments.steps.set_working_directory"
URL = "https://github.com/acme/flows.git"
BASE = (
    "--yes",
    "--public",
    "--pool",
    "default",
    "--no-schedule",
    "--no-prefectignore",
    "--param",
    "count=1",
)
SALES = {"projects/sales/flows/etl.py": FLOW, "projects/sales/requirements.txt": "prefect>=3\n"}


def entries(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text())["deployments"]


def ok(repo: Path, *args: str, env: dict[str, str] | None = None):
    done = run_deploy(repo, *BASE, *args, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def next_steps(stderr: str) -> list[str]:
    tail = stderr.split("Next steps", 1)[1]
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    # the commands to run, without the note that no `prefect` was found on this machine
    note = ("No `prefect` was found", "(pip install prefect) to run:")  # wrapped at 80 columns
    return [line for line in lines if not line.startswith(note)]


# --------------------------------------------------------------------------- sub-folders


def test_project_below_the_git_root_clones_then_changes_into_its_folder(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path, SALES)
    sales = repo / "projects" / "sales"
    done = ok(sales)
    assert not (repo / "prefect.yaml").exists()
    (entry,) = entries(sales / "prefect.yaml")
    assert entry["entrypoint"] == "flows/etl.py:etl"  # relative to the project, as Prefect runs it
    assert entry["pull"] == [
        {CLONE: {"id": "clone-step", "repository": URL, "branch": "main"}},
        {CHDIR: {"directory": "{{ clone-step.directory }}/projects/sales"}},
    ]
    assert "runs in projects/sales/" in " ".join(done.stderr.split())
    assert "prefect deploy -n nightly-etl" in next_steps(done.stderr)


def test_a_prefect_yaml_above_the_project_is_named_and_usable(tmp_path: Path) -> None:
    root_file = "deployments: []\n"
    repo = github_like_repo(tmp_path, {**SALES, "prefect.yaml": root_file})
    sales = repo / "projects" / "sales"
    done = ok(sales, "--dry-run")
    assert (
        "The repository has ../../prefect.yaml; this deployment goes into a new prefect.yaml"
        in (" ".join(done.stderr.split()))
    )
    done = ok(sales, "--prefect-file", "../../prefect.yaml")
    (entry,) = entries(repo / "prefect.yaml")
    assert entry["entrypoint"] == "projects/sales/flows/etl.py:etl"  # relative to the file's folder
    assert entry["pull"] == [{CLONE: {"repository": URL, "branch": "main"}}]
    assert next_steps(done.stderr)[:2] == ["cd ../..", "prefect deploy -n nightly-etl"]
    assert not (sales / "prefect.yaml").exists()


def test_sparse_checkout_takes_only_the_project_folder(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path, SALES)
    ok(repo / "projects" / "sales", "--sparse-checkout")
    (entry,) = entries(repo / "projects" / "sales" / "prefect.yaml")
    assert entry["pull"][0][CLONE]["directories"] == ["projects/sales"]
    at_root = run_deploy(
        repo, *BASE, "--sparse-checkout", "--prefect-file", "prefect.yaml",
        "--entrypoint", "projects/sales/flows/etl.py:etl",
    )  # fmt: skip
    assert at_root.returncode == 2
    assert at_root.stderr.strip().splitlines()[-1].startswith("error: --sparse-checkout: ")


def test_the_prefect_yaml_beside_the_flow_is_used_not_a_new_root_file(tmp_path: Path) -> None:
    existing = (
        "# the sales pipeline's own deployments\n"
        "deployments:\n"
        "- name: hourly\n"
        "  entrypoint: flows/etl.py:etl\n"
        "  work_pool: {name: default}\n"
    )
    repo = github_like_repo(tmp_path, {**SALES, "projects/sales/prefect.yaml": existing})
    done = ok(repo, "--name", "nightly")
    assert not (repo / "prefect.yaml").exists()
    target = repo / "projects" / "sales" / "prefect.yaml"
    assert target.read_text().startswith(existing)  # the team's entry and comment stay
    hourly, nightly = entries(target)
    assert nightly["entrypoint"] == "flows/etl.py:etl"
    assert nightly["pull"][1] == {CHDIR: {"directory": "{{ clone-step.directory }}/projects/sales"}}
    assert "goes into projects/sales/prefect.yaml" in done.stderr
    assert next_steps(done.stderr)[:2] == ["cd projects/sales", "prefect deploy -n nightly"]
    # the same file named with --prefect-file from the root: the same result
    ok(repo, "--name", "again", "--prefect-file", "projects/sales/prefect.yaml")
    assert entries(target)[-1]["entrypoint"] == "flows/etl.py:etl"


def test_a_file_whose_entries_resolve_from_the_root_keeps_that_convention(tmp_path: Path) -> None:
    existing = (
        "deployments:\n"
        "- name: hourly\n"
        "  entrypoint: projects/sales/flows/etl.py:etl\n"
        "  work_pool: {name: default}\n"
    )
    repo = github_like_repo(tmp_path, {**SALES, "projects/sales/prefect.yaml": existing})
    done = ok(repo, "--name", "nightly")
    nightly = entries(repo / "projects" / "sales" / "prefect.yaml")[-1]
    assert nightly["entrypoint"] == "projects/sales/flows/etl.py:etl"
    assert nightly["pull"] == [{CLONE: {"repository": URL, "branch": "main"}}]
    assert "prefect deploy --prefect-file projects/sales/prefect.yaml -n nightly" in next_steps(
        done.stderr
    )


def test_prefect_file_elsewhere_is_named_in_the_next_steps(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    (repo / "deploy").mkdir()
    done = ok(repo, "--prefect-file", "deploy/prod.yaml")
    (entry,) = entries(repo / "deploy" / "prod.yaml")
    assert entry["entrypoint"] == "flows/etl.py:etl" and len(entry["pull"]) == 1
    assert (
        next_steps(done.stderr)[0]
        == "prefect deploy --prefect-file deploy/prod.yaml -n nightly-etl"
    )
    missing = run_deploy(repo, *BASE, "--prefect-file", "nowhere/prefect.yaml")
    assert missing.returncode == 2 and "no such folder" in missing.stderr


def test_deploy_commands_say_where_to_run_prefect_deploy(tmp_path: Path) -> None:
    def plan(root: Path, file: Path) -> DeploymentPlan:
        return DeploymentPlan(
            project_root=root, prefect_yaml=file, project_name="p", name="my etl",
            flow_name="f", entrypoint="flows/etl.py:etl",
            storage=GitStorage(URL, "main"), work_pool="default",
        )  # fmt: skip

    sales = tmp_path / "projects" / "sales"
    assert deploy_commands(plan(sales, sales / "prefect.yaml"), cwd=sales) == [
        "prefect deploy -n 'my etl'"
    ]
    assert deploy_commands(plan(sales, sales / "prefect.yaml"), cwd=tmp_path) == [
        "cd projects/sales",
        "prefect deploy -n 'my etl'",
    ]
    assert deploy_commands(plan(sales, sales / "ci" / "p.yaml"), cwd=tmp_path) == [
        "cd projects/sales",
        "prefect deploy --prefect-file ci/p.yaml -n 'my etl'",
    ]


# --------------------------------------------------------------------------- submodules


def submodule_repo(tmp_path: Path) -> Path:
    lib = make_repo(tmp_path / "lib", {"shared/__init__.py": "VALUE = 1\n"})
    repo = github_like_repo(tmp_path, SALES, push=False)
    git(repo, "submodule", "add", "-q", "https://github.com/acme/lib.git", "projects/sales/vendor")
    git(repo, "config", "-f", ".gitmodules", "submodule.projects/sales/vendor.url", "../lib.git")
    git(repo, "commit", "-q", "-am", "vendor the shared library")
    git(repo, "push", "-q", "-u", "origin", "main")
    assert lib.is_dir()
    return repo


@pytest.fixture
def lib_rewrite(tmp_path: Path) -> None:
    gitconfig = Path(os.environ["GIT_CONFIG_GLOBAL"])
    lib = tmp_path / "lib"
    gitconfig.write_text(
        gitconfig.read_text() + f'[url "{lib}"]\n\tinsteadOf = https://github.com/acme/lib.git\n'
    )


def test_submodules_are_cloned_when_the_repository_has_them(
    tmp_path: Path, lib_rewrite: None
) -> None:
    repo = submodule_repo(tmp_path)
    sales = repo / "projects" / "sales"
    done = ok(sales)
    (entry,) = entries(sales / "prefect.yaml")
    assert entry["pull"][0][CLONE]["include_submodules"] is True
    assert "with submodules" in " ".join(done.stderr.split())
    ok(sales, "--name", "without", "--no-include-submodules")
    assert "include_submodules" not in entries(sales / "prefect.yaml")[-1]["pull"][0][CLONE]


def test_declining_submodules_a_flow_imports_from_is_warned(
    tmp_path: Path, lib_rewrite: None
) -> None:
    repo = submodule_repo(tmp_path)
    sales = repo / "projects" / "sales"
    (sales / "flows" / "etl.py").write_text("from vendor.shared import VALUE\n" + FLOW)
    git(repo, "commit", "-q", "-am", "use the library")
    git(repo, "push", "-q")
    done = ok(sales, "--no-include-submodules", "--dry-run")
    said = " ".join(done.stderr.split())
    assert (
        "flows/etl.py imports vendor.shared from the submodule projects/sales/vendor: without "
        "submodules the worker's run fails with ModuleNotFoundError."
    ) in said


def test_a_submodule_url_a_worker_cannot_reach_is_named(tmp_path: Path) -> None:
    lib = make_repo(tmp_path / "lib", {"shared/__init__.py": "VALUE = 1\n"})
    repo = github_like_repo(tmp_path, push=False)
    git(repo, "submodule", "add", "-q", str(lib), "vendor")
    git(repo, "commit", "-q", "-m", "vendor")
    git(repo, "push", "-q", "-u", "origin", "main")
    done = ok(repo)
    assert f"Submodule vendor: a worker clones it from {lib}, which is not an https URL" in (
        " ".join(done.stderr.split())
    )


# --------------------------------------------------------------------------- tags, commits, CI


def release_checkout(tmp_path: Path) -> Path:
    repo = github_like_repo(tmp_path)
    git(repo, "tag", "-a", "v1.0", "-m", "release")
    git(repo, "commit", "-q", "--allow-empty", "-m", "later work")
    git(repo, "push", "-q", "origin", "main", "v1.0")
    git(repo, "checkout", "-q", "--detach", "v1.0")
    return repo


def test_detached_head_at_a_tag_pins_the_tag(tmp_path: Path) -> None:
    repo = release_checkout(tmp_path)
    done = ok(repo)
    (entry,) = entries(repo / "prefect.yaml")
    assert entry["pull"] == [{CLONE: {"repository": URL, "branch": "v1.0"}}]
    assert "detached at tag 'v1.0'" in done.stderr


def test_ci_variable_names_the_branch_before_any_guess(tmp_path: Path) -> None:
    repo = release_checkout(tmp_path)
    ok(repo, env={"CI_COMMIT_REF_NAME": "release/1.x"})
    (entry,) = entries(repo / "prefect.yaml")
    assert entry["pull"][0][CLONE]["branch"] == "release/1.x"


def test_commit_sha_pins_a_commit(tmp_path: Path) -> None:
    repo = release_checkout(tmp_path)
    sha = git(repo, "rev-parse", "HEAD")
    done = ok(repo, "--commit-sha", sha)
    (entry,) = entries(repo / "prefect.yaml")
    assert entry["pull"] == [{CLONE: {"repository": URL, "commit_sha": sha}}]
    assert f"commit {sha}" in " ".join(done.stderr.split())
    # an abbreviated SHA is completed: Prefect's clone runs `git fetch origin <sha>`
    git(repo, "checkout", "-q", "main")
    done = ok(repo, "--commit-sha", sha[:8], "--name", "short")
    assert entries(repo / "prefect.yaml")[-1]["pull"][0][CLONE]["commit_sha"] == sha
    assert f"Pinning the full SHA {sha}" in " ".join(done.stderr.split())


def test_a_branch_template_is_prefects_to_fill_in(tmp_path: Path) -> None:
    repo = github_like_repo(tmp_path)
    ok(repo, "--branch", "{{ $GIT_BRANCH }}")
    (entry,) = entries(repo / "prefect.yaml")
    assert entry["pull"][0][CLONE]["branch"] == "{{ $GIT_BRANCH }}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--branch", "a..b~1^:"),
            "error: --branch 'a..b~1^:': a branch name cannot contain : ^ ~",
        ),
        (("--branch", "a\nb"), "error: --branch 'a\\nb': a branch name is one line"),
        (("--commit-sha", "v1.0"), "error: --commit-sha 'v1.0': a commit SHA is 4 to 64"),
        (("--commit-sha", "abcdef12"), "error: --commit-sha abcdef12: this repository has no such"),
        (
            ("--commit-sha", "abcd", "--branch", "main"),
            "error: --branch and --commit-sha: give one",
        ),
        (
            ("--commit-sha", "abcd", "--storage", "local"),
            "error: --commit-sha, --include-submodules",
        ),
    ],
)
def test_bad_refs_exit_2_in_one_line_and_write_nothing(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    repo = github_like_repo(tmp_path)
    before = tree_hashes(repo)
    done = run_deploy(repo, *BASE, *args)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith(message), done.stderr
    assert tree_hashes(repo) == before


# --------------------------------------------------------------------------- dubious ownership


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_dubious_ownership_stops_with_the_safe_directory_command(tmp_path: Path) -> None:
    """A repository owned by another user (a CI container's checkout): git refuses it, and
    flowwiz says how to trust it instead of quietly deploying from this machine's folder."""
    repo = github_like_repo(tmp_path)
    for path in (repo, repo / ".git"):
        os.chown(path, 65534, 65534)  # nobody: git, run as root here, now refuses the repo
    before = tree_hashes(repo)
    done = run_deploy(repo, "--yes", "--pool", "default")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: git refuses the repository at {repo} (dubious ownership: it belongs to another"
        f" user); if you trust it, run: git config --global --add safe.directory {repo}"
    )
    assert tree_hashes(repo) == before and not (repo / "prefect.yaml").exists()
    # storage that needs no git, chosen by flag, still works
    local = run_deploy(repo, *BASE, "--storage", "local", "--dry-run")
    assert local.returncode == 0, local.stderr
    # the command it names is the way out
    git(tmp_path, "config", "--global", "--add", "safe.directory", str(repo))
    ok(repo)


# --------------------------------------------------------------------------- interactive


def test_a_person_is_asked_about_the_prefect_yaml_beside_the_flow(tmp_path: Path) -> None:
    from tests.test_deploy_interactive import ENTER, Transcript, spawn

    existing = "deployments: []\n"
    repo = github_like_repo(tmp_path, {**SALES, "projects/sales/prefect.yaml": existing})
    flags = (
        "--name", "nightly", "--description", "d", "--tag", "t", "--no-schedule", "--pool",
        "default", "--queue", "default", "--job-variable", "env.X=1", "--param", "count=1",
        "--git", "--repository", URL, "--branch", "main", "--public", "--no-prefectignore",
    )  # fmt: skip
    t = Transcript(spawn(repo, *flags))
    t.answer("Which flow do you want to deploy", ENTER)
    t.answer("projects/sales/prefect.yaml sits beside this flow", "n")  # keep the root file
    t.answer(r"Override parameters with defaults", ENTER)
    t.answer(r"Write prefect.yaml\?", ENTER)
    assert t.finish() == 0, t.text
    (entry,) = entries(repo / "prefect.yaml")
    assert entry["entrypoint"] == "projects/sales/flows/etl.py:etl"
    assert (repo / "projects/sales/prefect.yaml").read_text() == existing


# --------------------------------------------------------------------------- the pull steps


def test_pull_steps_for_a_project_below_the_root() -> None:
    from flowwiz.detectors.errors import UserError
    from flowwiz.writers.prefect_yaml import pull_steps

    steps = pull_steps(
        GitStorage(
            URL, commit_sha="a" * 40, subdirectory="p/q", clone_id="code", directories=("p/q",)
        )
    )
    assert steps == [
        {CLONE: {"id": "code", "repository": URL, "commit_sha": "a" * 40, "directories": ["p/q"]}},
        {CHDIR: {"directory": "{{ code.directory }}/p/q"}},
    ]
    assert pull_steps(GitStorage(URL, "main", clone_id="c")) == [
        {CLONE: {"id": "c", "repository": URL, "branch": "main"}}
    ]
    for bad in ("../up", "/abs", ".", "a\\b", "{{ x }}"):
        with pytest.raises(UserError, match="not a folder inside the repository"):
            pull_steps(GitStorage(URL, "main", subdirectory=bad))
    with pytest.raises(UserError, match="clone step id"):
        pull_steps(GitStorage(URL, "main", subdirectory="p", clone_id="a.b"))
