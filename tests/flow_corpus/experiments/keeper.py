from prefect import flow


@flow
def keeper():
    pass
