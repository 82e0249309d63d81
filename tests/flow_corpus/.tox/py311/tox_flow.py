from prefect import flow


@flow
def tox_flow():
    pass
