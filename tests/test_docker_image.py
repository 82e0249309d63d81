"""Docker image names, tags, and where a Dockerfile puts the project (read, never built)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowwiz.detectors.docker_image import (
    code_directory,
    has_registry,
    image_problem,
    split_image,
    tag_problem,
)


@pytest.mark.parametrize(
    ("text", "name", "tag"),
    [
        ("flows", "flows", None),
        ("acme/flows:v1", "acme/flows", "v1"),
        ("registry.local:5000/team/etl", "registry.local:5000/team/etl", None),
        ("registry.local:5000/team/etl:2024.1", "registry.local:5000/team/etl", "2024.1"),
        (" ghcr.io/acme/flows:latest ", "ghcr.io/acme/flows", "latest"),
    ],
)
def test_split_image_keeps_a_registry_port(text: str, name: str, tag: str | None) -> None:
    assert split_image(text) == (name, tag)


@pytest.mark.parametrize(
    "good",
    ["flows", "acme/flows", "ghcr.io/acme/flows", "localhost:5000/a/b-c_d.e", "a/b:v1.2-rc_3"],
)
def test_valid_images(good: str) -> None:
    assert image_problem(good) is None


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("", "enter an image name"),
        ("Acme/Flows", "not a Docker image name"),
        ("acme//flows", "not a Docker image name"),
        ("acme/flows-", "not a Docker image name"),
        ("acme/flows@sha256:abc", "digest"),
        ("acme/flows:-x", "not a Docker tag"),
    ],
)
def test_invalid_images(bad: str, says: str) -> None:
    problem = image_problem(bad)
    assert problem is not None and says in problem


def test_tags() -> None:
    assert tag_problem("v1.2.3") is None
    assert tag_problem("x" * 128) is None
    assert tag_problem("x" * 129) is not None
    assert tag_problem(".hidden") is not None


def test_has_registry_means_somewhere_to_push() -> None:
    assert has_registry("acme/flows") and has_registry("ghcr.io/acme/flows:v1")
    assert not has_registry("flows") and not has_registry("flows:v1")


@pytest.mark.parametrize(
    ("dockerfile", "expected"),
    [
        ("FROM x\nCOPY . /opt/prefect/flows/\n", "/opt/prefect/flows"),
        ("FROM x\nWORKDIR /app\nCOPY . .\n", "/app"),
        ("FROM x\nWORKDIR /srv\nWORKDIR code\nADD ./ ./sub/../pkg\n", "/srv/code/pkg"),
        ("FROM x\nCOPY --chown=a:b \\\n  . /app\n", "/app"),
        ('FROM x\nCOPY [".", "/json/form"]\n', "/json/form"),
        ("FROM x\n# COPY . /commented\nCOPY requirements.txt /app/\n", None),
        ("FROM build\nCOPY . /build\nFROM run\nCOPY --from=0 /build /app\n", None),
        ("FROM build\nCOPY . /build\nFROM run\nWORKDIR /w\nCOPY . .\n", "/w"),
        ("copy . /lower/case/instruction\n", "/lower/case/instruction"),
    ],
)
def test_code_directory(tmp_path: Path, dockerfile: str, expected: str | None) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(dockerfile)
    assert code_directory(path) == expected


def test_code_directory_of_a_missing_file(tmp_path: Path) -> None:
    assert code_directory(tmp_path / "Dockerfile") is None
