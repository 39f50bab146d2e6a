"""A serial (non-keyboard) scanner on a pseudo-terminal, through the kiosk API."""

import os
import tty

from kiosk.scanner import SerialScanner


def test_scans_arrive_whole_including_three_line_mrz():
    master, slave = os.openpty()
    tty.setraw(slave)
    scanner = SerialScanner(os.ttyname(slave), gap=0.1)
    try:
        assert scanner.ready.wait(3)
        os.write(master, b"880412450773\r\n")
        first = scanner.since(0, wait=3)
        assert first == [(1, "880412450773")]
        os.write(master, b"IDKAZ0451234566<<<880412450773\rLINE2\rLINE3\r")
        second = scanner.since(1, wait=3)
        assert second == [(2, "IDKAZ0451234566<<<880412450773\nLINE2\nLINE3")]
        assert scanner.since(2, wait=0.2) == []
    finally:
        scanner.stop()
        os.close(master)
        os.close(slave)


def test_kiosk_api_hands_scans_to_the_page(db_url, db):
    from kiosk import create_app
    from kiosk_site import build_site

    master, slave = os.openpty()
    tty.setraw(slave)
    site = build_site(db, "loop://", kiosks=1)
    app = create_app({"DATABASE_URL": db_url, "KIOSK_TOKEN": site.tokens[0],
                      "SERIAL_SCANNER_PORT": os.ttyname(slave)})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {site.tokens[0]}"}
    try:
        assert app.extensions["serial_scanner"].ready.wait(3)
        os.write(master, site.people[0]["iin"].encode() + b"\r")
        data = client.get("/api/v1/kiosk/scans?after=0&wait=3", headers=auth).get_json()
        assert data["enabled"] and data["scans"] == [{"seq": 1, "credential": site.people[0]["iin"]}]
        assert client.get("/api/v1/kiosk/scans?after=x", headers=auth).status_code == 400
    finally:
        app.extensions["serial_scanner"].stop()
        app.extensions["attestation_db"].dispose()
        os.close(master)
        os.close(slave)
