from prefect import flow


@flow
def trial():
    pass
