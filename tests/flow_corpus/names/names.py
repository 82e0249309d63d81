from prefect import flow

FLOW_NAME = "computed"


@flow(name=FLOW_NAME)
def non_literal_name():
    pass


@flow(name=f"{FLOW_NAME}-x")
def fstring_name():
    pass


@flow(name="Explicit Name")
def explicit_name():
    """Has an explicit name."""


@flow()
def empty_call():
    pass


@flow(name=None)
def name_none():
    pass


@flow
def blank_first_line():
    """

    Starts after a blank line.
    """


def _make_name():
    return "made-at-run-time"


@flow(name=_make_name())
def runtime_name():
    pass


from constants import REPORT_NAME  # noqa: E402  (a module of the repository)

import constants  # noqa: E402


@flow(name=REPORT_NAME)
def imported_constant_name():
    pass


@flow(name=constants.REPORT_NAME)
def module_constant_name():
    pass
