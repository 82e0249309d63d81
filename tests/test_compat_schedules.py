"""Schedules, time zones and names: flowwiz's checks against Prefect 3.9.1's, input by input.

Each corpus goes through flowwiz (wizard/values.py, detectors/slug.py) here and through Prefect's
own classes in ONE subprocess in the harness's Prefect venv (``CronSchedule``,
``RRuleSchedule``, ``prefect.utilities.slugify``). Zero disagreements allowed; each
disagreement found while building this became a named case in the corpora below.
"""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys

import pytest

from flowwiz.detectors.slug import repo_token_block_name, slugify
from flowwiz.wizard import values
from tests.prefect_eval import prefect_eval

pytestmark = pytest.mark.prefect

# ------------------------------------------------------------------------------- corpora

CRON_HANDWRITTEN = [
    # the issue's rows
    "*/0 * * * *",
    "0 9 * * 1#1",
    "0 0 L * *",
    "0 0 * * * 30",
    "0 9 * * 1-5",
    # nicknames
    "@daily", "@hourly", "@weekly", "@monthly", "@yearly", "@annually", "@midnight",
    "@reboot", "@every 5m", "@DAILY",
    # names, L, W, #, ?
    "0 0 * JAN-MAR MON-FRI", "0 0 * jan mon", "0 0 * * SUN", "0 0 * * sun#2", "0 0 * * 5L",
    "0 0 LW * *", "0 0 15W * *", "0 0 ? * MON", "0 0 * * 7", "0 0 * * 8", "0 0 * * 1#6",
    "0 0 * * 1#0", "0 0 L-2 * *", "0 0 1,L * *", "0 0 * * L", "0 0 * * MON-SUN",
    # ranges and steps
    "*/15 * * * *", "0-59/5 * * * *", "5-1 * * * *", "59-0 * * * *", "*/60 * * * *",
    "*/59 * * * *", "0 */24 * * *", "0 0 */31 * *", "0 0 1-31/2 * *", "0 0 * */12 *",
    "1-5/0 * * * *", "*/-1 * * * *", "*/1.5 * * * *", "0 0 0 * *", "0 0 32 * *",
    "0 0 * 0 *", "0 0 * 13 *", "60 * * * *", "0 24 * * *", "-1 * * * *",
    "0 0 30 2 *", "0 0 31 4 *", "0 0 29 2 *",
    # field counts
    "* * * *", "* * * * * * *", "* * * * * * * *", "*", "", "  ", "0 0 * * * 0 2025",
    "0 0 * * * * 1970", "0 0 * * * 0 2100",
    # random and hashed (croniter extensions Prefect refuses)
    "H * * * *", "R * * * *", "h * * * *", "r * * * *", "H(0-29) * * * *", "0 H * * *",
    "H/5 * * * *", "R(0-5) * * * *",
    # odd text
    "0 0 * * mon,wed,fri", "0,30 * * * *", "0, 30 * * * *", "0 0 * * 1-5,0", "a b c d e",
    "0 0 * * 1 extra", "*/5\t* * * *", "0 0 * * MONDAY", "0 0 * JANUARY *", "00 09 * * *",
    "0 0 1 1 * 2020", "0 0 * * ?", "? ? ? ? ?", "0 0 ,1 * *", "0 0 1, * *", "0 0 1-- * *",
    "0 0 --1 * *", "0 0 * * 0-7", "0 0 * * 7-0", "0 0 * * 6-1",
]

_CRON_TOKENS = [
    ["*", "0", "59", "60", "*/5", "*/0", "1-30", "30-1", "5,10", "H", "L", "1#2", "x", "-3"],
    ["*", "0", "23", "24", "*/2", "1-5", "9,17", "L", "W", "R", "?", "2/3"],
    ["*", "1", "31", "0", "32", "L", "15W", "LW", "?", "1-31/7", "L-3", "1#1", "*/0"],
    ["*", "1", "12", "0", "13", "JAN", "jan-mar", "*/3", "FOO", "L", "?", "1-12/0"],
    ["*", "0", "6", "7", "8", "MON", "mon-fri", "1#1", "5L", "1#6", "L", "?", "SUN-SAT", "0-7"],
]


def cron_corpus() -> list[str]:
    rng = random.Random(11)
    generated = {
        " ".join(rng.choice(tokens) for tokens in _CRON_TOKENS) for _ in range(400)
    }
    sixes = {f"{c} {s}" for c, s in itertools.product(["0 9 * * *", "*/5 * * * 1-5"],
                                                      ["0", "59", "60", "*/10", "L"])}
    return sorted(set(CRON_HANDWRITTEN) | generated | sixes)


RRULE_CORPUS = [
    # the issue's rows
    "FREQ=SOMETIMES", "RRULE:FREQ=DAILY;BYHOUR=25", "RRULE:FREQ=DAILY;COUNT=abc",
    "RRULE:FREQ=DAILY;INTERVAL=1", "FREQ=DAILY", "freq=daily", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR",
    "RRULE:FREQ=MONTHLY;BYMONTHDAY=-1", "RRULE:FREQ=MONTHLY;BYMONTHDAY=32",
    "RRULE:FREQ=MONTHLY;BYMONTHDAY=0", "RRULE:FREQ=YEARLY;BYMONTH=13",
    "RRULE:FREQ=YEARLY;BYMONTH=0", "RRULE:FREQ=HOURLY;BYMINUTE=60", "RRULE:FREQ=HOURLY;BYMINUTE=59",
    "RRULE:FREQ=MINUTELY;BYSECOND=60", "RRULE:FREQ=MINUTELY;BYSECOND=61",
    "RRULE:FREQ=DAILY;COUNT=10", "RRULE:FREQ=DAILY;COUNT=0", "RRULE:FREQ=DAILY;COUNT=-1",
    "RRULE:FREQ=DAILY;UNTIL=20300101T000000Z", "RRULE:FREQ=DAILY;UNTIL=2030",
    "RRULE:FREQ=DAILY;UNTIL=20300101T000000Z;COUNT=3", "RRULE:FREQ=DAILY;INTERVAL=0",
    "RRULE:FREQ=DAILY;INTERVAL=-2", "RRULE:FREQ=DAILY;INTERVAL=x", "RRULE:FREQ=WEEKLY;BYDAY=XX",
    "RRULE:FREQ=WEEKLY;BYDAY=1MO", "RRULE:FREQ=MONTHLY;BYDAY=+1MO", "RRULE:FREQ=MONTHLY;BYDAY=-1FR",
    "RRULE:FREQ=MONTHLY;BYDAY=6MO", "RRULE:FREQ=YEARLY;BYWEEKNO=53",
    "RRULE:FREQ=YEARLY;BYWEEKNO=54",
    "RRULE:FREQ=YEARLY;BYYEARDAY=366", "RRULE:FREQ=YEARLY;BYYEARDAY=367",
    "RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR", "RRULE:FREQ=MONTHLY;BYSETPOS=0",
    "RRULE:FREQ=WEEKLY;WKST=SU;BYDAY=TU", "RRULE:FREQ=WEEKLY;WKST=XX", "RRULE:FREQ=DAILY;FOO=BAR",
    "RRULE:FREQ=DAILY;BYEASTER=0", "RRULE:", "RRULE:INTERVAL=1", "", "not an rrule",
    "DTSTART:20240101T090000\nRRULE:FREQ=DAILY", "DTSTART:20240101T090000Z\nRRULE:FREQ=DAILY",
    "DTSTART;TZID=Europe/Paris:20240101T090000\nRRULE:FREQ=DAILY",
    "DTSTART:garbage\nRRULE:FREQ=DAILY",
    "DTSTART:20240101T090000\nRRULE:FREQ=DAILY\nEXDATE:20240105T090000",
    "DTSTART:20240101T090000\nRRULE:FREQ=DAILY\nRDATE:20240201T090000",
    "DTSTART:20240101T090000\nRRULE:FREQ=DAILY\nEXRULE:FREQ=WEEKLY;BYDAY=SA,SU",
    "RRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY", "RRULE:FREQ=DAILY;;INTERVAL=2", "RRULE:FREQ=DAILY;",
    "RRULE:FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0,30", "RRULE:FREQ=DAILY;BYHOUR=9-17",
    "EXDATE:20240105T090000", "RDATE:20240201T090000", "RRULE:FREQ=DAILY BYHOUR=9",
    "RRULE:FREQ=DAILY;BYHOUR=",
    # the length limit (about a year of RDATEs)
    "DTSTART:20240101T000000\nRDATE:" + ",".join(f"{y}{m:02d}{d:02d}T000000" for y in (2024, 2025)
                                                  for m in range(1, 13) for d in range(1, 29)),
    "DTSTART:20240101T000000\nRDATE:" + ",".join(f"2024{m:02d}{d:02d}T000000"
                                                  for m in range(1, 9) for d in range(1, 29)),
]

TIMEZONE_CORPUS = [
    "UTC", "Etc/UTC", "utc", "GMT", "Europe/Paris", "europe/paris", "Europe/Kyiv", "Europe/Kiev",
    "America/New_York", "America/Argentina/Buenos_Aires", "America/Buenos_Aires", "Asia/Kolkata",
    "Asia/Calcutta", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham", "US/Eastern",
    "US/Pacific-New", "EST", "EST5EDT", "CET", "Etc/GMT+5", "Etc/GMT-14", "Etc/GMT-15",
    "Factory", "localtime", "posixrules", "posix/Europe/Paris", "right/UTC", "Zulu", "UCT",
    "Universal", "Greenwich", "Antarctica/Troll", "America/Nuuk", "America/Godthab",
    "Europe/Berlin ", " Europe/Berlin", "Europe/Berlin/", "Europe", "Mars/Olympus",
    "+01:00", "UTC+1", "Z", "Europe/Paris\n", "../etc/passwd", "Asia/Tokyo", "Africa/Casablanca",
    "America/Sao_Paulo", "Pacific/Kiritimati", "Canada/Newfoundland", "GB", "NZ", "W-SU",
    "America/Ciudad_Juarez", "Asia/Qostanay", "Europe/Kirov", "America/Nipigon",
    "zone.tab", "tzdata.zi", "leapseconds", "iso3166.tab",
]

INTERVAL_CORPUS = [
    "3600", "1", "0", "-5", "0.5", "1e-7", "0.000001", "0.0000004", "1e10", "1e12", "nan",
    "inf", "-inf", "abc", "", "60.0", "1_000", " 30 ", "0x10", "86400",
]

NAME_CORPUS = [
    "Größe Report", "größe-report", "Café crème", "naïve ETL", "ETL: daily/Hourly", "my_flow",
    "my-flow", "My Flow", "  spaced  out  ", "--dashes--", "a__b", "a--b", "Ärger", "ÆØÅ",
    "Łódź", "İstanbul", "ǅemal", "ß", "ẞ", "ﬁle", "①②③", "Ⅻ", "½ price", "x²", "Ω", "日本語",
    "中文 flow", "한국어", "русский отчёт", "Ελληνικά", "עברית", "العربية", "🚀 launch",
    "emoji ✨ sparkle",
    "O'Brien's flow", 'say "hi"', "&amp; entity", "&#39;quoted&#39;", "&#x41;", "tab\tname",
    "new\nline", "dots.and.dots", "slash/and\\back", "100%", "1,000 rows", "3.14", "UPPER",
    "camelCase", "snake_case_name", "trailing-", "-leading", "", "___", "a" * 80,
    "Crème brûlée – “quotes”", "Ñandú", "Þórr", "Việt Nam", "ŉ", "ǆ", "Ǳ",
]


# ------------------------------------------------------------------------------- Prefect side

_SCHEDULES = """
from prefect.client.schemas.schedules import CronSchedule, RRuleSchedule
def ok(make):
    try:
        make()
        return True
    except Exception:
        return False
emit({
    "cron": {c: ok(lambda: CronSchedule(cron=c)) for c in PAYLOAD["cron"]},
    "rrule": {r: ok(lambda: RRuleSchedule(rrule=r)) for r in PAYLOAD["rrule"]},
    "tz_cron": {t: ok(lambda: CronSchedule(cron="0 0 * * *", timezone=t))
                for t in PAYLOAD["tz"]},
    "tz_rrule": {t: ok(lambda: RRuleSchedule(rrule="FREQ=DAILY", timezone=t))
                 for t in PAYLOAD["tz"]},
    "names": {n: slugify(n) for n in PAYLOAD["names"]},
    "interval": [ok(lambda: _schedule_config_to_deployment_schedule({"interval": i}))
                 for i in PAYLOAD["interval"]],
})
"""
_SCHEDULES = (
    "from prefect.utilities.slugify import slugify\n"
    "from prefect.cli.deploy._schedules import _schedule_config_to_deployment_schedule\n"
    + _SCHEDULES
)


@pytest.fixture(scope="module")
def prefect_says() -> dict[str, dict[str, object]]:
    payload = {
        "cron": sorted({c.strip() for c in cron_corpus()} | set(cron_corpus())),
        "rrule": RRULE_CORPUS,
        "tz": sorted({t.strip() for t in TIMEZONE_CORPUS} | set(TIMEZONE_CORPUS)),
        "names": NAME_CORPUS,
        # what flowwiz writes for an accepted interval: the number (values.interval_value)
        "interval": [_written_interval(i) for i in INTERVAL_CORPUS],
    }
    result: dict[str, dict[str, object]] = prefect_eval(_SCHEDULES, payload)
    return result


def _written_interval(text: str) -> object:
    try:
        return values.interval_value(text)
    except ValueError:
        return text  # flowwiz writes nothing; Prefect gets the text to judge


def _disagreements(prefect: dict[str, object], ours: dict[str, bool]) -> dict[str, tuple]:
    return {k: (prefect[k], ours[k]) for k in ours if prefect[k] != ours[k]}


def test_cron_strings_accepted_and_refused_as_prefect_does(prefect_says) -> None:
    corpus = cron_corpus()
    assert len(corpus) >= 200
    # Prefect receives what flowwiz writes: the stripped text
    ours = {c: values.cron_problem(c) is None for c in corpus}
    prefect = {c: prefect_says["cron"][c.strip()] if c.strip() else False for c in corpus}
    assert _disagreements(prefect, ours) == {}
    verdicts = set(ours.values())
    assert verdicts == {True, False}


def test_rrules_accepted_and_refused_as_prefect_does(prefect_says) -> None:
    assert len(RRULE_CORPUS) >= 50
    ours = {r: values.rrule_problem(r) is None for r in RRULE_CORPUS}
    prefect = {r: bool(prefect_says["rrule"][r]) and bool(r.strip()) for r in RRULE_CORPUS}
    assert _disagreements(prefect, ours) == {}
    # the length limit is what refuses the long one, not dateutil
    assert "at most 6500" in (values.rrule_problem(RRULE_CORPUS[-2]) or "")
    assert values.rrule_problem(RRULE_CORPUS[-1]) is None


def test_time_zones_accepted_and_refused_as_prefect_does(prefect_says) -> None:
    assert len(TIMEZONE_CORPUS) >= 50
    # flowwiz writes the stripped text; empty means no time zone at all (not asked)
    corpus = [t for t in TIMEZONE_CORPUS if t.strip()]
    for kind, key in (("cron", "tz_cron"), ("interval", "tz_cron"), ("rrule", "tz_rrule")):
        ours = {t: values.timezone_problem(t, kind) is None for t in corpus}
        prefect = {t: prefect_says[key][t.strip()] for t in corpus}
        assert _disagreements(prefect, ours) == {}, kind
    # the two lists Prefect keeps really differ, and flowwiz follows each
    assert values.timezone_problem("Factory", "cron") is None
    assert values.timezone_problem("Factory", "rrule") is not None


def test_names_slugify_as_prefect_does(prefect_says) -> None:
    assert len(NAME_CORPUS) >= 50
    ours = {n: slugify(n) for n in NAME_CORPUS}
    assert {n: (prefect_says["names"][n], ours[n]) for n in ours
            if prefect_says["names"][n] != ours[n]} == {}


def test_intervals_accepted_and_refused_as_prefect_does(prefect_says) -> None:
    verdicts = dict(zip(INTERVAL_CORPUS, prefect_says["interval"], strict=True))
    ours = {text: values.interval_problem(text) is None for text in INTERVAL_CORPUS}
    assert {t: (verdicts[t], ours[t]) for t in ours if verdicts[t] != ours[t]} == {}


# ------------------------------------------------------------------------------- the issue's rows


@pytest.mark.parametrize(
    ("cron", "accepted"),
    [("*/0 * * * *", False), ("0 9 * * 1#1", True), ("0 0 L * *", True),
     ("0 0 * * * 30", True), ("H * * * *", False)],
)
def test_issue_cron_rows(cron: str, accepted: bool) -> None:
    assert (values.cron_problem(cron) is None) is accepted


@pytest.mark.parametrize(
    "rrule", ["FREQ=SOMETIMES", "RRULE:FREQ=DAILY;BYHOUR=25", "RRULE:FREQ=DAILY;COUNT=abc"]
)
def test_issue_rrule_rows_are_refused(rrule: str) -> None:
    assert values.rrule_problem(rrule) is not None


def test_issue_timezone_row_without_a_system_tz_database() -> None:
    """PYTHONTZPATH empty: zoneinfo sees no system database, only the tzdata package."""
    code = (
        "from flowwiz.wizard import values; import zoneinfo;"
        "print(zoneinfo.TZPATH, values.timezone_problem('Europe/Paris'),"
        " values.timezone_problem('Europe/Paris', 'rrule'), values.timezone_problem('Nowhere/X'))"
    )
    env = {**os.environ, "PYTHONTZPATH": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split(" ", 3)
    assert out[:3] == ["()", "None", "None"]
    assert "unknown time zone" in out[3]


def test_issue_name_row_secret_block_is_the_one_prefects_wizard_names() -> None:
    assert slugify("Größe Report") == "grosse-report"
    assert repo_token_block_name("Größe Report", "Größe Report") == (
        "deployment-grosse-report-grosse-report-repo-token"
    )
