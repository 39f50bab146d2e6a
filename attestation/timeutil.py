"""Time: stored in UTC, shown in the venue's local time.

Kazakhstan has had one time zone, UTC+5, since 1 March 2024; ``Asia/Almaty`` in a
current tzdata says so.  The ``tzdata`` package is a dependency so that a Pi with an
old system zoneinfo still gets it right.
"""

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Almaty")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(LOCAL_TZ)


def local_today() -> dt.date:
    return local(utcnow()).date()


def local_to_utc(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)
