from prefect import *  # noqa: F403


@flow  # noqa: F405
def star_flow():
    pass
