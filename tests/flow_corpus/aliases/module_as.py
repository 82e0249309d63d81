import prefect as pf


@pf.flow
def via_alias():
    pass


@pf.flow(name="Via Alias Call")
async def via_alias_call():
    pass
