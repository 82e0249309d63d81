from prefect import flow


@flow
def dp_flow():
    pass
