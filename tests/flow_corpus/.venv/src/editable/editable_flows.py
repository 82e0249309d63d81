from prefect import flow


@flow
def editable():
    pass
