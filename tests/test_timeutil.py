"""Venue time: Kazakhstan is UTC+5 since 1 March 2024, whatever the system zoneinfo says."""

import datetime as dt
import struct
import zoneinfo

from attestation import timeutil

UTC = dt.timezone.utc


def test_local_time_is_utc_plus_five_since_march_2024():
    noon_utc = dt.datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert timeutil.local(noon_utc).utcoffset() == dt.timedelta(hours=5)
    assert timeutil.local(noon_utc).hour == 17
    # the change itself: 1 March 2024 00:00 local was still UTC+6 the evening before
    assert timeutil.local(dt.datetime(2024, 2, 28, 12, tzinfo=UTC)).utcoffset() == dt.timedelta(hours=6)
    assert timeutil.local(dt.datetime(2024, 3, 2, 12, tzinfo=UTC)).utcoffset() == dt.timedelta(hours=5)


def test_local_day_boundary_and_round_trip():
    # 19:30 UTC is 00:30 the next day at the venue: "today's sitting" follows the venue
    late = dt.datetime(2026, 11, 26, 19, 30, tzinfo=UTC)
    assert timeutil.local(late).date() == dt.date(2026, 11, 27)
    start = timeutil.local_to_utc(dt.date(2026, 11, 27), dt.time(9, 0))
    assert start == dt.datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
    assert timeutil.local(start).time() == dt.time(9, 0)


def test_zone_comes_from_the_tzdata_package_not_an_old_system_copy(tmp_path):
    # A system zoneinfo from before 2024a still has Almaty at UTC+6: copy such a rule in
    # as the only system path and check the loader does not pick it up.
    old = tmp_path / "Asia"
    old.mkdir()
    (old / "Almaty").write_bytes(_fixed_offset_tzif(6 * 3600))
    zoneinfo.reset_tzpath([str(tmp_path)])
    try:
        assert zoneinfo.ZoneInfo.no_cache("Asia/Almaty").utcoffset(dt.datetime(2026, 1, 1)) == dt.timedelta(hours=6)
        zone = timeutil._load_zone("Asia/Almaty")
        assert zone.utcoffset(dt.datetime(2026, 1, 1)) == dt.timedelta(hours=5)
    finally:
        zoneinfo.reset_tzpath()


def _fixed_offset_tzif(offset: int) -> bytes:
    """A minimal TZif v2 file with one fixed offset and a POSIX footer (RFC 8536)."""
    hours = offset // 3600
    abbr = f"+{hours:02d}\0".encode()
    def block() -> bytes:
        header = b"TZif2" + b"\0" * 15 + struct.pack(">6l", 0, 0, 0, 0, 1, len(abbr))
        return header + struct.pack(">lbb", offset, 0, 0) + abbr
    footer = f"\n<+{hours:02d}>-{hours}\n".encode()
    return block() + block() + footer
