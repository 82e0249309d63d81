from prefect import Flow, flow

NAME = "assigned-flow"


def load(limit: int = 10) -> int:
    """Loads rows."""
    return limit


def _extract(day: str = "today"):
    return day


assigned = flow(name=NAME)(load)
assigned_bare = flow(_extract)
constructed = Flow(load, name="constructed-flow", description="Made by Flow()")
with_kwargs = flow(load, name="flow-with-fn")
not_a_flow = print(load)
