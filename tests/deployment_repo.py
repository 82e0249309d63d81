"""A synthetic repository shaped like the largest public Prefect examples (anna-geller's
prefect-deployment-patterns: 131 flows; one repository has 168 deployments): flow files in
folders by team, several deployments per flow (dev/staging/prod), schedules, work pools,
pull steps naming secret blocks, and one deployment in 17 whose entrypoint file is gone.

Used by tests/test_dashboard_deployments.py and benchmarks/dashboard_deployments.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

FLOW = '''\
"""Team {team}: {name}."""

from prefect import flow, task


@task(retries=2)
def step_{index}(rows: list[int]) -> int:
    return sum(rows)


@flow(name="{name}", log_prints=True)
def {func}(rows: list[int] | None = None, label: str = "x") -> int:
    """Loads {name}."""
    return step_{index}(rows or [1, 2, 3])
'''

TEAMS = ("ingest", "marts", "ml", "ops", "finance", "growth", "platform")
STAGES = ("dev", "staging", "prod")


def synthetic_repo(root: Path, deployments: int = 170, files: int = 131) -> Path:
    """A git repository at ``root`` (created) with ``files`` flow files and a prefect.yaml of
    ``deployments`` entries; entries ``i % 17 == 16`` point at a file that does not exist."""
    flows = []
    for i in range(files):
        team = TEAMS[i % len(TEAMS)]
        func = f"{team}_pipeline_{i:03d}"
        rel = f"flows/{team}/{func}.py"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(FLOW.format(team=team, name=func.replace("_", "-"), func=func, index=i))
        flows.append((rel, func))
    lines = [
        "name: patterns",
        "prefect-version: 3.1.0",
        "pull:",
        "- prefect.deployments.steps.git_clone:",
        "    repository: https://github.com/acme/patterns.git",
        "    branch: main",
        "    access_token: '{{ prefect.blocks.secret.github-token }}'",
        "deployments:",
    ]
    for i in range(deployments):
        rel, func = flows[i % files]
        stage = STAGES[i % len(STAGES)]
        if i % 17 == 16:
            rel = rel.replace(".py", "_old.py")
        lines += [
            f"- name: {func.replace('_', '-')}--{stage}",
            f"  entrypoint: {rel}:{func}",
            "  work_pool:",
            f"    name: {stage}-pool",
            f"    work_queue_name: {TEAMS[i % len(TEAMS)]}",
            "  schedules:",
            f"  - cron: '{i % 60} {i % 24} * * *'",
            "    timezone: Europe/Berlin",
            "  parameters:",
            f"    label: {stage}",
        ]
    (root / "prefect.yaml").write_text("\n".join(lines) + "\n")
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "flows"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root
