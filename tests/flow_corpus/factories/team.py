"""Decorator factories of the repository: each returns Prefect's flow(...)."""

import prefect
from prefect import flow

TEAM_NAME = "team-report"
PREFIX = "team"


def team_flow(**kwargs):
    return flow(retries=1, **kwargs)


def named_flow(name=None):
    return prefect.flow(name=name, log_prints=True)


def plain_team_flow(fn):
    return flow(name="plain-team")(fn)


def helper(x):
    return x
