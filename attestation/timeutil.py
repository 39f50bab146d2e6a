"""Time: stored in UTC, shown in the venue's local time.

Kazakhstan has had one time zone, UTC+5, since 1 March 2024; ``Asia/Almaty`` in a
current tzdata says so (before that date it was UTC+6).  ``zoneinfo`` looks in the
system's zoneinfo first, and a Pi whose system tzdata predates 2024a would show every
time an hour late; so the zone is read from the ``tzdata`` package (a dependency, updated
with the virtualenv) and the system copy is only a fallback.
"""

import datetime as dt
from importlib import resources
from zoneinfo import ZoneInfo

ZONE_NAME = "Asia/Almaty"


def _load_zone(name: str) -> ZoneInfo:
    try:
        with resources.files("tzdata.zoneinfo").joinpath(name).open("rb") as tzfile:
            return ZoneInfo.from_file(tzfile, key=name)
    except (ModuleNotFoundError, FileNotFoundError):
        return ZoneInfo(name)


LOCAL_TZ = _load_zone(ZONE_NAME)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(LOCAL_TZ)


def local_today() -> dt.date:
    return local(utcnow()).date()


def local_to_utc(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)
