"""detectors.project: prefect.yaml parsing and errors, project files, block references."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flowwiz.detectors.errors import DetectionError, ProjectFileError, UserError
from flowwiz.detectors.project import (
    PrefectYaml,
    ProjectInfo,
    block_references,
    detect_project,
    load_prefect_yaml,
)

VALID = """\
# Welcome to your prefect.yaml file!
name: demo
prefect-version: 3.9.1

definitions:
  work_pools: &pool
    work_pool:
      name: prod
      job_variables: {}

pull:
- prefect.deployments.steps.git_clone:
    repository: https://github.com/acme/demo.git
    branch: main
    access_token: "{{ prefect.blocks.secret.deployment-etl-etl-repo-token }}"

deployments:
- name: etl
  entrypoint: flows/etl.py:etl
  <<: *pool
- name: nightly
  entrypoint: flows/etl.py:nightly_etl
  work_pool:
    name: overridden
- just a string, not a deployment
- description: no name here
"""

RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, "prefect.yaml", text)
    with pytest.raises(ProjectFileError) as info:
        load_prefect_yaml(path)
    message = str(info.value)
    assert "\n" not in message
    return message


# --- load_prefect_yaml --------------------------------------------------------------------------


def test_valid_prefect_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "prefect.yaml", VALID)
    doc = load_prefect_yaml(path)
    assert doc.path == path
    assert doc.text == VALID
    assert doc.data["name"] == "demo"
    assert doc.data["prefect-version"] == "3.9.1"
    # only mappings count as deployments; a merge key fills in, an explicit key overrides
    assert doc.deployments == (
        {
            "name": "etl",
            "entrypoint": "flows/etl.py:etl",
            "work_pool": {"name": "prod", "job_variables": {}},
        },
        {
            "name": "nightly",
            "entrypoint": "flows/etl.py:nightly_etl",
            "work_pool": {"name": "overridden"},
        },
        {"description": "no name here"},
    )
    assert doc.deployment_names == ("etl", "nightly")


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n"])
def test_empty_prefect_yaml_is_an_empty_mapping(tmp_path: Path, text: str) -> None:
    doc = load_prefect_yaml(write(tmp_path, "prefect.yaml", text))
    assert doc.data == {}
    assert doc.deployments == ()
    assert doc.deployment_names == ()


def test_deployments_key_without_entries(tmp_path: Path) -> None:
    doc = load_prefect_yaml(write(tmp_path, "prefect.yaml", "name: x\ndeployments:\n"))
    assert doc.deployments == ()
    assert doc.data == {"name": "x", "deployments": None}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: demo\ndeployments:\n- name: etl\n  entrypoint: a: b\n",
            "prefect.yaml line 4, column 16: mapping values are not allowed here",
        ),
        (
            "name: demo\npull:\n\t- step\n",
            "prefect.yaml line 3, column 1: found character '\\t' that cannot start any token",
        ),
        (
            'name: "unterminated\n',
            "prefect.yaml line 2, column 1: found unexpected end of stream",
        ),
        (
            "deployments:\n- name: [a, b\n",
            "prefect.yaml line 3, column 1: expected ',' or ']', but got '<stream end>'",
        ),
    ],
)
def test_malformed_yaml_reports_one_based_line_and_column(
    tmp_path: Path, text: str, message: str
) -> None:
    assert load_error(tmp_path, text) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- name: a\n- name: b\n", "prefect.yaml must be a mapping (key: value lines) at the top "
         "level, not a list"),
        ("just text\n", "prefect.yaml must be a mapping (key: value lines) at the top level, "
         "not a string"),
        ("42\n", "prefect.yaml must be a mapping (key: value lines) at the top level, "
         "not a number"),
    ],
)  # fmt: skip
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, message: str) -> None:
    assert load_error(tmp_path, text) == message


@pytest.mark.parametrize(
    ("text", "kind"),
    [("deployments:\n  name: etl\n", "a mapping"), ("deployments: etl\n", "a string")],
)
def test_deployments_must_be_a_list(tmp_path: Path, text: str, kind: str) -> None:
    assert load_error(tmp_path, text) == f"prefect.yaml: `deployments` must be a list, not {kind}"


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    # yaml.safe_load would silently keep "b" and lose deployment "a"
    text = "name: demo\ndeployments:\n- name: a\n  entrypoint: f.py:f\n  name: b\n"
    assert load_error(tmp_path, text) == "prefect.yaml line 5, column 3: duplicate key 'name'"


def test_duplicate_top_level_key_is_an_error(tmp_path: Path) -> None:
    text = "deployments: []\nname: x\ndeployments:\n- name: a\n"
    assert (
        load_error(tmp_path, text) == "prefect.yaml line 3, column 1: duplicate key 'deployments'"
    )


def test_error_is_a_user_error_named_after_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "custom/deploy.yaml", "a: b: c\n")
    with pytest.raises(UserError, match=r"^deploy\.yaml line 1, column 5: "):
        load_prefect_yaml(path)


def test_missing_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match=r"^prefect\.yaml: no such file$"):
        load_prefect_yaml(tmp_path / "prefect.yaml")
    (tmp_path / "prefect.yaml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ProjectFileError, match=r"^prefect\.yaml: does not decode as UTF-8$"):
        load_prefect_yaml(tmp_path / "prefect.yaml")


def test_python_tags_are_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, "x: !!python/object/apply:os.system ['true']\n")
    assert message.startswith("prefect.yaml line 1, column 4: could not determine a constructor")


# --- detect_project -----------------------------------------------------------------------------


def test_detect_an_empty_project(tmp_path: Path) -> None:
    assert detect_project(tmp_path) == ProjectInfo(
        root=tmp_path,
        prefect_yaml=None,
        prefect_yaml_error=None,
        dockerfile=None,
        requirements=(),
        python_version=RUNNING,
        prefectignore=None,
    )


def test_detect_a_full_project(tmp_path: Path) -> None:
    write(tmp_path, "prefect.yaml", VALID)
    write(tmp_path, "Dockerfile", "FROM prefecthq/prefect:3-latest\n")
    write(tmp_path, ".prefectignore", ".venv\n")
    write(tmp_path, ".python-version", "# pyenv\n3.12.4\n3.11\n")
    for name in (
        "requirements-dev.txt",
        "requirements.txt",
        "requirements-base.txt",
        "pyproject.toml",
        "setup.py",
        "environment.yml",
        "requirements.in",
    ):
        write(tmp_path, name, "")  # fmt: skip
    (tmp_path / "setup.cfg").mkdir()  # not a requirements file we list
    info = detect_project(tmp_path)
    assert isinstance(info.prefect_yaml, PrefectYaml)
    assert info.prefect_yaml.deployment_names == ("etl", "nightly")
    assert info.prefect_yaml_error is None
    assert info.dockerfile == tmp_path / "Dockerfile"
    assert info.prefectignore == tmp_path / ".prefectignore"
    assert info.requirements == (
        "requirements.txt",
        "requirements-base.txt",
        "requirements-dev.txt",
        "pyproject.toml",
        "setup.py",
        "environment.yml",
    )
    assert info.python_version == "3.12"


def test_detect_reports_a_malformed_prefect_yaml_without_raising(tmp_path: Path) -> None:
    write(tmp_path, "prefect.yaml", "deployments:\n- name: a\n  name: b\n")
    info = detect_project(tmp_path)
    assert info.prefect_yaml is None
    assert info.prefect_yaml_error == "prefect.yaml line 3, column 3: duplicate key 'name'"


@pytest.mark.parametrize(
    ("content", "version"),
    [("3.10.13\n", "3.10"), ("pypy3.9-7.3.16\n", "3.9"), ("system\n", RUNNING), ("", RUNNING)],
)
def test_python_version_file(tmp_path: Path, content: str, version: str) -> None:
    write(tmp_path, ".python-version", content)
    assert detect_project(tmp_path).python_version == version


def test_directories_named_like_project_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").mkdir()
    (tmp_path / "prefect.yaml").mkdir()
    info = detect_project(tmp_path)
    assert (info.dockerfile, info.prefect_yaml, info.prefect_yaml_error) == (None, None, None)


def test_detect_project_needs_a_directory(tmp_path: Path) -> None:
    with pytest.raises(DetectionError, match="is not a directory"):
        detect_project(tmp_path / "missing")


# --- block_references ---------------------------------------------------------------------------


def test_block_references_in_a_real_document(tmp_path: Path) -> None:
    doc = load_prefect_yaml(write(tmp_path, "prefect.yaml", VALID))
    assert block_references(doc.data) == (("secret", "deployment-etl-etl-repo-token"),)


def test_block_references_nested_deduplicated_in_order() -> None:
    data = {
        "pull": [
            {
                "prefect.deployments.steps.git_clone": {
                    "repository": "https://github.com/acme/demo.git",
                    "credentials": "{{ prefect.blocks.github-credentials.acme-gh }}",
                    "access_token": "{{prefect.blocks.secret.tok.value}}",
                }
            },
            {"run": ["echo {{ prefect.blocks.secret.tok }}", 3, None, True]},
        ],
        "image": "{{ prefect.blocks.docker-registry.reg.url }}/demo:{{ $TAG }}",
        "vars": "{{ prefect.variables.x }} {{ build-image.image }} {{ prefect.blocks.secret }}",
        # keys are never templated by Prefect
        "{{ prefect.blocks.secret.in-a-key }}": "plain",
        "tuple": ("{{ prefect.blocks.s3-bucket.data }}",),
    }
    assert block_references(data) == (
        ("github-credentials", "acme-gh"),
        ("secret", "tok"),
        ("docker-registry", "reg"),
        ("s3-bucket", "data"),
    )


@pytest.mark.parametrize("value", [None, 3, 2.5, True, "", "no templates", [], {}])
def test_block_references_none(value: object) -> None:
    assert block_references(value) == ()


def test_python_version_file_of_a_parent_folder(tmp_path: Path) -> None:
    """pyenv and uv read the nearest .python-version up the tree: a project in a sub-folder of
    a repository gets the repository's, and a nearer one wins."""
    write(tmp_path, ".python-version", "3.10.13\n")
    sub = tmp_path / "pipelines" / "sales"
    sub.mkdir(parents=True)
    assert detect_project(sub).python_version == "3.10"
    write(tmp_path / "pipelines", ".python-version", "system\n")
    assert detect_project(sub).python_version == RUNNING
