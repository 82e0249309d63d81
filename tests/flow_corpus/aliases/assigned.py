import prefect

my_flow = prefect.flow


@my_flow
def assigned_alias():
    pass
