"""The one writable place of an appliance kiosk, and whether records written there survive.

On the appliance the root filesystem is a read-only SD card under a RAM overlay
(``overlayroot=tmpfs:recurse=0``): anything written outside the records' place is
accepted and then lost at the next power cut.  So the services do not merely check that
``ATTESTATION_RECORDS_DIR`` is writable (the overlay is), they check which filesystem
holds it, from the kernel's ``/proc/self/mountinfo``:

* it exists and is a directory (a records stick that is not plugged in leaves only the
  empty mount point, which is caught by the next rule);
* the filesystem it is on is not volatile (``tmpfs``, ``ramfs``, ``overlay``: the
  overlay's upper layer is RAM on the appliance) and not mounted read-only;
* a probe file can be created, fsynced and removed there (a full or failing disk, a
  directory the service user may not write).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import tempfile

ENV = "ATTESTATION_RECORDS_DIR"
MOUNTINFO = pathlib.Path("/proc/self/mountinfo")
#: Filesystems whose content is gone at power off (the appliance's overlay writes to RAM).
VOLATILE = frozenset({"tmpfs", "ramfs", "overlay", "devtmpfs"})
#: Filesystems with a journal: a power cut loses at most the last seconds, never the
#: filesystem.  FAT and exFAT sticks have none (a cut mid-write can lose the directory).
JOURNALED = frozenset({"ext4", "ext3", "btrfs", "xfs", "f2fs"})


class RecordsPlaceError(OSError):
    """The records' place is missing, volatile or read-only: nothing may be recorded."""


@dataclasses.dataclass(frozen=True)
class Mount:
    """One line of ``/proc/self/mountinfo``: where, what and how a filesystem is mounted."""
    point: str
    fstype: str
    source: str
    options: frozenset[str]

    @property
    def read_only(self) -> bool:
        return "ro" in self.options


def _unescape(field: str) -> str:
    # The kernel writes space, tab, newline and backslash in paths as \ooo octal escapes.
    return field.encode().decode("unicode_escape") if "\\" in field else field


def parse_mountinfo(text: str) -> list[Mount]:
    """``/proc/self/mountinfo`` (proc(5)): ``id parent major:minor root point options
    [optional...] - fstype source super-options``; per-mount and super options both
    count for read-only."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        dash = fields.index("-")
        if dash < 6 or len(fields) < dash + 3:
            continue
        options = set(fields[5].split(",")) | set(fields[dash + 3].split(",") if len(fields) > dash + 3 else ())
        mounts.append(Mount(_unescape(fields[4]), fields[dash + 1], _unescape(fields[dash + 2]),
                            frozenset(options)))
    return mounts


def mount_of(path: str, mounts: list[Mount]) -> Mount | None:
    """The mount that holds ``path``: the longest matching mount point, the last mounted
    of equals (a later mount hides an earlier one on the same point)."""
    best = None
    for mount in mounts:
        point = mount.point
        inside = point == "/" or path == point or path.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best.point)):
            best = mount
    return best


def problems(path: str, *, root: pathlib.Path = pathlib.Path("/"),
             mountinfo: str | None = None) -> list[str]:
    """What is wrong with ``path`` as the records' place, in words; empty when nothing is.

    ``root`` and ``mountinfo`` let ``kioskctl doctor --root`` look at an installed tree
    (the path is then ``root/path`` on disk, its mount looked up in the given text)."""
    place = root / path.lstrip("/")
    if not place.is_dir():
        return [f"{path} is missing: the records partition or stick is not mounted"]
    if mountinfo is None:
        mountinfo = (root / str(MOUNTINFO).lstrip("/")).read_text()
    real = path if root != pathlib.Path("/") else os.path.realpath(path)
    mount = mount_of(real, parse_mountinfo(mountinfo))
    found = []
    if mount is None:
        found.append(f"{path}: no filesystem holds it in the mount table")
    elif mount.fstype in VOLATILE:
        found.append(f"{path} is on {mount.fstype} ({mount.point}): what is written there is lost at "
                     f"the next power cut; the records partition is not mounted")
    elif mount.read_only:
        found.append(f"{path} is on a filesystem mounted read-only ({mount.source} on {mount.point})")
    if not found:
        try:
            with tempfile.NamedTemporaryFile(dir=place, prefix=".probe-") as probe:
                probe.write(b"probe")
                probe.flush()
                os.fsync(probe.fileno())
        except OSError as exc:
            found.append(f"{path} cannot be written: {exc.strerror or exc}")
    return found


def require(path: str | None = None) -> None:
    """Raise :class:`RecordsPlaceError` when the records' place (``path``, default the
    ``ATTESTATION_RECORDS_DIR`` setting) is not fit to record in.  Nothing is checked when
    the setting is empty: a development machine or the demo."""
    path = path if path is not None else os.environ.get(ENV, "")
    if not path:
        return
    found = problems(path)
    if found:
        raise RecordsPlaceError("; ".join(found))
