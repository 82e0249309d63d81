"""Tasks for the flows. Use them inside an @flow function."""

from prefect import flow, task  # noqa: F401  (flow imported, never applied here)


@task
def clean(x):
    return x


@task(name="flow")
def task_named_flow():
    pass


def flow_helper():
    pass
