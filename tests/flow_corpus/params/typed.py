import datetime
import uuid
from typing import Literal, Optional, Union

from models import Config, Region
from prefect import flow

Mode = Literal["full", "delta"]


@flow
def typed_flow(
    mode: Mode,
    config: Config,
    region: Region = Region.EU,
    day: Optional[datetime.date] = None,
    run_id: uuid.UUID | None = None,
    months: list[int] = [1, 2],
    weights: dict[str, float] = {},
    pair: tuple[int, str] = (1, "a"),
    when: datetime.datetime | None = None,
    anything=None,
    ratio: Union[int, float] = 0.5,
    *,
    strict: bool = False,
    level: Literal[1, 2, 3] = 1,
):
    pass
