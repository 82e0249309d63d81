"""ETL flows for the warehouse."""

from __future__ import annotations

from typing import Optional

from prefect import flow, task


@task(retries=2)
def extract(source: str) -> list[dict]:
    return [{"source": source}]


@task
def load(rows: list[dict]) -> int:
    return len(rows)


def helper(value):
    # an undecorated helper: not a flow
    return value


@flow(log_prints=True)
def etl(source: str, limit: Optional[int] = None, dry_run: bool = False) -> int:
    """Extract rows from a source and load them.

    Everything after the first line is not part of the description.
    """
    rows = extract(source)
    return 0 if dry_run else load(rows[:limit])


@flow(name="Nightly ETL", description="Runs every night at 2am.\nSecond line.")
def nightly_etl() -> None:
    etl("s3://bucket/nightly")
