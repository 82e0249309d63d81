from prefect import flow


@flow
def gen_flow():
    pass
