# Never says the p-word: the flows come from the repository's own factories (team.py).
from team import PREFIX, TEAM_NAME, named_flow, plain_team_flow, team_flow

import team


@team_flow(name=TEAM_NAME)
def team_report(day: str = "today"):
    pass


@team_flow()
def team_default():
    pass


@named_flow(f"{PREFIX}-named")
def named_by_position():
    pass


@plain_team_flow
def plain_team():
    pass


@team.team_flow(name=team.TEAM_NAME + "-2")
def computed_name():
    pass


@team.helper
def not_a_flow():
    pass
