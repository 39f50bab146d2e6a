"""The kiosk appliance: `tools/install.sh --appliance --root DIR` writes a Pi's files into a
tree, and `kioskctl doctor --root DIR` names each fault planted there in turn."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from appliance import records_place
from attestation import audit_anchor
from kioskctl import main
from units import verify

ROOT = pathlib.Path(__file__).resolve().parent.parent
INSTALL = ROOT / "tools" / "install.sh"
VENV = pathlib.Path(sys.executable).parent.parent
SERVICE_GID = 990
STOCK_CMDLINE = ("console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
                 "fsck.repair=yes rootwait quiet splash plymouth.ignore-serial-consoles")
STOCK_FSTAB = """proc            /proc           proc    defaults          0       0
PARTUUID=4e639091-01  /boot/firmware  vfat    defaults          0       2
PARTUUID=4e639091-02  /               ext4    defaults,noatime  0       1
# a swapfile is not a swap partition, no line here; use  dphys-swapfile swap[on|off]  for that
"""
# /proc/self/mountinfo of the Pi after the reboot: the root an overlay on RAM, the boot
# partition read-only, the records stick ext4 at /var/lib/attestation.
MOUNT_ROOT = ("22 1 0:21 / / rw,noatime - overlay overlayroot rw,lowerdir=/media/root-ro,"
              "upperdir=/media/root-rw/overlay,workdir=/media/root-rw/overlay-workdir")
MOUNT_BOOT = "25 22 179:1 / /boot/firmware ro,relatime - vfat /dev/mmcblk0p1 ro,fmask=0022"
MOUNT_RECORDS = "31 22 8:1 / /var/lib/attestation rw,noatime - ext4 /dev/sda1 rw,data=journal"


def install(tree: pathlib.Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["bash", str(INSTALL), "--root", str(tree), "--venv", str(VENV), *args],
                            capture_output=True, text=True)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


APPLIANCE = ("--appliance", "--records", "LABEL=ATTESTATION", "--rotate", "90",
             "--enable", "kiosk,browser", "--cabinet", "cab-1")


@pytest.fixture
def stock_pi(tmp_path):
    """The files of a fresh Raspberry Pi OS Lite that the installer reads or edits."""
    tree = tmp_path / "pi"
    (tree / "boot/firmware").mkdir(parents=True)
    (tree / "boot/firmware/cmdline.txt").write_text(STOCK_CMDLINE + "\n")
    (tree / "boot/firmware/config.txt").write_text("dtparam=audio=on\ncamera_auto_detect=1\n"
                                                   "dtoverlay=vc4-kms-v3d\nauto_initramfs=1\n")
    (tree / "etc").mkdir()
    (tree / "etc/fstab").write_text(STOCK_FSTAB)
    # the users the installer's live part makes (useradd is skipped with --root)
    (tree / "etc/group").write_text(f"root:x:0:\ndialout:x:20:\nattestation:x:{SERVICE_GID}:\n")
    return tree


def rebooted(tree: pathlib.Path, *mounts: str) -> None:
    """What the Pi shows after the reboot that follows the install."""
    (tree / "proc/self").mkdir(parents=True, exist_ok=True)
    (tree / "proc/cmdline").write_text((tree / "boot/firmware/cmdline.txt").read_text())
    (tree / "proc/self/mountinfo").write_text("\n".join(mounts or (MOUNT_ROOT, MOUNT_BOOT, MOUNT_RECORDS)) + "\n")


@pytest.fixture
def appliance(stock_pi):
    """An appliance as the technician leaves it: installed, the venue's audit key copied in,
    the adapter, camera and watchdog present, the clock synchronized, rebooted."""
    tree = stock_pi
    install(tree, *APPLIANCE)
    conf = tree / "etc/attestation"
    with (conf / "attestation.env").open("a") as env:
        env.write("ATTESTATION_KIOSK_CAMERA=v4l2:/dev/video0\n")
    audit_anchor.write_key(conf / "audit.key")
    for secret in (conf / "audit.key", conf / "attestation.env"):
        os.chown(secret, 0, SERVICE_GID)
        secret.chmod(0o640)
    (tree / "dev").mkdir()
    for device in ("watchdog", "ttyRS485", "video0"):
        (tree / "dev" / device).touch()
    (tree / "run/systemd/timesync").mkdir(parents=True)
    (tree / "run/systemd/timesync/synchronized").touch()
    rebooted(tree)
    return tree


def doctor(tree: pathlib.Path):
    result = CliRunner().invoke(main, ["doctor", "--root", str(tree)])
    lines = result.output.splitlines()
    return result.exit_code, {l.split(":")[0].split()[-1]: l for l in lines if ":" in l and not l[0].isdigit()}


# -- the installer ------------------------------------------------------------------------

def test_the_appliance_install_writes_every_part_of_the_kiosk(appliance):
    tree = appliance
    cmdline = (tree / "boot/firmware/cmdline.txt").read_text().split()
    # the read-only root, confined to / so the records device stays a real disk
    assert cmdline[0] == "overlayroot=tmpfs:recurse=0" and "consoleblank=0" in cmdline
    assert cmdline[1:-1] == STOCK_CMDLINE.split()  # nothing of the stock line lost or moved
    config = (tree / "boot/firmware/config.txt").read_text().splitlines()
    assert "dtparam=watchdog=on" in config and "auto_initramfs=1" in config
    fstab = [l.split() for l in (tree / "etc/fstab").read_text().splitlines() if l and not l.startswith("#")]
    by_point = {f[1]: f for f in fstab}
    assert by_point["/boot/firmware"][3].split(",")[-1] == "ro"
    records = by_point["/var/lib/attestation"]
    assert records[0] == "LABEL=ATTESTATION" and records[2] == "ext4" and records[5] == "2"  # fsck at boot
    assert {"data=journal", "errors=remount-ro", "nofail", "noatime"} <= set(records[3].split(","))
    assert by_point["/var/log/journal"][:3] == ["/var/lib/attestation/journal", "/var/log/journal", "none"]
    assert "Storage=persistent" in (tree / "etc/systemd/journald.conf.d/attestation.conf").read_text()
    watchdog = (tree / "etc/systemd/system.conf.d/attestation-watchdog.conf").read_text()
    assert "[Manager]" in watchdog and "RuntimeWatchdogSec=15s" in watchdog
    env = (tree / "etc/attestation/attestation.env").read_text().splitlines()
    assert "ATTESTATION_RECORDS_DIR=/var/lib/attestation" in env
    assert "ATTESTATION_AUDIT_CHECKPOINT_FILE=/var/lib/attestation/log/audit-checkpoints.jsonl" in env
    # the browser: under cage, kiosk mode, no way to zoom, swipe or restore, restarted always
    browser = (tree / "etc/systemd/system/attestation-kiosk-browser.service").read_text()
    for flag in ("/usr/bin/cage -d -- /usr/local/lib/attestation/kiosk-screen", "--kiosk", "--incognito",
                 "--disable-pinch", "--overscroll-history-navigation=0", "--hide-crash-restore-bubble",
                 "--noerrdialogs", "Restart=always", "StartLimitIntervalSec=0",
                 "RuntimeDirectory=attestation-screen", "EnvironmentFile=-/etc/attestation/appliance.env"):
        assert flag in browser, flag
    assert os.access(tree / "usr/local/lib/attestation/kiosk-screen", os.X_OK)
    assert os.readlink(tree / "etc/systemd/system/default.target").endswith("graphical.target")
    touch = (tree / "etc/udev/rules.d/98-attestation-touch.rules").read_text()
    assert 'ENV{ID_INPUT_TOUCHSCREEN}=="1"' in touch and 'LIBINPUT_CALIBRATION_MATRIX}="0 -1 1 1 0 0"' in touch
    assert "ATTESTATION_SCREEN_ROTATE=90" in (tree / "etc/attestation/appliance.env").read_text()
    wants = {p.name for p in (tree / "etc/systemd/system").glob("*.wants/*")}
    assert wants == {"attestation-kiosk.service", "attestation-kiosk-browser.service",
                     "attestation-agent@cab-1.service", "attestation-backup.timer"}
    assert (tree / "etc/udev/rules.d/99-attestation-rs485.rules").exists()


def test_the_installed_units_pass_systemd_analyze(appliance, tmp_path):
    units = appliance / "etc/systemd/system"
    verify([units / "attestation-kiosk-browser.service", units / "attestation-kiosk.service"], tmp_path)


def test_installing_again_changes_nothing(appliance):
    files = {p: p.read_bytes() for p in appliance.rglob("*") if p.is_file() and "proc" not in p.parts}
    install(appliance, *APPLIANCE)
    for path, before in files.items():
        assert path.read_bytes() == before, path


def test_an_upright_screen_has_no_touch_rule_and_a_bad_rotation_is_refused(stock_pi):
    install(stock_pi, "--appliance", "--records", "/dev/sda1", "--enable", "kiosk,browser")
    assert not (stock_pi / "etc/udev/rules.d/98-attestation-touch.rules").exists()
    before = (stock_pi / "etc/fstab").read_text()
    result = install(stock_pi, "--appliance", "--records", "/dev/sda1", "--rotate", "45", check=False)
    assert result.returncode == 2 and "use 0, 90, 180 or 270" in result.stderr
    assert (stock_pi / "etc/fstab").read_text() == before


def test_the_installer_never_replaces_a_mount_it_did_not_write(stock_pi):
    fstab = stock_pi / "etc/fstab"
    fstab.write_text(STOCK_FSTAB + "UUID=1111-2222 /var/lib/attestation vfat defaults 0 0\n")
    result = install(stock_pi, *APPLIANCE, check=False)
    assert result.returncode == 2 and "already mounts something on /var/lib/attestation" in result.stderr
    assert fstab.read_text().endswith("UUID=1111-2222 /var/lib/attestation vfat defaults 0 0\n")
    assert "overlayroot" not in (stock_pi / "boot/firmware/cmdline.txt").read_text()


def test_an_appliance_needs_its_records_device(stock_pi):
    result = install(stock_pi, "--appliance", check=False)
    assert result.returncode == 2 and "--records DEVICE" in result.stderr


def test_maintenance_makes_the_root_writable_until_the_appliance_step_again(appliance):
    install(appliance, "--maintenance")
    cmdline = (appliance / "boot/firmware/cmdline.txt").read_text().split()
    assert not [t for t in cmdline if t.startswith("overlayroot=")] and cmdline[:-1] == STOCK_CMDLINE.split()
    assert "defaults 0 2" in " ".join((appliance / "etc/fstab").read_text().split())  # boot rw again
    rebooted(appliance)
    code, lines = doctor(appliance)
    assert code == 1 and lines["overlay"].startswith("FAIL") and "writable" in lines["overlay"]
    install(appliance, *APPLIANCE)
    rebooted(appliance)
    assert doctor(appliance)[0] == 0


def test_the_scripts_pass_shellcheck():
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.fail("shellcheck is missing: `make test` installs it")
    scripts = [str(p) for p in sorted((ROOT / "tools").glob("*.sh"))] + [str(ROOT / "systemd/kiosk-screen")]
    result = subprocess.run([shellcheck, "-x", "-P", str(ROOT / "tools"), *scripts],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout


# -- kioskctl doctor ----------------------------------------------------------------------

def test_doctor_finds_nothing_on_a_healthy_appliance(appliance):
    code, lines = doctor(appliance)
    assert code == 0, lines
    assert set(lines) == {"records", "overlay", "watchdog", "services", "screen", "secrets", "clock",
                          "serial", "camera"}
    assert all(l.startswith("ok") for l in lines.values()), lines


def _unmounted(t):
    rebooted(t, MOUNT_ROOT, MOUNT_BOOT)


def _replace_in(relpath, old, new):
    def plant(t):
        path = t / relpath
        path.write_text(path.read_text().replace(old, new))
    return plant


def _remove(relpath):
    return lambda t: (t / relpath).unlink()


FAULTS = {
    "records stick not plugged in": (_unmounted, "records", "lost at the next power cut"),
    "records read-only": (lambda t: rebooted(t, MOUNT_ROOT, MOUNT_BOOT, MOUNT_RECORDS.replace(" rw,", " ro,")),
                          "records", "read-only"),
    "records on FAT": (lambda t: rebooted(t, MOUNT_ROOT, MOUNT_BOOT, MOUNT_RECORDS.replace("ext4", "vfat")),
                       "records", "no journal"),
    "records directory gone": (lambda t: shutil.rmtree(t / "var/lib/attestation"), "records", "missing"),
    "overlay off": (_replace_in("boot/firmware/cmdline.txt", "overlayroot=tmpfs:recurse=0 ", ""),
                    "overlay", "writable"),
    "overlay over the records too": (_replace_in("boot/firmware/cmdline.txt", "tmpfs:recurse=0", "tmpfs"),
                                     "overlay", "recurse=0"),
    "not rebooted yet": (lambda t: (t / "proc/cmdline").write_text(STOCK_CMDLINE), "overlay", "reboot"),
    "boot partition writable": (_replace_in("etc/fstab", "defaults,ro", "defaults"), "overlay", "read-only"),
    "no watchdog setting": (_remove("etc/systemd/system.conf.d/attestation-watchdog.conf"),
                            "watchdog", "RuntimeWatchdogSec"),
    "watchdog longer than the timer": (_replace_in("etc/systemd/system.conf.d/attestation-watchdog.conf",
                                                   "=15s", "=1min"), "watchdog", "longer"),
    "no watchdog device": (_remove("dev/watchdog"), "watchdog", "/dev/watchdog"),
    "agent disabled": (_remove("etc/systemd/system/multi-user.target.wants/attestation-agent@cab-1.service"),
                       "services", "attestation-agent@cab-1.service"),
    "boots to the console": (_remove("etc/systemd/system/default.target"), "screen", "graphical.target"),
    "touch not turned": (_remove("etc/udev/rules.d/98-attestation-touch.rules"), "screen", "touch"),
    "no screen wrapper": (_remove("usr/local/lib/attestation/kiosk-screen"), "screen", "kiosk-screen"),
    "audit key missing": (_remove("etc/attestation/audit.key"), "secrets", "no audit key"),
    "audit key damaged": (lambda t: (t / "etc/attestation/audit.key").write_text("not a key\n"),
                          "secrets", "cannot be read"),
    "audit key readable by all": (lambda t: (t / "etc/attestation/audit.key").chmod(0o644),
                                  "secrets", "others may read it"),
    "audit key of another group": (lambda t: os.chown(t / "etc/attestation/audit.key", 0, 0),
                                   "secrets", "not root:attestation"),
    "configuration readable by all": (lambda t: (t / "etc/attestation/attestation.env").chmod(0o644),
                                      "secrets", "attestation.env"),
    "clock not synchronized": (_remove("run/systemd/timesync/synchronized"), "clock", "NTP"),
    "RS485 adapter unplugged": (_remove("dev/ttyRS485"), "serial", "/dev/ttyRS485"),
    "camera unplugged": (_remove("dev/video0"), "camera", "/dev/video0"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_doctor_names_each_fault(appliance, fault):
    plant, check, words = FAULTS[fault]
    plant(appliance)
    code, lines = doctor(appliance)
    failed = {name for name, line in lines.items() if line.startswith("FAIL")}
    assert code == 1 and failed == {check}, lines
    assert words in lines[check], lines[check]


def test_doctor_finds_a_full_records_device(appliance, monkeypatch):
    full = shutil.disk_usage(appliance)._replace(free=10 * 2**20, total=32 * 2**30)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: full)
    code, lines = doctor(appliance)
    assert code == 1 and "only 0% free (10 MiB)" in lines["records"]


# -- the records' place, on this machine's own mounts ---------------------------------------

def test_mountinfo_paths_and_the_mount_that_holds_a_path():
    mounts = records_place.parse_mountinfo(
        "22 1 0:21 / / rw - ext4 /dev/root rw\n"
        "40 22 8:1 / /media/usb\\040stick rw,nosuid - vfat /dev/sda1 rw\n"
        "41 22 0:5 / /var/lib rw - ext4 /dev/sdb1 ro\n"
        "42 41 8:2 / /var/lib/attestation rw - ext4 /dev/sdc1 rw\n")
    assert records_place.mount_of("/media/usb stick/x", mounts).source == "/dev/sda1"
    assert records_place.mount_of("/var/lib/attestationx", mounts).source == "/dev/sdb1"
    assert records_place.mount_of("/var/lib/attestation/db", mounts).source == "/dev/sdc1"
    assert records_place.mount_of("/var/lib", mounts).read_only  # super options count
    assert records_place.mount_of("/etc", mounts).point == "/"


@pytest.mark.parametrize("place,words", [("/dev/shm", "is on tmpfs"), ("/nonexistent/records", "is missing")])
def test_commands_and_services_refuse_to_record_where_nothing_lasts(place, words, monkeypatch, tmp_path):
    monkeypatch.setenv(records_place.ENV, place)
    url = f"sqlite:///{tmp_path}/a.db"
    for argv in (["db", "upgrade"], ["serve", "kiosk", "--port", "0"], ["serve", "agent", "--cabinet", "cab-1"]):
        result = CliRunner().invoke(main, ["--database-url", url, *argv])
        assert result.exit_code == 1 and f"error: nothing can be recorded: {place} {words}" in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "a.db").exists()  # nothing was written anywhere
    assert CliRunner().invoke(main, ["doctor"]).output.count("records:") == 1  # doctor still runs
