"""``kioskctl doctor``: is this Pi fit to run a day of check-ins?  One line per check.

Each check reads the installed system through a :class:`Host`: the machine itself, or a
tree that ``tools/install.sh --root DIR`` wrote (the tests plant a fault in such a tree
and expect the check to name it).  What is read, and from where under the root:

==========  =====================================================================
records     ``ATTESTATION_RECORDS_DIR``: mounted from the records device, journaled,
            writable (``proc/self/mountinfo``), at least ``WARN_FREE`` of it free
overlay     the read-only root: ``overlayroot=tmpfs:recurse=0`` in the boot partition's
            ``cmdline.txt``, active now (``proc/cmdline``, ``/`` an overlay), the boot
            partition read-only in ``etc/fstab``
watchdog    ``RuntimeWatchdogSec`` in ``etc/systemd/system.conf.d``, ``dev/watchdog``
services    every unit the installer enabled (``*.wants`` links; on the Pi, running)
screen      the browser's unit and wrapper, graphical boot, the touch rule of a turned screen
secrets     the audit key (a valid key, root's, the service group's, no one else's) and
            the configuration file (it holds the kiosk token and the panel's secret)
clock       synchronized by NTP (``run/systemd/timesync/synchronized``, or timedatectl)
serial      the RS485 adapter's device and a serial scanner's port, when configured
camera      the configured camera's device
==========  =====================================================================
"""

from __future__ import annotations

import dataclasses
import grp
import os
import pathlib
import re
import shlex
import shutil
import stat
import subprocess
from collections.abc import Callable

from attestation import audit_anchor
from backup.copies import WARN_FREE

from . import records_place

OK, FAIL, SKIP = "ok", "FAIL", "--"
CONF = pathlib.PurePosixPath("/etc/attestation")
OVERLAY_TOKEN = "overlayroot=tmpfs:recurse=0"
#: The longest timeout of the Pi's BCM2835/2711 watchdog, in seconds.
WATCHDOG_MAX_S = 15
SERVICE_GROUP = "attestation"
BROWSER_UNIT = "attestation-kiosk-browser.service"
TOUCH_RULES = "etc/udev/rules.d/98-attestation-touch.rules"
#: libinput's calibration matrix for a screen turned clockwise by so many degrees.
TOUCH_MATRIX = {"90": "0 -1 1 1 0 0", "180": "-1 0 1 0 -1 1", "270": "0 1 0 -1 0 1"}


@dataclasses.dataclass(frozen=True)
class Result:
    check: str
    status: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<5} {self.check}: {self.detail}"


class Host:
    """The system under ``root``: ``/`` on the Pi, a directory tree in the tests."""

    def __init__(self, root: str | os.PathLike = "/"):
        self.root = pathlib.Path(root)
        self.live = self.root == pathlib.Path("/")

    def path(self, name: str | os.PathLike) -> pathlib.Path:
        return self.root / str(name).lstrip("/")

    def read(self, name: str | os.PathLike, default: str = "") -> str:
        try:
            return self.path(name).read_text(encoding="utf-8")
        except OSError:
            return default

    def settings(self) -> dict[str, str]:
        """The services' configuration and the appliance's, as systemd reads them."""
        out = {}
        for name in ("attestation.env", "appliance.env"):
            for line in self.read(CONF / name).splitlines():
                key, sep, value = line.partition("=")
                if sep and not key.lstrip().startswith("#"):
                    out[key.strip()] = " ".join(shlex.split(value)) if value.strip() else ""
        return out

    def boot_dir(self) -> pathlib.Path | None:
        for name in ("boot/firmware", "boot"):
            if self.path(name).joinpath("cmdline.txt").is_file():
                return self.path(name)
        return None

    def mounts(self) -> list[records_place.Mount]:
        return records_place.parse_mountinfo(self.read(records_place.MOUNTINFO))

    def run(self, *argv: str) -> str | None:
        """A command's output on the Pi itself; None in a tree or when it cannot run."""
        if not self.live or shutil.which(argv[0]) is None:
            return None
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip()


Check = Callable[[Host, dict], Result]
CHECKS: list[Check] = []


def check(fn: Check) -> Check:
    CHECKS.append(fn)
    return fn


def appliance(settings: dict) -> bool:
    return "ATTESTATION_APPLIANCE_SERVICES" in settings


@check
def records(host: Host, settings: dict) -> Result:
    place = settings.get(records_place.ENV) or "/var/lib/attestation"
    found = records_place.problems(place, root=host.root, mountinfo=host.read(records_place.MOUNTINFO))
    if found:
        return Result("records", FAIL, "; ".join(found))
    mount = records_place.mount_of(place if not host.live else os.path.realpath(place), host.mounts())
    if mount.fstype not in records_place.JOURNALED:
        return Result("records", FAIL, f"{place} is on {mount.fstype} ({mount.source}), which has no journal: "
                                       f"a power cut can lose it; make it ext4 (tools/install.sh --appliance)")
    if appliance(settings) and mount.point != place:
        return Result("records", FAIL, f"{place} is not the records device's mount point (it is on "
                                       f"{mount.source} at {mount.point}): is the stick plugged in?")
    usage = shutil.disk_usage(host.path(place))
    free = usage.free / usage.total
    if free < WARN_FREE:
        return Result("records", FAIL, f"{place}: only {free:.0%} free ({usage.free // 2**20} MiB); "
                                       f"move old backups off the device")
    return Result("records", OK, f"{place} on {mount.source} ({mount.fstype}), writable, {free:.0%} free")


@check
def overlay(host: Host, settings: dict) -> Result:
    if not appliance(settings):
        return Result("overlay", SKIP, "not an appliance (tools/install.sh --appliance not run)")
    boot = host.boot_dir()
    if boot is None:
        return Result("overlay", FAIL, "no cmdline.txt in /boot/firmware or /boot")
    tokens = boot.joinpath("cmdline.txt").read_text().split()
    overlay_tokens = [t for t in tokens if t.startswith("overlayroot=")]
    if OVERLAY_TOKEN not in tokens:
        if overlay_tokens:
            return Result("overlay", FAIL, f"cmdline.txt has {overlay_tokens[0]}: without ':recurse=0' the "
                                           f"records device is put under the RAM overlay too")
        return Result("overlay", FAIL, "the root is writable (maintenance?): a power cut can damage the SD "
                                       "card; tools/install.sh --appliance locks it again")
    boot_point = "/" + str(boot.relative_to(host.root))
    fstab = [line.split() for line in host.read("/etc/fstab").splitlines() if not line.startswith("#")]
    boot_line = next((f for f in fstab if len(f) > 3 and f[1] == boot_point), None)
    if boot_line is None or "ro" not in boot_line[3].split(","):
        return Result("overlay", FAIL, f"{boot_point} is not mounted read-only in /etc/fstab")
    running = host.read("/proc/cmdline").split()
    root = records_place.mount_of("/", host.mounts())
    if OVERLAY_TOKEN not in running or root is None or root.fstype != "overlay":
        return Result("overlay", FAIL, "configured but not active: reboot to make the root read-only")
    return Result("overlay", OK, f"root read-only under a RAM overlay, {boot_point} read-only")


def _seconds(value: str) -> float:
    """A systemd time span (``15s``, ``1min``, ``500ms``, ``off``) in seconds."""
    units = {"ms": 0.001, "s": 1, "sec": 1, "": 1, "m": 60, "min": 60, "h": 3600}
    total = 0.0
    for number, unit in re.findall(r"([\d.]+)\s*([a-z]*)", value.strip().lower()):
        total += float(number) * units.get(unit, 0)
    return total


@check
def watchdog(host: Host, settings: dict) -> Result:
    if not appliance(settings):
        return Result("watchdog", SKIP, "not an appliance")
    value = None
    for conf in sorted(host.path("/etc/systemd/system.conf.d").glob("*.conf")):
        for line in conf.read_text().splitlines():
            if line.strip().startswith("RuntimeWatchdogSec="):
                value = line.split("=", 1)[1].strip()
    if value is None or _seconds(value) == 0:
        return Result("watchdog", FAIL, "RuntimeWatchdogSec is not set: a hung Pi stays hung until "
                                        "someone pulls the plug")
    if _seconds(value) > WATCHDOG_MAX_S:
        return Result("watchdog", FAIL, f"RuntimeWatchdogSec={value} is longer than the Pi's watchdog "
                                        f"counts ({WATCHDOG_MAX_S} s)")
    if not host.path("/dev/watchdog").exists():
        return Result("watchdog", FAIL, "no /dev/watchdog: add dtparam=watchdog=on to config.txt and reboot")
    return Result("watchdog", OK, f"hardware watchdog {value}, kept alive by systemd")


def _enabled(host: Host, unit: str) -> bool:
    # The links point at /etc/..., absolute: in a tree they dangle, so test the link itself.
    return any(os.path.lexists(wants / unit) for wants in host.path("/etc/systemd/system").glob("*.wants"))


@check
def services(host: Host, settings: dict) -> Result:
    units = settings.get("ATTESTATION_APPLIANCE_SERVICES", "").split()
    if not units:
        return Result("services", SKIP, "no appliance services recorded (tools/install.sh --appliance --enable)")
    disabled = [u for u in units if not _enabled(host, u)]
    if disabled:
        return Result("services", FAIL, f"not enabled: {', '.join(disabled)} "
                                        f"(sudo systemctl enable --now {' '.join(disabled)})")
    if host.live and (state := host.run("systemctl", "is-active", *units)) is not None:
        down = [u for u, s in zip(units, state.split()) if s != "active"]
        if down:
            return Result("services", FAIL, f"not running: {', '.join(down)} (journalctl -u {down[0]})")
    return Result("services", OK, f"{len(units)} enabled" + (", running" if host.live else ""))


@check
def screen(host: Host, settings: dict) -> Result:
    if BROWSER_UNIT not in settings.get("ATTESTATION_APPLIANCE_SERVICES", "").split():
        return Result("screen", SKIP, "no browser on this Pi")
    unit = host.read(f"/etc/systemd/system/{BROWSER_UNIT}")
    start = re.search(r"^ExecStart=.*?(?<!\\)$", unit, re.M | re.S)
    wrapper = start and re.search(r"-- (\S+)", start.group(0))
    if not start or "--kiosk" not in start.group(0) or not wrapper:
        return Result("screen", FAIL, f"{BROWSER_UNIT} does not start Chromium in kiosk mode under cage")
    if not os.access(host.path(wrapper.group(1)), os.X_OK):
        return Result("screen", FAIL, f"{wrapper.group(1)} is missing or not executable (tools/install.sh)")
    default = host.path("/etc/systemd/system/default.target")
    if not default.is_symlink() or not os.readlink(default).endswith("graphical.target"):
        return Result("screen", FAIL, "the Pi does not boot to graphical.target, so the browser never starts "
                                      "(sudo systemctl set-default graphical.target)")
    rotate = settings.get("ATTESTATION_SCREEN_ROTATE", "0") or "0"
    if rotate != "0":
        if rotate not in TOUCH_MATRIX:
            return Result("screen", FAIL, f"ATTESTATION_SCREEN_ROTATE={rotate}: use 0, 90, 180 or 270")
        if f'LIBINPUT_CALIBRATION_MATRIX}}="{TOUCH_MATRIX[rotate]}"' not in host.read(TOUCH_RULES):
            return Result("screen", FAIL, f"the screen is turned by {rotate} degrees but the touch panel is "
                                          f"not ({TOUCH_RULES.split('/')[-1]}): taps land in the wrong place")
    return Result("screen", OK, f"Chromium kiosk under cage, fresh profile each start, turned {rotate}°")


def _rights_problem(host: Host, path: pathlib.Path, shown: str) -> str | None:
    info = path.stat()
    groups = {int(f[2]): f[0] for f in (line.split(":") for line in host.read("/etc/group").splitlines())
              if len(f) > 2 and f[2].isdigit()}
    if not groups and host.live:
        try:
            groups = {info.st_gid: grp.getgrgid(info.st_gid).gr_name}
        except KeyError:
            pass
    if info.st_mode & (stat.S_IRWXO | stat.S_IWGRP):
        return f"{shown} is {stat.filemode(info.st_mode)}: others may read it (chmod 0640 {shown})"
    if info.st_uid != 0 or groups.get(info.st_gid) != SERVICE_GROUP:
        return f"{shown} belongs to {info.st_uid}:{groups.get(info.st_gid, info.st_gid)}, not root:" \
               f"{SERVICE_GROUP} (chown root:{SERVICE_GROUP} {shown})"
    return None


@check
def secrets(host: Host, settings: dict) -> Result:
    key = settings.get(audit_anchor.KEY_ENV) or str(audit_anchor.DEFAULT_KEY_FILE)
    env = str(CONF / "attestation.env")
    if not host.path(key).is_file():
        return Result("secrets", FAIL, f"no audit key at {key}: entries would be unsigned "
                                       f"(copy the venue's key there, or kioskctl audit keygen)")
    try:
        audit_anchor.load_key(host.path(key))
    except audit_anchor.AuditKeyError as exc:
        return Result("secrets", FAIL, str(exc))
    for path, shown in ((host.path(key), key), (host.path(env), env)):
        if path.exists() and (problem := _rights_problem(host, path, shown)):
            return Result("secrets", FAIL, problem)
    return Result("secrets", OK, f"audit key {key} and {env} readable by root and {SERVICE_GROUP} only")


@check
def clock(host: Host, settings: dict) -> Result:
    synced = host.path("/run/systemd/timesync/synchronized").exists()
    if not synced and host.live:
        synced = host.run("timedatectl", "show", "-p", "NTPSynchronized", "--value") == "yes"
    if not synced:
        return Result("clock", FAIL, "not synchronized by NTP: acts and check-ins would carry a wrong time "
                                     "(a Pi has no battery clock; check the network and timedatectl)")
    return Result("clock", OK, "synchronized by NTP")


@check
def serial(host: Host, settings: dict) -> Result:
    ports = [p for p in (settings.get("ATTESTATION_APPLIANCE_SERIAL", ""),
                         settings.get("ATTESTATION_SERIAL_SCANNER_PORT", "")) if p and p != "none"]
    if not ports:
        return Result("serial", SKIP, "no serial device configured")
    missing = [p for p in ports if not host.path(p).exists()]
    if missing:
        return Result("serial", FAIL, f"{', '.join(missing)} missing: is the USB adapter plugged in "
                                      f"(lsusb; its ids in /etc/udev/rules.d/99-attestation-rs485.rules)?")
    return Result("serial", OK, ", ".join(ports) + " present")


@check
def camera(host: Host, settings: dict) -> Result:
    spec = settings.get("ATTESTATION_KIOSK_CAMERA", "")
    if not spec:
        return Result("camera", SKIP, "no camera configured")
    kind, _, where = spec.partition(":")
    if kind == "v4l2":
        device = where or "/dev/video0"
    elif kind == "picamera2":
        device = "/dev/media0"  # libcamera's media controller: a camera module is connected
    else:
        return Result("camera", FAIL, f"ATTESTATION_KIOSK_CAMERA={spec} is not a camera of a kiosk "
                                      f"(v4l2:/dev/videoN or picamera2)")
    if not host.path(device).exists():
        return Result("camera", FAIL, f"{device} missing for {spec}: is the camera connected?")
    return Result("camera", OK, f"{device} present (kioskctl camera test reads codes through it)")


def run(host: Host) -> list[Result]:
    settings = host.settings()
    return [fn(host, settings) for fn in CHECKS]
