"""Uses another workflow library's `flow`; prefect is only mentioned in this docstring."""

from mylib import flow


@flow
def foreign():
    pass
