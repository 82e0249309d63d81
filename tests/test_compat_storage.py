"""Bucket and image storage checked against the real Prefect's own recipes and Dockerfile.

``prefect deploy`` runs the push/build steps of these storages on the deploying machine, which
needs a cloud account or a Docker engine; neither exists here. What can be checked against the
real thing is checked:

- every step flowwiz writes names the same function, ``id`` and ``requires`` as Prefect's
  recipe for that storage (``prefect/deployments/recipes/<name>/prefect.yaml``), and passes the
  arguments the recipe passes;
- the image job variable and the push step template the build step's outputs by the id the
  recipe gives it;
- for ``dockerfile: auto``, the directory flowwiz changes into is where the Dockerfile that
  Prefect generates copies the project (read by flowwiz's own Dockerfile reader).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.prefect_harness import PrefectServer
from flowwiz.writers.plan import CloudStorage, DeploymentPlan, DockerStorage
from flowwiz.writers.prefect_yaml import deployment_entry

pytestmark = pytest.mark.prefect


def recipe(server: PrefectServer, name: str) -> dict[str, Any]:
    found = server.check_python(
        "import pathlib, prefect; "
        "print(pathlib.Path(prefect.__file__).parent / 'deployments' / 'recipes')"
    )
    path = Path(found.stdout.strip()) / name / "prefect.yaml"
    return yaml.safe_load(path.read_text())


def plan(tmp_path: Path, storage: Any) -> DeploymentPlan:
    return DeploymentPlan(
        project_root=tmp_path,
        prefect_yaml=tmp_path / "prefect.yaml",
        project_name="p",
        name="etl",
        flow_name="etl",
        entrypoint="flows/etl.py:etl",
        storage=storage,
        work_pool="pool",
    )


def same_steps(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> None:
    assert [list(s) for s in ours] == [list(s) for s in theirs]  # the same functions, in order
    for mine, recipe_step in zip(ours, theirs, strict=True):
        ((_, args),) = mine.items()
        ((_, wanted),) = recipe_step.items()
        for key in ("id", "requires"):
            assert args.get(key) == wanted.get(key), key
        assert set(wanted) <= set(args), f"missing arguments {set(wanted) - set(args)}"


@pytest.mark.parametrize(("provider", "name"), [("s3", "s3"), ("gcs", "gcs"), ("azure", "azure")])
def test_bucket_steps_match_prefects_recipe(
    prefect_server: PrefectServer, tmp_path: Path, provider: str, name: str
) -> None:
    theirs = recipe(prefect_server, name)
    entry = deployment_entry(plan(tmp_path, CloudStorage(provider, "bucket-x", "p/etl")))
    same_steps(entry["push"], theirs["push"])
    same_steps(entry["pull"], theirs["pull"])
    assert "build" not in entry and theirs["build"] is None


def test_image_steps_match_prefects_recipe(prefect_server: PrefectServer, tmp_path: Path) -> None:
    theirs = recipe(prefect_server, "docker")
    storage = DockerStorage("ghcr.io/acme/flows", "v1", "auto", "/opt/prefect/repo")
    entry = deployment_entry(plan(tmp_path, storage))
    same_steps(entry["build"], theirs["build"])
    same_steps(entry["push"], theirs["push"])
    ((_, push),) = entry["push"][0].items()
    ((_, their_push),) = theirs["push"][0].items()
    assert (push["image_name"], push["tag"]) == (their_push["image_name"], their_push["tag"])
    their_image = theirs["deployments"][0]["work_pool"]["job_variables"]["image"]
    assert entry["work_pool"]["job_variables"]["image"] == their_image
    assert list(entry["pull"][0]) == list(theirs["pull"][0])  # set_working_directory


def test_auto_dockerfile_copies_the_code_where_flowwiz_looks(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    from flowwiz.detectors.docker_image import code_directory

    project = tmp_path / "my-flows"
    project.mkdir()
    (project / "requirements.txt").write_text("prefect\n")
    code = (
        "import json, pathlib, sys\n"
        "from prefect.utilities.dockerutils import generate_default_dockerfile\n"
        "with generate_default_dockerfile(pathlib.Path(sys.argv[-1])) as path:\n"
        "    print(json.dumps(pathlib.Path(path).read_text()))\n"
    )
    done = prefect_server.check_python(code.replace("sys.argv[-1]", repr(str(project))))
    generated = tmp_path / "Dockerfile.prefect"
    generated.write_text(json.loads(done.stdout.strip().splitlines()[-1]))
    assert not (project / "Dockerfile").exists()  # Prefect removed its temporary file
    assert code_directory(generated) == "/opt/prefect/my-flows"
