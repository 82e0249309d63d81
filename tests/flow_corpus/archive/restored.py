from prefect import flow


@flow
def restored():
    pass
