import prefect.flows
from prefect.flows import flow as ff


@prefect.flows.flow
def dotted_module():
    pass


@ff(retries=1)
def flows_module_alias():
    pass
