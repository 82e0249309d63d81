"""A function named flow is not Prefect's flow (prefect is only mentioned here)."""


def flow(fn=None, **kwargs):
    return fn


@flow
def uses_local():
    pass
