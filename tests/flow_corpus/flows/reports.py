import asyncio

import prefect


@prefect.flow
async def daily_report(day: str, *, recipients: list[str] | None = None, retries: int = 3):
    """Build the daily report."""
    await asyncio.sleep(0)


@prefect.flow(name="weekly-report", retries=1)
async def weekly_report(week: int = 1) -> None:
    await asyncio.sleep(0)


@prefect.task
async def render(report):
    return report
