"""writers.prefect_yaml: entries, new files, byte-preserving merges, atomic writes."""

from __future__ import annotations

import dataclasses
import difflib
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from flowwiz.detectors.errors import ProjectFileError, UserError, WorldError
from flowwiz.detectors.secret import SecretStr
from flowwiz.writers import prefect_yaml as py
from flowwiz.writers.plan import (
    CloudStorage,
    DeploymentPlan,
    DockerStorage,
    GitStorage,
    LocalStorage,
    Schedule,
)
from flowwiz.writers.prefect_yaml import (
    GIT_CLONE,
    SET_WORKING_DIRECTORY,
    deployment_entry,
    dump,
    new_document,
    pull_steps,
    render,
    write_atomic,
)

TOKEN_REF = "{{ prefect.blocks.secret.deployment-etl-daily-etl-repo-token }}"


def make_plan(**changes: Any) -> DeploymentPlan:
    plan = DeploymentPlan(
        project_root=Path("/srv/shop"),
        prefect_yaml=Path("/srv/shop/prefect.yaml"),
        project_name="shop",
        name="etl-daily",
        flow_name="etl",
        entrypoint="flows/etl.py:etl",
        storage=GitStorage(
            "https://github.com/acme/shop.git", branch="main", access_token=TOKEN_REF
        ),
        work_pool="prod",
        work_queue=None,
        description="Load the day's orders.",
        tags=("etl", "daily"),
        parameters={"count": 3, "label": "x"},
        job_variables={"env": {"LOG_LEVEL": "DEBUG"}, "image": "repo/img:tag"},
        schedules=(Schedule("cron", "0 3 * * *", "UTC"),),
        prefect_version="3.9.1",
    )
    return dataclasses.replace(plan, **changes)


EXPECTED_ENTRY: dict[str, Any] = {
    "name": "etl-daily",
    "tags": ["etl", "daily"],
    "description": "Load the day's orders.",
    "entrypoint": "flows/etl.py:etl",
    "parameters": {"count": 3, "label": "x"},
    "work_pool": {
        "name": "prod",
        "work_queue_name": None,
        "job_variables": {"env": {"LOG_LEVEL": "DEBUG"}, "image": "repo/img:tag"},
    },
    "schedules": [{"cron": "0 3 * * *", "timezone": "UTC", "active": True}],
    "pull": [
        {
            GIT_CLONE: {
                "repository": "https://github.com/acme/shop.git",
                "branch": "main",
                "access_token": TOKEN_REF,
            }
        }
    ],
}
# the same plan updating an entry that has no queue: no `work_queue_name: null` is added (no
# queue is Prefect's default one)
UPDATED_ENTRY: dict[str, Any] = {
    **EXPECTED_ENTRY,
    "work_pool": {k: v for k, v in EXPECTED_ENTRY["work_pool"].items() if k != "work_queue_name"},
}


# --------------------------------------------------------------------------- pull steps


@pytest.mark.parametrize(
    ("storage", "inputs"),
    [
        (
            GitStorage("https://github.com/a/r.git", branch="main", access_token=TOKEN_REF),
            {
                "repository": "https://github.com/a/r.git",
                "branch": "main",
                "access_token": TOKEN_REF,
            },
        ),
        (
            GitStorage("https://github.com/a/r.git", branch="dev"),
            {"repository": "https://github.com/a/r.git", "branch": "dev"},
        ),
        (
            GitStorage(
                "https://github.com/a/r.git",
                branch="main",
                credentials="{{ prefect.blocks.github-credentials.acme }}",
            ),
            {
                "repository": "https://github.com/a/r.git",
                "branch": "main",
                "credentials": "{{ prefect.blocks.github-credentials.acme }}",
            },
        ),
        (
            GitStorage(
                "https://git.corp.example/g/r.git",
                branch="main",
                access_token="{{ prefect.blocks.secret.corp-token }}",
                username="oauth2",
            ),
            {
                "repository": "https://git.corp.example/g/r.git",
                "branch": "main",
                "credentials": {
                    "username": "oauth2",
                    "access_token": "{{ prefect.blocks.secret.corp-token }}",
                },
            },
        ),
        (
            GitStorage(
                "https://github.com/a/r.git",
                commit_sha="0123abcd",
                access_token=TOKEN_REF,
                include_submodules=True,
            ),
            {
                "repository": "https://github.com/a/r.git",
                "commit_sha": "0123abcd",
                "access_token": TOKEN_REF,
                "include_submodules": True,
            },
        ),
        (GitStorage("https://github.com/a/r.git"), {"repository": "https://github.com/a/r.git"}),
    ],
)
def test_git_clone_step_shapes(storage: GitStorage, inputs: dict[str, Any]) -> None:
    steps = pull_steps(storage)
    assert steps == [{GIT_CLONE: inputs}]
    assert list(steps[0][GIT_CLONE]) == list(inputs)  # key order too


def test_local_storage_sets_the_working_directory() -> None:
    assert pull_steps(LocalStorage("/srv/shop")) == [
        {SET_WORKING_DIRECTORY: {"directory": "/srv/shop"}}
    ]
    with pytest.raises(UserError, match="absolute"):
        pull_steps(LocalStorage("relative/dir"))


@pytest.mark.parametrize(
    ("provider", "push", "pull", "requires", "bucket_key"),
    [
        (
            "s3",
            "prefect_aws.deployments.steps.push_to_s3",
            "prefect_aws.deployments.steps.pull_from_s3",
            "prefect-aws>=0.3.4",
            "bucket",
        ),
        (
            "gcs",
            "prefect_gcp.deployments.steps.push_to_gcs",
            "prefect_gcp.deployments.steps.pull_from_gcs",
            "prefect-gcp>=0.4.3",
            "bucket",
        ),
        (
            "azure",
            "prefect_azure.deployments.steps.push_to_azure_blob_storage",
            "prefect_azure.deployments.steps.pull_from_azure_blob_storage",
            "prefect-azure[blob_storage]>=0.2.8",
            "container",
        ),
    ],
)
def test_cloud_storage_push_and_pull(
    provider: Any, push: str, pull: str, requires: str, bucket_key: str
) -> None:
    creds = "{{ prefect.blocks.aws-credentials.dev }}"
    storage = CloudStorage(provider, "code-bucket", "shop", creds)
    assert pull_steps(storage) == [
        {
            pull: {
                "id": "pull_code",
                "requires": requires,
                bucket_key: "code-bucket",
                "folder": "shop",
                "credentials": creds,
            }
        }
    ]
    entry = deployment_entry(make_plan(storage=storage))
    assert entry["push"] == [
        {
            push: {
                "id": "push_code",
                "requires": requires,
                bucket_key: "code-bucket",
                "folder": "shop",
                "credentials": creds,
            }
        }
    ]
    assert list(entry)[-2:] == ["push", "pull"]
    # the step modules exist under these names in Prefect's integrations
    assert push.split(".")[1:3] == ["deployments", "steps"]


@pytest.mark.parametrize(
    ("storage", "message"),
    [
        (
            GitStorage("https://github.com/a/r.git", branch="main", commit_sha="abcd"),
            "branch or a commit SHA",
        ),
        (
            GitStorage(
                "https://github.com/a/r.git",
                access_token=TOKEN_REF,
                credentials="{{ prefect.blocks.github-credentials.x }}",
            ),
            "not both",
        ),
        (GitStorage("https://github.com/a/r.git", username="alice"), "username"),
        (GitStorage(""), "repository URL"),
    ],
)
def test_git_storage_contradictions_are_user_errors(storage: GitStorage, message: str) -> None:
    with pytest.raises(UserError, match=message):
        pull_steps(storage)


def test_a_literal_token_is_refused_and_not_repeated() -> None:
    canary = "ghp_canaryTOKEN1234567890"
    with pytest.raises(UserError) as info:
        pull_steps(GitStorage("https://github.com/a/r.git", access_token=canary))
    assert canary not in str(info.value)
    assert "block reference" in str(info.value)
    with pytest.raises(UserError) as info:
        pull_steps(GitStorage("https://github.com/a/r.git", credentials=canary))
    assert canary not in str(info.value)


def test_a_url_with_credentials_is_refused_and_not_repeated() -> None:
    canary = "ghp_canaryTOKEN1234567890"
    with pytest.raises(UserError) as info:
        pull_steps(GitStorage(f"https://x-access-token:{canary}@github.com/a/r.git"))
    assert canary not in str(info.value)
    assert "credentials" in str(info.value)


# --------------------------------------------------------------------------- the entry


def test_deployment_entry_is_exact_and_ordered() -> None:
    entry = deployment_entry(make_plan())
    assert entry == EXPECTED_ENTRY
    assert list(entry) == [
        "name",
        "tags",
        "description",
        "entrypoint",
        "parameters",
        "work_pool",
        "schedules",
        "pull",
    ]
    assert list(entry["work_pool"]) == ["name", "work_queue_name", "job_variables"]


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (
            Schedule("cron", "0 3 * * *", "UTC"),
            {"cron": "0 3 * * *", "timezone": "UTC", "active": True},
        ),
        (Schedule("interval", 3600), {"interval": 3600, "active": True}),
        (
            Schedule("interval", "90", "Europe/Paris", active=False),
            {"interval": 90, "timezone": "Europe/Paris", "active": False},
        ),
        (Schedule("interval", "1.5"), {"interval": 1.5, "active": True}),
        (
            Schedule("rrule", "FREQ=DAILY;BYHOUR=3", "America/New_York"),
            {"rrule": "FREQ=DAILY;BYHOUR=3", "timezone": "America/New_York", "active": True},
        ),
    ],
)
def test_schedules(schedule: Schedule, expected: dict[str, Any]) -> None:
    entry = deployment_entry(make_plan(schedules=(schedule,)))
    assert entry["schedules"] == [expected]
    assert list(entry["schedules"][0]) == list(expected)


@pytest.mark.parametrize("value", [0, -5, "soon", "inf"])
def test_bad_interval_is_a_user_error(value: Any) -> None:
    with pytest.raises(UserError, match="positive number of seconds"):
        deployment_entry(make_plan(schedules=(Schedule("interval", value),)))


@pytest.mark.parametrize(
    "changes",
    [
        {"job_variables": {"env": {"GIT_TOKEN": "{{ prefect.blocks.secret.repo-token }}"}}},
        {"parameters": {"token": "{{prefect.blocks.secret.repo-token}}"}},
        {"parameters": {"nested": [{"x": "pre {{ prefect.blocks.github-credentials.gh }}"}]}},
        {"description": "uses {{ prefect.blocks.secret.x }}"},
    ],
)
def test_block_references_outside_pull_steps_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(UserError) as info:
        deployment_entry(make_plan(**changes))
    message = str(info.value)
    assert "reference the secret in a pull step instead" in message
    assert "\n" not in message


def test_a_secret_value_never_reaches_the_entry() -> None:
    canary = "ghp_canaryTOKEN1234567890"
    with pytest.raises(UserError) as info:
        deployment_entry(make_plan(parameters={"token": SecretStr(canary)}))
    assert canary not in str(info.value)
    assert "parameters.token" in str(info.value)


def test_other_templates_in_job_variables_are_allowed() -> None:
    entry = deployment_entry(
        make_plan(job_variables={"image": "{{ build_image.image }}", "env": {"A": "{{ $HOME }}"}})
    )
    assert entry["work_pool"]["job_variables"]["image"] == "{{ build_image.image }}"


# --------------------------------------------------------------------------- a new file


def test_new_document_parses_to_the_exact_structure() -> None:
    text = new_document(make_plan())
    assert yaml.safe_load(text) == {
        "name": "shop",
        "prefect-version": "3.9.1",
        "build": None,
        "push": None,
        "pull": None,
        "deployments": [EXPECTED_ENTRY],
    }
    assert list(yaml.safe_load(text)) == [
        "name",
        "prefect-version",
        "build",
        "push",
        "pull",
        "deployments",
    ]
    assert text.startswith("# Written by flowwiz. Deploy with:\n#   prefect deploy -n etl-daily")
    assert f"      access_token: '{TOKEN_REF}'\n" in text
    assert "\npull: null\n" in text and "\nbuild: null\n" in text


def test_new_document_without_prefect_version() -> None:
    data = yaml.safe_load(new_document(make_plan(prefect_version=None)))
    assert "prefect-version" not in data
    assert list(data) == ["name", "build", "push", "pull", "deployments"]


def test_new_document_top_level_pull_switch() -> None:
    data = yaml.safe_load(new_document(make_plan(), top_level_pull="steps"))
    assert data["pull"] == EXPECTED_ENTRY["pull"]
    assert data["deployments"][0]["pull"] == EXPECTED_ENTRY["pull"]


def test_render_without_a_file_creates_it() -> None:
    rendered = render(make_plan(), None)
    assert rendered.action == "created"
    assert rendered.text == new_document(make_plan())
    assert rendered.diff == ""
    assert yaml.safe_load(rendered.entry_text) == [EXPECTED_ENTRY]


def test_render_of_an_empty_file_writes_a_whole_document() -> None:
    rendered = render(make_plan(), "\n\n")
    assert rendered.action == "created"
    assert rendered.text == new_document(make_plan())


# --------------------------------------------------------------------------- dump


def test_dump_quotes_templates_and_keeps_multiline_as_block() -> None:
    text = dump(
        {
            "a": "{{ prefect.blocks.secret.x }}",
            "b": "pre {{ x }} post",
            "script": "echo one\necho two\n",
            "plain": "0 3 * * *",
            "t": ("x", "y"),
            "yes": "yes",
            "ü": "ünïcode",
        }
    )
    assert text == (
        "a: '{{ prefect.blocks.secret.x }}'\n"
        "b: 'pre {{ x }} post'\n"
        "script: |\n"
        "  echo one\n"
        "  echo two\n"
        "plain: 0 3 * * *\n"
        "t:\n"
        "- x\n"
        "- y\n"
        "'yes': 'yes'\n"
        "ü: ünïcode\n"
    )


def test_dump_leaves_pyyaml_globals_alone() -> None:
    assert yaml.SafeDumper.yaml_representers[str] is yaml.representer.SafeRepresenter.represent_str
    assert py._Dumper.yaml_representers is not yaml.SafeDumper.yaml_representers
    assert yaml.Dumper.yaml_representers[str] is yaml.representer.SafeRepresenter.represent_str
    assert yaml.safe_dump({"a": "{{ x }}"}) == "a: '{{ x }}'\n"  # PyYAML's own choice
    assert yaml.safe_dump({"a": "x\ny"}) == "a: 'x\n\n  y'\n"  # no block literal globally


def test_a_long_template_is_never_folded() -> None:
    ref = "{{ prefect.blocks.secret." + "a" * 300 + " }}"
    assert dump({"k": ref}) == f"k: '{ref}'\n"


# --------------------------------------------------------------------------- merging

FIXTURE = """\
# Project-wide settings: edited by hand, keep these comments
name: shop
prefect-version: 3.1.0

definitions:
    work_pools:
        k8s: &k8s_pool
            name: k8s
            job_variables:
                image: repo/img:1

build: null
push: null
pull:
-   prefect.deployments.steps.git_clone:
        repository: https://github.com/acme/shop.git
        branch: main

deployments:
    # nightly import: do not touch
    -   name: import-orders
        version: "2.0"
        entrypoint: flows/orders.py:import_orders   # the big one
        work_pool: *k8s_pool
        concurrency_limit: 2
        triggers:
          - enabled: true
            match: {prefect.resource.id: "shop.*"}

    -   name: etl-daily
        version: 7          # pinned
        description: Old description
        entrypoint: flows/etl.py:etl
        enforce_parameter_schema: false
        x-owner: data-team  # custom key
        work_pool:
            name: old-pool
        schedules: []
        tags: [old]

    -   name: report
        entrypoint: flows/report.py:report
        work_pool: {name: reports}
# trailing note
"""


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _item_span(lines: list[str], name: str) -> tuple[int, int]:
    """Line range of the list item named ``name``: from its dash to before the next item
    (a dash at the same column) or the next top-level line."""
    start = next(i for i, line in enumerate(lines) if line.lstrip(" -").startswith(f"name: {name}"))
    dash = lines[start][: lines[start].index("-") + 1]
    end = start + 1
    while (
        end < len(lines)
        and not lines[end].startswith(dash)
        and not (lines[end].strip() and not lines[end].startswith(" "))
    ):
        end += 1
    return start, end


def _changed_old_lines(old: str, new: str, *, insertions: bool = True) -> set[int]:
    """Old line numbers the diff replaces or deletes (and, with insertions, the line an
    insertion comes before)."""
    matcher = difflib.SequenceMatcher(a=_lines(old), b=_lines(new), autojunk=False)
    changed: set[int] = set()
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            changed.update(range(i1, i2))
        elif tag == "insert" and insertions:
            changed.add(i1)
    return changed


def test_update_changes_only_the_target_entry() -> None:
    old = FIXTURE
    rendered = render(make_plan(), old)
    assert rendered.action == "updated"
    new = rendered.text
    old_lines, new_lines = _lines(old), _lines(new)
    i0, i1 = _item_span(old_lines, "etl-daily")
    j0, j1 = _item_span(new_lines, "etl-daily")
    assert (i0, old_lines[i0]) == (j0, new_lines[j0]) == (i0, "    -   name: etl-daily\n")
    assert new_lines[:j0] == old_lines[:i0]  # everything before, byte for byte
    assert new_lines[j1:] == old_lines[i1:]  # everything after, byte for byte
    assert new.startswith(old[: old.index("    -   name: etl-daily")])
    assert new.endswith(old[old.index("\n    -   name: report") :])
    assert all(i0 <= i < i1 for i in _changed_old_lines(old, new))
    # keys flowwiz does not own keep their lines, comments included, in their order
    target = "".join(new_lines[j0:j1])
    kept = [
        "        version: 7          # pinned\n",
        "        entrypoint: flows/etl.py:etl\n",
        "        enforce_parameter_schema: false\n",
        "        x-owner: data-team  # custom key\n",
    ]
    positions = [target.index(line) for line in kept]
    assert positions == sorted(positions)

    data = yaml.safe_load(new)
    expected = {
        **UPDATED_ENTRY,
        "version": 7,
        "enforce_parameter_schema": False,
        "x-owner": "data-team",
    }
    assert data["deployments"][1] == expected
    assert data["deployments"][0] == yaml.safe_load(old)["deployments"][0]
    assert data["deployments"][2] == yaml.safe_load(old)["deployments"][2]
    # replaced keys stay where they were; missing ones follow their nearest owned neighbour
    assert list(data["deployments"][1]) == [
        "name",
        "version",
        "description",
        "entrypoint",
        "parameters",
        "enforce_parameter_schema",
        "x-owner",
        "work_pool",
        "schedules",
        "pull",
        "tags",
    ]
    assert f"'{TOKEN_REF}'" in new
    assert rendered.entry_text == "".join(new_lines[j0:j1]).rstrip("\n") + "\n"
    assert yaml.safe_load(rendered.entry_text)[0] == expected


def test_update_entry_text_and_diff() -> None:
    rendered = render(make_plan(), FIXTURE)
    new_lines = _lines(rendered.text)
    j0, _ = _item_span(new_lines, "etl-daily")
    assert rendered.entry_text.startswith("    -   name: etl-daily\n")
    assert rendered.entry_text in rendered.text
    assert rendered.entry_text.endswith("        tags:\n            - etl\n            - daily\n")
    assert rendered.diff.startswith("--- a/prefect.yaml\n+++ b/prefect.yaml\n@@ ")
    removed = [
        ln for ln in rendered.diff.splitlines() if ln.startswith("-") and not ln.startswith("---")
    ]
    assert removed == [
        "-        description: Old description",
        "-            name: old-pool",
        "-        schedules: []",
        "-        tags: [old]",
    ]


def test_update_again_changes_nothing() -> None:
    once = render(make_plan(), FIXTURE).text
    again = render(make_plan(), once)
    assert again.action == "updated"
    assert again.text == once
    assert again.diff == ""


def test_append_keeps_every_byte_and_matches_the_list_style() -> None:
    plan = make_plan(name="new-one")
    rendered = render(plan, FIXTURE)
    assert rendered.action == "added"
    last = "        work_pool: {name: reports}\n"
    cut = FIXTURE.index(last) + len(last)
    assert rendered.text.startswith(FIXTURE[:cut])
    assert rendered.text.endswith("# trailing note\n")
    added = rendered.text[cut : -len("# trailing note\n")]
    assert added == rendered.entry_text
    assert added.startswith("    -   name: new-one\n        tags:\n")
    body = [line for line in _lines(added)[1:] if line.strip()]
    assert all(line.startswith("        ") for line in body)
    data = yaml.safe_load(rendered.text)
    assert data["deployments"][3] == {**EXPECTED_ENTRY, "name": "new-one"}
    assert data["deployments"][:3] == yaml.safe_load(FIXTURE)["deployments"]
    added_lines = [ln for ln in rendered.diff.splitlines() if ln.startswith("+")][1:]
    assert added_lines == ["+" + line.rstrip("\n") for line in _lines(added)]
    assert "\n-" not in rendered.diff.split("+++", 1)[1]


def test_append_under_prefect_style_list() -> None:
    old = "name: shop\ndeployments:\n- name: a\n  entrypoint: a.py:a\n"
    rendered = render(make_plan(), old)
    assert rendered.text.startswith(old)
    assert rendered.text[len(old) :] == dump([EXPECTED_ENTRY])


def test_update_of_an_aliased_work_pool_replaces_only_the_alias() -> None:
    plan = make_plan(name="import-orders", entrypoint="flows/orders.py:import_orders")
    rendered = render(plan, FIXTURE)
    data = yaml.safe_load(rendered.text)
    assert data["definitions"] == yaml.safe_load(FIXTURE)["definitions"]
    assert data["deployments"][0]["work_pool"] == UPDATED_ENTRY["work_pool"]
    assert data["deployments"][0]["concurrency_limit"] == 2
    assert "        k8s: &k8s_pool\n" in rendered.text
    assert "        entrypoint: flows/orders.py:import_orders   # the big one\n" in rendered.text


def test_a_shared_anchor_inside_an_owned_key_is_refused() -> None:
    old = (
        "deployments:\n"
        "- name: etl-daily\n"
        "  work_pool: &pool\n"
        "    name: shared\n"
        "- name: other\n"
        "  work_pool: *pool\n"
    )
    with pytest.raises(UserError, match="anchor &pool"):
        render(make_plan(), old)


def test_a_merge_key_entry_is_updated_explicitly() -> None:
    old = (
        "base: &base\n"
        "  work_pool: {name: shared}\n"
        "  tags: [etl, daily]\n"
        "deployments:\n"
        "- <<: *base\n"
        "  name: etl-daily\n"
    )
    rendered = render(make_plan(), old)
    data = yaml.safe_load(rendered.text)
    assert data["deployments"][0] == UPDATED_ENTRY
    assert data["base"] == {"work_pool": {"name": "shared"}, "tags": ["etl", "daily"]}
    listed = rendered.text[rendered.text.index("deployments:") :]
    assert listed.startswith("deployments:\n- <<: *base\n  name: etl-daily\n")
    assert "tags" not in listed  # equal through the merge: not written again


# --------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize(
    "old",
    [
        "name: shop\ndeployments: []\n",
        "name: shop\ndeployments: null\n",
        "name: shop\ndeployments:\n",
        "name: shop\ndeployments: ~\n",
        "name: shop\ndeployments:\nbuild: null\n",
    ],
)
def test_empty_deployments_values(old: str) -> None:
    rendered = render(make_plan(), old)
    assert rendered.action == "added"
    assert rendered.text.startswith("name: shop\ndeployments:\n- name: etl-daily\n")
    data = yaml.safe_load(rendered.text)
    assert data["deployments"] == [EXPECTED_ENTRY]
    if "build" in old:
        assert rendered.text.endswith("build: null\n")
        assert data["build"] is None


def test_empty_deployments_keeps_a_comment_on_the_key_line() -> None:
    rendered = render(make_plan(), "name: shop\ndeployments: []   # none yet\nbuild: null\n")
    assert rendered.text.startswith("name: shop\ndeployments:   # none yet\n- name: etl-daily\n")
    assert rendered.text.endswith("\nbuild: null\n")


def test_no_deployments_key_appends_a_block() -> None:
    old = "# settings\nname: shop\npull: null\n# end of settings\n"
    rendered = render(make_plan(), old)
    assert rendered.action == "added"
    assert rendered.text == old + "deployments:\n" + dump([EXPECTED_ENTRY])


def test_no_deployments_key_before_a_document_end_marker() -> None:
    old = "name: shop\n...\n"
    rendered = render(make_plan(), old)
    assert rendered.text == "name: shop\ndeployments:\n" + dump([EXPECTED_ENTRY]) + "...\n"


def test_a_file_of_comments_only() -> None:
    old = "# prefect.yaml\n# to be filled in\n"
    rendered = render(make_plan(), old)
    assert rendered.text == old + "deployments:\n" + dump([EXPECTED_ENTRY])
    assert yaml.safe_load(rendered.text) == {"deployments": [EXPECTED_ENTRY]}


def test_flow_style_list_is_rewritten_in_block_style() -> None:
    old = "name: shop\ndeployments: [{name: a, entrypoint: a.py:a, version: 1}]\nbuild: null\n"
    rendered = render(make_plan(), old)
    assert rendered.text == (
        "name: shop\ndeployments:\n"
        "- name: a\n  entrypoint: a.py:a\n  version: 1\n" + dump([EXPECTED_ENTRY]) + "build: null\n"
    )
    updated = render(make_plan(name="a", entrypoint="a.py:a"), old)
    assert updated.action == "updated"
    assert yaml.safe_load(updated.text)["deployments"] == [
        {**UPDATED_ENTRY, "name": "a", "entrypoint": "a.py:a", "version": 1}
    ]


def test_flow_style_item_in_a_block_list() -> None:
    old = "deployments:\n- {name: etl-daily, version: 3}\n- name: b\n"
    rendered = render(make_plan(), old)
    assert rendered.text.endswith("- name: b\n")
    assert yaml.safe_load(rendered.text)["deployments"] == [
        {**UPDATED_ENTRY, "version": 3},
        {"name": "b"},
    ]


def test_no_trailing_newline() -> None:
    old = "name: shop\ndeployments:\n- name: a\n  entrypoint: a.py:a"
    rendered = render(make_plan(), old)
    assert rendered.text == old + "\n" + dump([EXPECTED_ENTRY])
    assert rendered.diff.count("\\ No newline at end of file") == 1
    updated = render(make_plan(name="a"), old)
    assert updated.text.startswith("name: shop\ndeployments:\n- name: a\n")
    assert yaml.safe_load(updated.text)["deployments"][0]["entrypoint"] == "flows/etl.py:etl"


def test_crlf_line_endings_are_kept() -> None:
    old = FIXTURE.replace("\n", "\r\n")
    for plan in (make_plan(), make_plan(name="new-one")):
        rendered = render(plan, old)
        assert "\n" not in rendered.text.replace("\r\n", "")
        assert rendered.text.replace("\r\n", "\n") == render(plan, FIXTURE).text
        assert "\r" not in rendered.diff and "\r" not in rendered.entry_text
    cut = old.index("    -   name: etl-daily")
    assert render(make_plan(), old).text[:cut] == old[:cut]


def test_malformed_yaml_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "prefect.yaml"
    old = "name: shop\ndeployments:\n- name: a\n  tags: [x\n  entrypoint: a.py:a\n"
    path.write_text(old)
    before = path.read_bytes()
    plan = make_plan(prefect_yaml=path)
    with pytest.raises(ProjectFileError) as info:
        render(plan, path.read_text())
    message = str(info.value)
    assert message.startswith("prefect.yaml line 5, column 13: ")
    assert "\n" not in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "prefect.yaml"]


@pytest.mark.parametrize(
    ("old", "where"),
    [
        ("name: shop\n\tdeployments: []\n", "line 2, column 1: "),
        ("deployments:\n- name: a\n  work_pool: *nowhere\n", "line 3, column 14: "),
        ("name: a\n---\nname: b\n", "line 2, column 1: "),
        ("a: {{ prefect.blocks.secret.x }}\n", "line 1, column 5: found unhashable key"),
        ("a: 1\nb: \x00\n", "line 2, column 4: "),
    ],
)
def test_other_parse_errors(old: str, where: str) -> None:
    with pytest.raises(ProjectFileError) as info:
        render(make_plan(), old)
    assert f"prefect.yaml {where}" in str(info.value)
    assert "\n" not in str(info.value)


def test_duplicate_names_are_refused() -> None:
    # issue 9: the same name on two flows is valid in Prefect (flow/name); only the entry
    # being written must be unique
    old = "deployments:\n- name: a\n- name: b\n- name: a\n- name: b\n- name: c\n"
    with pytest.raises(UserError, match=r"more than one deployment named 'a' of flow 'etl'"):
        render(make_plan(name="a"), old)
    assert render(make_plan(name="c"), old).action == "updated"


@pytest.mark.parametrize(
    ("old", "message"),
    [
        ("- a\n- b\n", "top level must be a mapping"),
        ("deployments: {a: 1}\n", "`deployments` must be a list"),
        ("{name: shop, deployments: []}\n", "flow mapping"),
        ("all: &all []\ndeployments: *all\n", "alias"),
        ("x: &d {name: etl-daily}\ndeployments:\n- *d\n", "is an alias"),
    ],
)
def test_shapes_flowwiz_will_not_edit(old: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        render(make_plan(), old)


def test_top_level_pull_of_an_existing_file_is_never_touched() -> None:
    old = (
        "pull:\n- prefect.deployments.steps.set_working_directory:\n    directory: /x\n"
        "deployments: []\n"
    )
    rendered = render(make_plan(), old)
    assert rendered.text.startswith(old.split("deployments:")[0])
    assert yaml.safe_load(rendered.text)["pull"] == [{SET_WORKING_DIRECTORY: {"directory": "/x"}}]


def test_a_wrong_splice_is_caught_before_anything_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = py._apply

    def sloppy(text: str, edits: list[Any], newline: str) -> str:
        return real(text, edits, newline).replace("name: report", "name: rep0rt")

    monkeypatch.setattr(py, "_apply", sloppy)
    with pytest.raises(py.MergeCheckError, match="another deployment did not come out as meant"):
        render(make_plan(), FIXTURE)
    assert py.MergeCheckError.exit_code == 1


# --------------------------------------------------------------------------- atomic write


def test_write_atomic_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "prefect.yaml"
    path.write_text("old\n")
    path.chmod(0o640)
    write_atomic(path, "new: 1\r\n")
    assert path.read_bytes() == b"new: 1\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "prefect.yaml"]


def test_write_atomic_creates_with_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "prefect.yaml"
    old_umask = os.umask(0o027)
    try:
        write_atomic(path, "a: 1\n")
    finally:
        os.umask(old_umask)
    assert path.read_text() == "a: 1\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_write_atomic_writes_through_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "real.yaml"
    target.write_text("old\n")
    link = tmp_path / "prefect.yaml"
    link.symlink_to(target)
    write_atomic(link, "new\n")
    assert link.is_symlink()
    assert target.read_text() == "new\n"


def test_failed_write_leaves_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "prefect.yaml"
    path.write_bytes(b"original: true\n")

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(WorldError) as info:
        write_atomic(path, "new: true\n")
    assert str(info.value) == f"could not write {path}: No space left on device"
    assert path.read_bytes() == b"original: true\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "prefect.yaml"]


def test_failed_temp_write_leaves_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "prefect.yaml"
    path.write_bytes(b"original: true\n")

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(WorldError, match="Input/output error"):
        write_atomic(path, "new: true\n")
    assert path.read_bytes() == b"original: true\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "prefect.yaml"]


def test_unwritable_directory_is_a_world_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "prefect.yaml"
    with pytest.raises(WorldError, match="could not write"):
        write_atomic(missing, "a: 1\n")


# --------------------------------------------------------------------------- generated files

_VALUES = {
    "tags": ["[old]", "\n{i}- a\n{i}- b", "[]", ""],
    "description": ["old", "'quoted # not a comment'", "|\n{i}  line one\n{i}  line two", ""],
    "entrypoint": ["flows/etl.py:etl", "old.py:f"],
    "parameters": ["{{}}", "\n{i}  a: 1\n{i}  b: [1, 2]", "{{a: 1}}"],
    "work_pool": [
        "\n{i}  name: old\n{i}  job_variables: {{}}",
        "{{name: p}}",
        "\n{i}  name: old  # c\n\n{i}  # inner comment\n{i}  work_queue_name: q",
    ],
    "schedules": ["[]", "\n{i}- cron: '* * * * *'", "null"],
    "pull": ["\n{i}- prefect.deployments.steps.set_working_directory:\n{i}    directory: /x", "[]"],
    "version": ["1", "'2.0'  # v"],
    "concurrency_limit": ["3"],
    "triggers": ["\n{i}- enabled: true\n{i}  match: {{a: b}}"],
    "x-custom": ["|\n{i}  keep\n{i}  me\n"],
}


def _generated_item(rng: Any, name: str, dash: int, content: int) -> str:
    pad = " " * content
    lines = [" " * dash + "-" + " " * (content - dash - 1) + f"name: {name}"]
    for key in rng.sample(list(_VALUES), rng.randint(0, len(_VALUES))):
        value = rng.choice(_VALUES[key]).format(i=pad)
        if rng.random() < 0.2:
            lines.append(f"{pad}# about {key}")
        if rng.random() < 0.1:
            lines.append("")
        lines.append(f"{pad}{key}:{'' if value.startswith(chr(10)) else ' '}{value}".rstrip("\n"))
    if rng.random() < 0.3:
        lines.append(f"{pad}# end of {name}")
    return "\n".join(lines) + "\n"


def _generated_file(rng: Any) -> tuple[str, str]:
    dash = rng.choice([0, 2, 4])
    content = dash + rng.choice([2, 4])
    names = rng.sample(["a", "b", "etl-daily", "c"], rng.randint(1, 4))
    items = "".join(_generated_item(rng, n, dash, content) for n in names)
    text = (
        ("# header\nname: shop\n" if rng.random() < 0.5 else "")
        + ("pull:\n- x.y:\n    a: 1\n" if rng.random() < 0.5 else "")
        + "deployments:\n"
        + items
        + ("# after\n" if rng.random() < 0.4 else "")
        + ("build: null\n" if rng.random() < 0.3 else "")
    )
    return text, " " * dash + "-"


def test_generated_files_change_only_the_target() -> None:
    import random

    rng = random.Random(7)
    checked = 0
    for _ in range(60):
        text, dash = _generated_file(rng)
        for plan in (make_plan(), make_plan(name="zz")):
            rendered = render(plan, text)
            assert render(plan, rendered.text).text == rendered.text  # a re-run is a no-op
            old_lines = _lines(text)
            changed = _changed_old_lines(text, rendered.text, insertions=False)
            if plan.name == "zz":
                assert rendered.action == "added"
                assert changed == set()  # a pure insertion
            else:
                start = next(
                    (
                        i
                        for i, ln in enumerate(old_lines)
                        if ln.startswith(dash) and "name: etl-daily" in ln
                    ),
                    None,
                )
                if start is None:
                    continue
                end = start + 1
                while (
                    end < len(old_lines)
                    and not old_lines[end].startswith(dash)
                    and not (old_lines[end].strip() and not old_lines[end].startswith(" "))
                ):
                    end += 1
                assert rendered.action == "updated"
                assert all(start <= i < end for i in changed), (text, rendered.diff)
            checked += 1
    assert checked > 75


def test_a_block_scalar_running_to_the_end_without_a_line_break_is_refused() -> None:
    old = "deployments:\n- name: a\n  description: |\n    one\n    two"
    with pytest.raises(UserError, match="add a line break at the end of the file"):
        render(make_plan(), old)
    assert render(make_plan(), old + "\n").action == "added"


def test_read_existing_keeps_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "prefect.yaml"
    assert py.read_existing(path) is None
    path.write_bytes(b"name: shop\r\ndeployments: []\r\n")
    assert py.read_existing(path) == "name: shop\r\ndeployments: []\r\n"
    path.write_bytes(b"name: shop\nbad: \xff\n")
    with pytest.raises(ProjectFileError, match=r"prefect.yaml line 2: not UTF-8"):
        py.read_existing(path)


# --------------------------------------------------------------------------- reading storage back


@pytest.mark.parametrize(
    "storage",
    [
        GitStorage("https://github.com/acme/shop.git", branch="release"),
        LocalStorage("/srv/shop"),
        CloudStorage("s3", "acme", "shop/etl", "{{ prefect.blocks.aws-credentials.prod }}"),
        CloudStorage("gcs", "acme", "shop/etl"),
        CloudStorage("azure", "box", "shop/etl"),
        DockerStorage("ghcr.io/acme/shop", "v2", "Dockerfile.prod", "/srv/code", push=False),
        DockerStorage("ghcr.io/acme/shop", "v2", "auto", "/opt/prefect/shop", push=True),
    ],
    ids=lambda s: type(s).__name__,
)
def test_storage_of_reads_back_what_was_written(storage: Any) -> None:
    entry = py.deployment_entry(make_plan(storage=storage, job_variables={}))
    assert py.storage_of(entry) == storage


def test_storage_of_something_else_is_none() -> None:
    assert py.storage_of({"name": "x"}) is None
    assert py.storage_of({"pull": [{"my.own.step": {"a": 1}}]}) is None
    # issue 9: a clone followed by someone's own step is still git storage (read effectively)
    two = [{py.GIT_CLONE: {"repository": "https://h/r.git"}}, {"x.y": {}}]
    assert py.storage_of({"pull": two}) == GitStorage("https://h/r.git")


def test_someones_own_push_steps_survive_a_storage_change(tmp_path: Path) -> None:
    own = (
        "deployments:\n"
        "- name: etl-daily\n"
        "  entrypoint: flows/etl.py:etl\n"
        "  push:\n"
        "  - my_company.steps.notify:\n"
        "      channel: deploys\n"
        "  pull:\n"
        "  - prefect.deployments.steps.set_working_directory:\n"
        "      directory: /srv/shop\n"
    )
    rendered = py.render(make_plan(), own)
    entry = yaml.safe_load(rendered.text)["deployments"][0]
    assert entry["push"] == [{"my_company.steps.notify": {"channel": "deploys"}}]
    assert "build" not in entry
