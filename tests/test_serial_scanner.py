"""A serial (non-keyboard) scanner on a pseudo-terminal, through the kiosk API."""

import os
import time

from kiosk.scan_queue import ScanQueue
from kiosk.scanner import SerialScanner
from locker_driver.pty_device import PtyDevice


def test_scans_arrive_whole_including_three_line_mrz():
    device = PtyDevice()
    master = device.master
    scanner = SerialScanner(ScanQueue(), device.path, gap=0.1)
    queue = scanner.queue
    try:
        assert scanner.ready.wait(3)
        os.write(master, b"880412450773\r\n")
        first = queue.since(0, wait=3)
        assert first == [(1, "880412450773")]
        os.write(master, b"IDKAZ0451234566<<<880412450773\rLINE2\rLINE3\r")
        second = queue.since(1, wait=3)
        assert second == [(2, "IDKAZ0451234566<<<880412450773\nLINE2\nLINE3")]
        assert queue.since(2, wait=0.2) == []
    finally:
        scanner.stop()
        device.close()


def test_kiosk_api_hands_scans_to_the_page(db_url, db):
    from kiosk import create_app
    from kiosk_site import build_site

    device = PtyDevice()
    master = device.master
    site = build_site(db, "loop://", kiosks=1)
    app = create_app({"DATABASE_URL": db_url, "KIOSK_TOKEN": site.tokens[0],
                      "SERIAL_SCANNER_PORT": device.path})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {site.tokens[0]}"}
    try:
        assert app.extensions["serial_scanner"].ready.wait(3)
        # A page that loads starts from "now": it is told where to ask from, and nothing more.
        start = client.get("/api/v1/kiosk/scans", headers=auth).get_json()
        assert start == {"status": "ok", "enabled": True, "scans": [], "last": 0,
                         "advice": {"seq": 0, "hint": None}}  # the camera's advice: none
        os.write(master, site.people[0]["iin"].encode() + b"\r")
        assert app.extensions["scan_queue"].since(0, wait=3)
        data = client.get("/api/v1/kiosk/scans", headers=auth).get_json()
        assert data["scans"] == [] and data["last"] == 1  # a page loaded now never gets it
        data = client.get(f"/api/v1/kiosk/scans?after={start['last']}&wait=3", headers=auth).get_json()
        assert data["enabled"] and data["scans"] == [{"seq": 1, "credential": site.people[0]["iin"]}]
        assert client.get("/api/v1/kiosk/scans?after=x", headers=auth).status_code == 400
    finally:
        app.extensions["serial_scanner"].stop()
        app.extensions["attestation_db"].dispose()
        device.close()


def _scanner_app(db_url, db, **config):
    from kiosk import create_app
    from kiosk_site import build_site

    device = PtyDevice()
    site = build_site(db, "loop://", kiosks=1)
    app = create_app({"DATABASE_URL": db_url, "KIOSK_TOKEN": site.tokens[0],
                      "SERIAL_SCANNER_PORT": device.path, **config})
    assert app.extensions["serial_scanner"].ready.wait(3)
    return app, site, device


def test_a_reset_drops_queued_scans_and_old_scans_expire(db_url, db):
    app, site, device = _scanner_app(db_url, db, KIOSK_SCAN_HOLD_SECONDS=1)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {site.tokens[0]}"}
    scanner, queue = app.extensions["serial_scanner"], app.extensions["scan_queue"]
    try:
        os.write(device.master, site.people[0]["iin"].encode() + b"\r")
        assert queue.since(0, wait=3)  # read and queued, not yet fetched by the page
        assert client.post("/api/v1/kiosk/reset", json={}, headers=auth).get_json()["status"] == "ok"
        # the page that was waiting from 0 gets nothing: the queue went with the session
        assert client.get("/api/v1/kiosk/scans?after=0&wait=0", headers=auth).get_json()["scans"] == []
        os.write(device.master, site.people[1]["iin"].encode() + b"\r")
        assert queue.since(1, wait=3)
        time.sleep(1.2)  # older than KIOSK_SCAN_HOLD_SECONDS: nobody gets it any more
        assert client.get("/api/v1/kiosk/scans?after=1&wait=0", headers=auth).get_json()["scans"] == []
    finally:
        scanner.stop()
        app.extensions["attestation_db"].dispose()
        device.close()
