from prefect.flows import flow


@flow
def from_flows():
    pass
