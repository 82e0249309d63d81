from prefect import flow


@flow
def env_flow():
    pass
