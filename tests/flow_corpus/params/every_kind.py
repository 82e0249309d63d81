from typing import Any, Optional

from prefect import flow

DEFAULT_TAGS = ("a", "b")


@flow
def every_kind(
    a,
    b: int = 1,
    /,
    c: "list[str]" = ["x", 'y'],
    *args: str,
    d: Optional[int] = None,
    e: bool,
    f: dict[str, int] = {
        "x": 1,
    },
    g=DEFAULT_TAGS,
    **kwargs: Any,
) -> None:
    pass


@flow
def no_parameters():
    pass
