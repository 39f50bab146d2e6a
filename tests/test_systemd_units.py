"""The systemd units, rendered as tools/install.sh renders them, pass `systemd-analyze verify`."""

import pathlib
import subprocess
import sys

import pytest
from units import verify

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def units(tmp_path_factory):
    out = tmp_path_factory.mktemp("units")
    venv = pathlib.Path(sys.executable).parent.parent
    subprocess.run([str(ROOT / "tools" / "install.sh"), "--render-units", str(out),
                    "--venv", str(venv), "--state", str(out)], check=True)
    return out


def test_all_units_rendered(units):
    names = sorted(p.name for p in units.glob("*.service")) + sorted(p.name for p in units.glob("*.timer"))
    assert names == ["attestation-agent@.service", "attestation-backup.service",
                     "attestation-kiosk-browser.service", "attestation-kiosk.service",
                     "attestation-panel.service", "attestation-backup.timer"]
    for p in units.glob("*.service"):
        assert "@VENV@" not in p.read_text() and "@STATE@" not in p.read_text()


@pytest.mark.parametrize("unit", ["attestation-kiosk.service", "attestation-panel.service",
                                  "attestation-agent@cab-1.service",
                                  "attestation-kiosk-browser.service",
                                  "attestation-backup.service", "attestation-backup.timer"])
def test_systemd_analyze_verify(units, unit, tmp_path):
    if unit.startswith("attestation-agent@"):  # an instance, verified beside its template
        instance = tmp_path / "instance"
        instance.mkdir()
        (instance / unit).write_text((units / "attestation-agent@.service").read_text())
        paths = [instance / unit, units / "attestation-agent@.service"]
    else:
        paths = [units / unit]
    if "browser" in unit:  # it requires the kiosk app's unit: verify the two together
        paths.append(units / "attestation-kiosk.service")
    if unit.endswith(".timer"):  # a timer is verified with the service it starts
        paths.append(units / "attestation-backup.service")
    verify(paths, tmp_path)


def test_services_are_type_notify_with_watchdog_and_hardening(units):
    for name in ("attestation-kiosk.service", "attestation-panel.service", "attestation-agent@.service"):
        text = (units / name).read_text()
        for needle in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "NoNewPrivileges=yes",
                       "ProtectSystem=strict", "StateDirectory=attestation",
                       "EnvironmentFile=/etc/attestation/attestation.env"):
            assert needle in text, (name, needle)
    agent = (units / "attestation-agent@.service").read_text()
    assert "SupplementaryGroups=dialout gpio" in agent and "WorkingDirectory=" in agent
    browser = (units / "attestation-kiosk-browser.service").read_text()
    assert "After=attestation-kiosk.service" in browser and "Requires=attestation-kiosk.service" in browser


def test_config_example_documents_every_setting():
    text = (ROOT / "systemd" / "attestation.env.example").read_text()
    from kiosk import DEFAULTS as KIOSK
    from web import DEFAULTS as PANEL
    for key in ("KIOSK_TOKEN", "KIOSK_IDLE_SECONDS", "DIGITAL_ID_URL", "DIGITAL_ID_KEY",
                "SERIAL_SCANNER_PORT", "KIOSK_CAMERA", "KIOSK_CAMERA_SIZE", "KIOSK_CAMERA_FPS",
                "KIOSK_CAMERA_EXPOSURE", "KIOSK_CAMERA_FOCUS", "KIOSK_CAMERA_FORMATS", "KIOSK_CAMERA_QR_PATTERN", "SECRET_KEY", "PANEL_IDLE_MINUTES", "PANEL_INSECURE_COOKIES"):
        assert key in KIOSK or key in PANEL
        assert f"ATTESTATION_{key}=" in text
    assert "DATABASE_URL=" in text and "ATTESTATION_ENV=production" in text
