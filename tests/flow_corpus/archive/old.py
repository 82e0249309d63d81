from prefect import flow


@flow
def old():
    pass
