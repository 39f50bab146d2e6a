"""The camera scanner: generated phone screens and ID cards read, nothing else taken, one
scan per code held up, a missing camera reported, a person checked in from a QR shown to
the replay camera in Chromium at 800x480.

The frames come from :mod:`fake_services.phone_screen` (seeded: the same set everywhere);
``kioskctl bench camera --save DIR`` writes them out to look at.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import time

import pytest

from fake_services import phone_screen
from fake_services.digital_id import FakeDigitalDocuments
from kiosk import camera, create_app
from kiosk.scan_queue import ScanQueue

from browser import kiosk_rig, shot
from kiosk_site import build_site
from test_kiosk_browser import TIMEOUT, entry_of, screen
from waiting import wait_until

SHOWN = phone_screen.Scene("phone", "", module_px=3.0, rotation=12, tilt=0.04, dark=True,
                           glare=0.4, moire=0.3, blur=0.4, noise=12.0, jpeg=75)


def test_generated_frames_are_read_and_nothing_else_is():
    scenes = phone_screen.scene_set(phones=200, cards=40, others=40)
    decoder = camera.Decoder()
    read = {"phone": 0, "card": 0}
    total = {"phone": 0, "card": 0}
    wrong = []
    for scene, seed in scenes:
        got = decoder.credentials(phone_screen.render(scene, seed))
        if scene.kind == "other":
            wrong += got
            continue
        total[scene.kind] += 1
        read[scene.kind] += got == [scene.text]
        wrong += [g for g in got if g != scene.text]
    assert wrong == []                               # no false read, ever
    assert read["phone"] / total["phone"] >= 0.97    # the bar, on 200 phone screens
    assert read["card"] / total["card"] >= 0.7       # 80 % here: the 1.5 px bars are the misses


def test_only_credentials_count():
    iin = phone_screen.invented_iin(3)
    bad_check = iin[:11] + str((int(iin[11]) + 1) % 10)
    assert camera.is_credential(camera.Read(iin, "Code128"))
    assert not camera.is_credential(camera.Read(bad_check, "Code128"))
    assert not camera.is_credential(camera.Read("4870001234567", "EAN13"))  # not a card format...
    assert not camera.is_credential(camera.Read("4870001234567", "Code128"))  # ...nor an IIN
    assert camera.is_credential(camera.Read("https://digital-documents.demo/d/abcdefgh12", "QRCode"))
    for other in ("Hello", "WIFI:S:venue;T:WPA;P:secret123;;", "BEGIN:VCARD VERSION:3.0 N:X",
                  "mailto:someone@example.kz?subject=x", "Сәлем әлем, бұл құжат емес"):
        assert not camera.is_credential(camera.Read(other, "QRCode")), other
    pattern = re.compile(r"https://digital-documents\.demo/d/\S+")
    assert not camera.is_credential(camera.Read("https://example.kz/menu/today", "QRCode"), pattern)
    assert camera.is_credential(camera.Read("https://digital-documents.demo/d/abcdefgh12", "QRCode"),
                                pattern)
    with pytest.raises(ValueError, match="unknown barcode formats"):
        camera.DecoderSettings.parse_formats("QRCode,Barcode9000")


def show(folder: pathlib.Path, text: str, name: str = "phone") -> pathlib.Path:
    """Hold a phone showing ``text`` in front of the replay camera (written whole, then renamed)."""
    image = phone_screen.render(dataclasses.replace(SHOWN, text=text), seed=7)
    tmp = folder / f".{name}.tmp"
    image.save(tmp, "PNG")
    target = folder / f"{name}.png"
    os.replace(tmp, target)
    return target


def test_a_code_held_up_is_one_scan_until_it_leaves_the_view(tmp_path):
    queue = ScanQueue()
    text = "https://digital-documents.demo/d/held-up-token-0001"
    scanner = camera.CameraScanner(queue, camera.frame_source(f"replay:{tmp_path}"), fps=20,
                                   repeat_after=2.0)
    try:
        assert scanner.ready.wait(3) and scanner.error is None
        shown = show(tmp_path, text)
        assert wait_until(lambda: queue.last == 1)
        held = scanner.stats.frames
        assert wait_until(lambda: scanner.stats.frames >= held + 20)  # held there
        assert queue.since(0) == [(1, text)]
        shown.unlink()                        # taken away for longer than repeat_after...
        time.sleep(2.3)                       # (the scanner's own clock decides: no race)
        show(tmp_path, text)                  # ...and shown again: a new scan
        assert wait_until(lambda: queue.last == 2)
    finally:
        scanner.stop()


def test_video_file_replay(tmp_path):
    cv2 = pytest.importorskip("cv2", reason="OpenCV (the [camera] extra) reads video files")
    import numpy as np
    text = "https://digital-documents.demo/d/video-token-0002"
    frame = phone_screen.render(dataclasses.replace(SHOWN, text=text), seed=9)
    path = tmp_path / "held-up.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, frame.size)
    blank = np.full((frame.height, frame.width, 3), 128, np.uint8)
    code = cv2.cvtColor(np.asarray(frame.convert("L")), cv2.COLOR_GRAY2BGR)
    for image in [blank] * 5 + [code] * 10 + [blank] * 5:
        writer.write(image)
    writer.release()
    queue = ScanQueue()
    scanner = camera.CameraScanner(queue, camera.frame_source(f"replay:{path}"), fps=40,
                                   repeat_after=5)
    try:
        assert wait_until(lambda: queue.last >= 1)
        looped = scanner.stats.frames
        # the video loops (20 frames): still one scan while it keeps coming back quickly
        assert wait_until(lambda: scanner.stats.frames >= looped + 40)
        assert queue.since(0) == [(1, text)]
    finally:
        scanner.stop()


def test_a_missing_camera_puts_the_kiosk_out_of_order(db_url, db, tmp_path):
    site = build_site(db, "loop://", kiosks=1)
    for spec in ("v4l2:/dev/video-none", f"replay:{tmp_path / 'none'}"):
        app = create_app({"DATABASE_URL": db_url, "KIOSK_TOKEN": site.tokens[0], "KIOSK_CAMERA": spec})
        try:
            assert wait_until(lambda: app.extensions["camera"].error)
            health = app.test_client().get(
                "/api/v1/kiosk/health", headers={"Authorization": f"Bearer {site.tokens[0]}"}).get_json()
            assert health["ok"] is False and health["code"] == "E-CAM"
        finally:
            app.extensions["camera"].stop()
            app.extensions["attestation_db"].dispose()
    with pytest.raises(ValueError, match="unknown camera"):
        create_app({"DATABASE_URL": db_url, "KIOSK_CAMERA": "webcam9"})


@pytest.fixture
def camera_kiosk(playwright, sqlite_url, tmp_path):
    fake = FakeDigitalDocuments(key="k")
    view = tmp_path / "camera"
    view.mkdir()
    config = {"DIGITAL_ID_URL": fake.url, "DIGITAL_ID_KEY": "k", "KIOSK_CAMERA": f"replay:{view}",
              "KIOSK_CAMERA_FPS": 10}
    try:
        with kiosk_rig(playwright, sqlite_url, cells=3, candidates=4, config=lambda site: config) as rig:
            assert rig["app"].extensions["camera"].ready.wait(3)
            yield dict(rig, fake=fake, view=view)
    finally:
        fake.stop()


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_check_in_with_a_qr_shown_to_the_camera(camera_kiosk, lang):
    k = camera_kiosk
    person = k["site"].people[0 if lang == "kk" else 1]
    link = f"https://digital-documents.demo/d/camera-{lang}-7f3a9c2e"
    k["fake"].add(link, iin=person["iin"], last_name=person["last_name"],
                  first_name=person["first_name"])
    page = k["browser"].new_page(viewport={"width": 800, "height": 480})
    page.set_default_timeout(TIMEOUT)
    page.goto(k["url"])
    screen(page, "welcome")
    page.click(f"#lang-{lang}")
    screen(page, "identify")
    hint = page.locator("#camera-hint")
    assert hint.is_visible()
    box = hint.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 480  # the pictogram is in view
    assert "камер" in hint.inner_text().lower()
    shot(page, "camera", lang, "identify-camera")
    shown = show(k["view"], link)
    screen(page, "person")
    shown.unlink()
    assert person["last_name"] in page.inner_text("#person-name")
    page.click("#person-yes")
    page.click("#stages-ack")
    page.click("#rules-ack")
    screen(page, "cell")
    shot(page, "camera", lang, "cell")
    entry = entry_of(k["db"], person["iin"])
    assert entry.identified_by == "digital_id" and entry.language == lang
    assert entry.state == "checked_in"


def test_a_camera_that_fails_is_reported_and_reopened():
    """A driver fault (not just a missing device) shows as E-CAM and the thread goes on."""
    class Flaky(camera.FrameSource):
        opened = 0

        def open(self):
            Flaky.opened += 1

        def read(self):
            if Flaky.opened == 1:
                raise RuntimeError("VIDIOC_DQBUF: No such device")
            return None

    scanner = camera.CameraScanner(ScanQueue(), Flaky("x"), fps=50, retry=0.2)
    try:
        assert wait_until(lambda: scanner.error and "No such device" in scanner.error)
        assert wait_until(lambda: Flaky.opened >= 2 and scanner.error is None)  # reopened, working
    finally:
        scanner.stop()
