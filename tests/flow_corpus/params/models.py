"""Types the flows of this folder take: an enum and pydantic models of the repository."""

import datetime
import enum
from typing import Optional

import pydantic


class Region(str, enum.Enum):
    EU = "eu"
    US = "us"


class Window(pydantic.BaseModel):
    """A window of days."""

    start: datetime.date
    days: int = pydantic.Field(default=7, ge=1)


class Config(pydantic.BaseModel):
    table: str
    limit: Optional[int] = None
    regions: list[Region] = [Region.EU]
    window: Optional[Window] = None
