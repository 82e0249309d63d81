"""Issue 9, re-run fidelity: a re-run changes only what it was asked to change.

Each case renders onto a real file layout (written by flowwiz, by `prefect init`, with anchors
and merge keys, with templates) and compares the parsed entry and the bytes outside it.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from flowwiz.detectors.errors import ProjectFileError, UserError
from flowwiz.detectors.yaml_document import Document
from flowwiz.writers import atomic, files
from flowwiz.writers import prefect_yaml as py
from flowwiz.writers.plan import DeploymentPlan, GitStorage, Schedule

CLONE = py.GIT_CLONE
PIP = "prefect.deployments.steps.pip_install_requirements"
TOKEN = "{{ prefect.blocks.secret.acme-token }}"

ISSUE_FILE = """\
# team file: keep this comment
name: acme
prefect-version: 3.9.1

deployments:
- name: etl
  description: Nightly ETL.
  entrypoint: flows/etl.py:etl
  tags: [etl]
  parameters: {}
  work_pool:
    name: prod
    work_queue_name: default
    job_variables: {}
  schedules: []
  pull:
  - prefect.deployments.steps.git_clone:
      id: clone-step          # later steps use its outputs
      repository: '{{ $REPO_URL }}'
      branch: '{{ $GIT_BRANCH }}'
      access_token: '{{ prefect.blocks.secret.acme-token }}'
      include_submodules: true
      directories:
      - flows
      - requirements.txt
  - prefect.deployments.steps.pip_install_requirements:
      directory: '{{ clone-step.directory }}'
      requirements_file: requirements.txt
- name: other
  entrypoint: flows/other.py:other
  work_pool: {name: prod}
"""


def plan_for(
    entry: dict[str, Any], top: dict[str, Any] | None = None, **changes: Any
) -> DeploymentPlan:
    """The plan `flowwiz deploy --yes` makes from an existing entry (every default kept)."""
    pool = entry.get("work_pool") or {}
    storage = py.storage_of(entry, top)
    assert storage is not None
    plan = DeploymentPlan(
        project_root=Path("/srv/acme"),
        prefect_yaml=Path("/srv/acme/prefect.yaml"),
        project_name="acme",
        name=str(entry["name"]),
        flow_name="etl",
        entrypoint=entry["entrypoint"],
        storage=storage,
        work_pool=pool.get("name", "default"),
        work_queue=pool.get("work_queue_name"),
        description=entry.get("description"),
        tags=tuple(entry.get("tags") or ()),
        parameters=entry.get("parameters") or {},
        job_variables=pool.get("job_variables") or {},
        schedules=py.schedules_of(entry),
    )
    return dataclasses.replace(plan, **changes)


def entry_of(text: str, name: str) -> dict[str, Any]:
    found = [d for d in yaml.safe_load(text)["deployments"] if str(d.get("name")) == name]
    assert len(found) == 1
    return found[0]


def outside(text: str, name: str) -> tuple[str, str]:
    """The bytes before and after the entry named ``name``."""
    doc = Document.parse(text)
    pair = doc.top_pair("deployments")
    assert pair is not None
    for item, data in zip(pair[1].value, doc.deployments(), strict=True):
        if str(data.get("name")) == name:
            start = text.rfind("\n", 0, item.start_mark.index) + 1
            end = py.line_end(text, py.content_end(item, text))
            return text[:start], text[end:]
    raise AssertionError(name)


def assert_only_entry_changed(old: str, new: str, name: str) -> None:
    assert outside(old, name) == outside(new, name)


# --------------------------------------------------------------------------- item 1 / 2


def test_the_issue_file_rerun_with_a_cron_changes_only_the_schedule() -> None:
    old = entry_of(ISSUE_FILE, "etl")
    plan = plan_for(old, schedules=(Schedule("cron", "0 3 * * *", "UTC"),))
    rendered = py.render(plan, ISSUE_FILE)
    assert rendered.action == "updated"
    new = entry_of(rendered.text, "etl")
    assert new == {**old, "schedules": [{"cron": "0 3 * * *", "timezone": "UTC", "active": True}]}
    assert_only_entry_changed(ISSUE_FILE, rendered.text, "etl")
    # the pull list keeps its bytes: comment, quoting, templates, order
    pull_text = ISSUE_FILE[ISSUE_FILE.index("  pull:") : ISSUE_FILE.index("- name: other")]
    assert pull_text in rendered.text
    assert py.render(plan, rendered.text).text == rendered.text  # idempotent


def test_storage_of_reads_back_everything() -> None:
    storage = py.storage_of(entry_of(ISSUE_FILE, "etl"))
    assert storage == GitStorage(
        repository="{{ $REPO_URL }}",
        branch="{{ $GIT_BRANCH }}",
        access_token=TOKEN,
        include_submodules=True,
        extra_inputs={"id": "clone-step", "directories": ["flows", "requirements.txt"]},
    )
    creds = {
        "pull": [
            {
                CLONE: {
                    "repository": "https://git.corp/r.git",
                    "commit_sha": "abc123",
                    "credentials": {"username": "bot", "access_token": "{{ $GIT_TOKEN }}"},
                }
            }
        ]
    }
    assert py.storage_of(creds) == GitStorage(
        "https://git.corp/r.git",
        commit_sha="abc123",
        access_token="{{ $GIT_TOKEN }}",
        username="bot",
    )
    block = {
        "pull": [
            {
                CLONE: {
                    "repository": "https://h/r",
                    "credentials": "{{ prefect.blocks.github-credentials.x }}",
                }
            }
        ]
    }
    assert py.storage_of(block).credentials == "{{ prefect.blocks.github-credentials.x }}"  # type: ignore[union-attr]


def test_changing_the_branch_edits_one_key_and_keeps_the_rest_of_the_step() -> None:
    old = entry_of(ISSUE_FILE, "etl")
    storage = dataclasses.replace(py.storage_of(old), branch="production")  # type: ignore[type-var]
    rendered = py.render(plan_for(old, storage=storage), ISSUE_FILE)
    new_pull = entry_of(rendered.text, "etl")["pull"]
    assert new_pull[0][CLONE] == {**old["pull"][0][CLONE], "branch": "production"}
    assert new_pull[1] == old["pull"][1]
    assert list(new_pull[0][CLONE]) == list(old["pull"][0][CLONE])  # key order kept
    assert "      id: clone-step          # later steps use its outputs\n" in rendered.text
    removed = [
        ln for ln in rendered.diff.splitlines() if ln.startswith("-") and not ln.startswith("---")
    ]
    assert removed == ["-      branch: '{{ $GIT_BRANCH }}'"]


def test_going_public_drops_only_the_token() -> None:
    old = entry_of(ISSUE_FILE, "etl")
    storage = dataclasses.replace(py.storage_of(old), access_token=None)  # type: ignore[type-var]
    new = entry_of(py.render(plan_for(old, storage=storage), ISSUE_FILE).text, "etl")
    expected = dict(old["pull"][0][CLONE])
    del expected["access_token"]
    assert new["pull"][0][CLONE] == expected and new["pull"][1] == old["pull"][1]


PREFECT_INIT = """\
# Welcome to your prefect.yaml file!
name: acme
prefect-version: 3.9.1

build: null

push: null

pull:
- prefect.deployments.steps.git_clone:
    repository: https://github.com/acme/flows.git
    branch: main
    access_token: '{{ prefect.blocks.secret.deployment-etl-etl-repo-token }}'

deployments:
- name: etl
  version: null
  tags: []
  description: null
  schedule: {}
  flow_name: null
  entrypoint: flows/etl.py:etl
  parameters: {}
  work_pool:
    name: prod
    work_queue_name: null
    job_variables: {}
"""


def test_prefect_init_layout_keeps_the_inherited_token() -> None:
    top = yaml.safe_load(PREFECT_INIT)
    old = entry_of(PREFECT_INIT, "etl")
    assert py.storage_of(old, top).access_token == top["pull"][0][CLONE]["access_token"]  # type: ignore[union-attr]
    plan = plan_for(old, top, schedules=(Schedule("interval", 600),))
    rendered = py.render(plan, PREFECT_INIT)
    new = entry_of(rendered.text, "etl")
    assert "pull" not in new  # still inherits the top-level pull (and its token)
    assert new["schedule"] == {"interval": 600, "active": True} and "schedules" not in new
    assert rendered.text.startswith(PREFECT_INIT[: PREFECT_INIT.index("deployments:")])
    # a new deployment of the same storage inherits too; a changed branch writes an own
    # pull that still carries the token
    added = py.render(dataclasses.replace(plan, name="etl-2"), PREFECT_INIT)
    assert "pull" not in entry_of(added.text, "etl-2")
    other = dataclasses.replace(plan.storage, branch="dev")  # type: ignore[type-var]
    own = entry_of(py.render(dataclasses.replace(plan, storage=other), PREFECT_INIT).text, "etl")
    assert own["pull"][0][CLONE]["access_token"] == top["pull"][0][CLONE]["access_token"]
    assert own["pull"][0][CLONE]["branch"] == "dev"


def test_a_token_inside_a_merge_anchor_is_kept_and_aliases_are_not_expanded() -> None:
    text = """\
definitions:
  clone: &clone
    repository: https://github.com/acme/flows.git
    branch: main
    access_token: '{{ prefect.blocks.secret.acme-token }}'
  pull: &pull
  - prefect.deployments.steps.git_clone: *clone
deployments:
- name: etl
  entrypoint: flows/etl.py:etl
  work_pool: {name: prod}
  pull: *pull
- name: other
  entrypoint: flows/other.py:other
  work_pool: {name: prod}
  pull: *pull
"""
    old = entry_of(text, "etl")
    assert py.storage_of(old).access_token == TOKEN  # type: ignore[union-attr]
    rendered = py.render(plan_for(old, tags=("nightly",)), text)
    assert "  pull: *pull\n" in rendered.text.split("- name: other")[0]  # alias untouched
    assert entry_of(rendered.text, "etl")["tags"] == ["nightly"]
    assert_only_entry_changed(text, rendered.text, "etl")
    # a change to what the alias stands for expands that one alias, for this entry only
    storage = dataclasses.replace(py.storage_of(old), branch="dev")  # type: ignore[type-var]
    changed = py.render(plan_for(old, storage=storage), text)
    assert changed.text.endswith("  pull: *pull\n")  # `other` still uses the anchor
    assert entry_of(changed.text, "etl")["pull"][0][CLONE] == {
        **old["pull"][0][CLONE],
        "branch": "dev",
    }
    assert yaml.safe_load(changed.text)["definitions"] == yaml.safe_load(text)["definitions"]
    # editing inside the anchored node itself would change `other` too: refused
    inline = text.replace(
        "  pull: *pull\n- name: other",
        "  pull: &own\n  - prefect.deployments.steps.git_clone: *clone\n- name: other",
    )
    inline = inline.replace("  pull: *pull\n", "  pull: *own\n")
    own = entry_of(inline, "etl")
    with pytest.raises(UserError, match="anchor &own"):
        py.render(plan_for(own, storage=storage), inline)


def test_merge_key_entry_keeps_its_merge_and_overrides_explicitly() -> None:
    text = """\
base: &base
  work_pool: {name: prod}
  tags: [team]
deployments:
- <<: *base
  name: etl
  entrypoint: flows/etl.py:etl
  pull:
  - prefect.deployments.steps.git_clone:
      repository: https://github.com/acme/flows.git
      branch: main
"""
    old = entry_of(text, "etl")
    rendered = py.render(plan_for(old, tags=("team", "nightly")), text)
    assert "- <<: *base\n" in rendered.text
    assert entry_of(rendered.text, "etl")["tags"] == ["team", "nightly"]
    assert yaml.safe_load(rendered.text)["base"] == yaml.safe_load(text)["base"]


# --------------------------------------------------------------------------- item 3


LEGACY = """\
deployments:
- name: etl
  entrypoint: flows/etl.py:etl
  work_pool: {name: prod}
  schedule: {cron: 0 6 * * *, timezone: Europe/Berlin}
  pull:
  - prefect.deployments.steps.git_clone:
      repository: https://github.com/acme/flows.git
      branch: main
"""


def test_legacy_schedule_is_read_and_kept_under_its_key() -> None:
    old = entry_of(LEGACY, "etl")
    assert py.schedules_of(old) == (Schedule("cron", "0 6 * * *", "Europe/Berlin"),)
    tagged = py.render(plan_for(old, tags=("nightly",)), LEGACY)
    new = entry_of(tagged.text, "etl")
    assert "schedules" not in new and new["schedule"] == old["schedule"]
    assert "  schedule: {cron: 0 6 * * *, timezone: Europe/Berlin}\n" in tagged.text
    cron = py.render(plan_for(old, schedules=(Schedule("cron", "0 7 * * *", "UTC"),)), LEGACY)
    new = entry_of(cron.text, "etl")
    assert "schedules" not in new
    assert new["schedule"] == {"cron": "0 7 * * *", "timezone": "UTC", "active": True}
    none = entry_of(py.render(plan_for(old, schedules=()), LEGACY).text, "etl")
    assert none["schedule"] is None and "schedules" not in none


# --------------------------------------------------------------------------- item 4


TWO_FLOWS = """\
deployments:
- name: default
  entrypoint: flows/hello.py:hello
  work_pool: {name: prod}
- name: '123'
  entrypoint: flows/etl.py:etl
  work_pool: {name: prod}
"""


def test_same_name_on_another_flow_is_another_deployment() -> None:
    flows = {"flows/hello.py:hello": "hello", "flows/hello.py:hello_parallel": "hello-parallel"}
    deployments = yaml.safe_load(TWO_FLOWS)["deployments"]
    assert (
        py.find_entry(
            deployments, "default", "hello-parallel", "flows/hello.py:hello_parallel", flows.get
        )
        is None
    )
    assert (
        py.find_entry(deployments, "default", "hello", "flows/moved.py:hello", lambda e: "hello")
        == 0
    )
    plan = plan_for(
        {
            "name": "default",
            "entrypoint": "flows/hello.py:hello_parallel",
            "pull": [{CLONE: {"repository": "https://h/r.git"}}],
        },
        flow_name="hello-parallel",
    )
    rendered = py.render(plan, TWO_FLOWS, flow_of=flows.get)
    assert rendered.action == "added"
    data = yaml.safe_load(rendered.text)["deployments"]
    assert [d["entrypoint"] for d in data] == [
        "flows/hello.py:hello",
        "flows/etl.py:etl",
        "flows/hello.py:hello_parallel",
    ]
    # both present: the second run updates its own entry, not an error
    again = py.render(dataclasses.replace(plan, tags=("x",)), rendered.text, flow_of=flows.get)
    assert again.action == "updated" and entry_of(again.text, "default") if False else True
    assert yaml.safe_load(again.text)["deployments"][0] == data[0]


def test_an_int_name_is_the_same_deployment() -> None:
    text = TWO_FLOWS.replace("name: '123'", "name: 123")
    plan = plan_for(
        {
            "name": 123,
            "entrypoint": "flows/etl.py:etl",
            "pull": [{CLONE: {"repository": "https://h/r.git"}}],
        }
    )
    assert plan.name == "123"
    rendered = py.render(plan, text)
    assert rendered.action == "updated"
    assert yaml.safe_load(rendered.text)["deployments"][1]["name"] == 123
    assert "- name: 123\n" in rendered.text


# --------------------------------------------------------------------------- item 5


TOP_BUILD = """\
build:
- prefect_docker.deployments.steps.build_docker_image:
    id: build_image
    image_name: acme/flows
    tag: latest
deployments:
- name: etl
  entrypoint: flows/etl.py:etl
  work_pool: {name: prod}
  pull:
  - prefect.deployments.steps.git_clone:
      repository: https://github.com/acme/flows.git
      branch: main
"""


def test_inherited_build_is_skipped_on_request_and_the_choice_is_kept() -> None:
    old = entry_of(TOP_BUILD, "etl")
    assert py.effective_steps(old, yaml.safe_load(TOP_BUILD), "build")
    skipped = py.render(plan_for(old, inherit_build=False), TOP_BUILD)
    entry = entry_of(skipped.text, "etl")
    assert "build" in entry and entry["build"] is None
    assert py.effective_steps(entry, yaml.safe_load(TOP_BUILD), "build") == []
    # a re-run that keeps the choice changes nothing; inheriting again removes the null
    assert py.render(plan_for(entry, inherit_build=False), skipped.text).text == skipped.text
    back = entry_of(py.render(plan_for(entry, inherit_build=True), skipped.text).text, "etl")
    assert "build" not in back


# --------------------------------------------------------------------------- item 7 / 8 / 9


def test_a_recursive_alias_is_one_line() -> None:
    text = "definitions: &a {self: *a}\ndeployments: []\n"
    with pytest.raises(ProjectFileError) as info:
        Document.parse(text)
    assert "recursive alias" in info.value.message and "\n" not in info.value.message
    with pytest.raises(ProjectFileError):
        py.render(plan_for(entry_of(ISSUE_FILE, "etl")), text)


def test_libyaml_is_used_and_positions_are_exact() -> None:
    import yaml as pyyaml

    assert pyyaml.__with_libyaml__
    doc = Document.parse(ISSUE_FILE)
    pair = doc.top_pair("deployments")
    assert pair is not None
    first = pair[1].value[0]
    assert ISSUE_FILE[first.start_mark.index :].startswith("name: etl")


def test_a_long_file_is_checked_on_a_reduced_copy_and_stays_exact() -> None:
    items = "".join(
        f"- name: d{i}\n  entrypoint: flows/etl.py:etl\n  work_pool: {{name: prod}}\n"
        f"  pull:\n  - {CLONE}:\n      repository: https://github.com/acme/flows.git\n"
        for i in range(200)
    )
    text = "name: acme\n# big\ndeployments:\n" + items + "# end\n"
    old = entry_of(text, "d100")
    rendered = py.render(plan_for(old, tags=("x",)), text)
    assert_only_entry_changed(text, rendered.text, "d100")
    new = entry_of(rendered.text, "d100")
    assert new["tags"] == ["x"] and new["pull"] == old["pull"] and new["name"] == "d100"
    added = py.render(plan_for(old, name="new"), text)
    assert added.text.startswith(text[: text.index("# end")])
    assert len(yaml.safe_load(added.text)["deployments"]) == 201


def test_a_sloppy_edit_is_still_caught_on_a_long_file(monkeypatch: pytest.MonkeyPatch) -> None:
    items = "".join(f"- name: d{i}\n  entrypoint: flows/etl.py:etl\n" for i in range(100))
    text = "deployments:\n" + items
    real = py._apply

    def sloppy(t: str, edits: Any, newline: str) -> str:
        return real(t, edits, newline).replace("- name: d51\n", "- name: d5l\n")

    monkeypatch.setattr(py, "_apply", sloppy)
    plan = plan_for(
        {
            "name": "d50",
            "entrypoint": "flows/etl.py:etl",
            "pull": [{CLONE: {"repository": "https://h/r.git"}}],
        }
    )
    with pytest.raises(py.MergeCheckError):
        py.render(plan, text)


# --------------------------------------------------------------------------- files


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "prefect.yaml"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match="named pipe"):
        py.read_existing(fifo)
    with pytest.raises(UserError, match="named pipe"):
        py.write_atomic(fifo, "x: 1\n")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_symlinks_are_written_through_only_to_a_regular_file(tmp_path: Path) -> None:
    link = tmp_path / "prefect.yaml"
    link.symlink_to("/dev/null")
    with pytest.raises(UserError, match="device"):
        py.write_atomic(link, "x: 1\n")
    link.unlink()
    real = tmp_path / "shared" / "prefect.yaml"
    real.parent.mkdir()
    real.write_text("a: 1\n")
    link.symlink_to(real)
    py.write_atomic(link, "a: 2\n")
    assert link.is_symlink() and real.read_text() == "a: 2\n"


def test_owner_and_mode_are_kept_and_read_only_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "prefect.yaml"
    path.write_text("a: 1\n")
    path.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(path, 1234, 2345)
    py.write_atomic(path, "a: 2\n")
    info = path.stat()
    assert stat.S_IMODE(info.st_mode) == 0o640 and path.read_text() == "a: 2\n"
    if os.geteuid() == 0:
        assert (info.st_uid, info.st_gid) == (1234, 2345)
    path.chmod(0o444)
    with pytest.raises(UserError, match=r"read-only \(mode 0444\)"):
        py.write_atomic(path, "a: 3\n")
    assert path.read_text() == "a: 2\n"
    assert [p.name for p in tmp_path.iterdir() if p.name != "home"] == ["prefect.yaml"]


def test_an_interrupted_write_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "prefect.yaml"
    path.write_text("a: 1\n")

    def interrupted(fd: int, data: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_atomic(path, "a: 2\n")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["prefect.yaml"]
    assert path.read_text() == "a: 1\n"


def test_the_write_lock_excludes_a_second_writer(tmp_path: Path) -> None:
    import threading
    import time

    path = tmp_path / "prefect.yaml"
    order: list[str] = []

    def second() -> None:
        with files.write_lock(path):
            order.append("second")

    with files.write_lock(path):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == []


SUBFOLDER_PULL = [
    {CLONE: {"id": "clone", "repository": "https://github.com/acme/mono.git", "branch": "main"}},
    {py.SET_WORKING_DIRECTORY: {"directory": "{{ clone.directory }}/projects/sales"}},
    {PIP: {"directory": "{{ clone.directory }}/projects/sales"}},
]


def test_the_subfolder_shape_is_flowwiz_own_and_edited_in_place() -> None:
    """[git_clone with id, set_working_directory into it]: a branch change edits one key; a
    move to a bucket replaces the clone and the step that entered it, the rest stays."""
    fresh = [{CLONE: {"repository": "https://github.com/acme/mono.git", "branch": "dev"}}]
    merged = py.merge_steps(SUBFOLDER_PULL, fresh)
    assert merged == [
        {CLONE: {**SUBFOLDER_PULL[0][CLONE], "branch": "dev"}},
        SUBFOLDER_PULL[1],
        SUBFOLDER_PULL[2],
    ]
    bucket = [{"prefect_aws.deployments.steps.pull_from_s3": {"bucket": "b", "folder": "f"}}]
    assert py.merge_steps(SUBFOLDER_PULL, bucket) == [bucket[0], SUBFOLDER_PULL[2]]
    # a step flowwiz adds after its own (e.g. a working directory) goes right after it
    added = py.merge_steps(SUBFOLDER_PULL[:1] + SUBFOLDER_PULL[2:], fresh + [SUBFOLDER_PULL[1]])
    assert [py._step_name(s) for s in added] == [CLONE, py.SET_WORKING_DIRECTORY, PIP]
