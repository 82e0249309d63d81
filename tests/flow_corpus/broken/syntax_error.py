from prefect import flow


@flow
def broken(:
    pass
