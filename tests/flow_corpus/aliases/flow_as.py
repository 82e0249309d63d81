from prefect import flow as prefect_flow
from prefect import task as prefect_task


@prefect_flow
def aliased_bare(x: int):
    pass


@prefect_flow(name="aliased-call")
def aliased_call():
    pass


@prefect_task
def aliased_task():
    pass
