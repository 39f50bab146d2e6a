"""Camera control: the exposure and focus the kiosk asks for, what each kind of camera is
given, and what it reports back (``kioskctl camera test`` prints it).

No camera is attached here: V4L2 is driven through a recording capture with OpenCV's real
property numbers (as gpiozero's mock pins stand for GPIO), picamera2 through the
``camera_controls`` a Camera Module 3 and a Camera Module 2 advertise.  The tests at the
end run on a real webcam or camera module and skip, saying so, where there is none.
"""

from __future__ import annotations

import dataclasses
import pathlib

import cv2
import pytest
from click.testing import CliRunner

from fake_services import phone_screen
from kiosk import DEFAULTS, camera, camera_control
from kiosk.camera_control import Controls
from kiosk.scan_queue import ScanQueue
from kioskctl import main

from test_camera import SHOWN


def test_settings_are_parsed_and_bad_ones_refused_by_name():
    assert Controls.parse(DEFAULTS["KIOSK_CAMERA_EXPOSURE"], DEFAULTS["KIOSK_CAMERA_FOCUS"]) == Controls(8.0, 0.3)
    assert Controls.parse("AUTO", " auto ") == Controls(None, None)
    for exposure, focus, name in (("fast", "0.3", "KIOSK_CAMERA_EXPOSURE"), ("0", "0.3", "KIOSK_CAMERA_EXPOSURE"),
                                  ("8", "30cm", "KIOSK_CAMERA_FOCUS"), ("8", "5", "KIOSK_CAMERA_FOCUS")):
        with pytest.raises(ValueError, match=name):
            Controls.parse(exposure, focus)
    config = {**DEFAULTS, "KIOSK_CAMERA": "replay:/nowhere", "KIOSK_CAMERA_EXPOSURE": "1/125"}
    with pytest.raises(ValueError, match="milliseconds from 0.1 to 100"):
        camera.from_config(ScanQueue(), config)


class RecordingCapture:
    """A ``cv2.VideoCapture`` of a webcam that has the properties in ``supports`` (OpenCV
    property: (low, high) in the driver's units), clamping as a driver does; every ``set``
    is recorded."""

    def __init__(self, supports: dict):
        self.supports, self.values, self.calls = supports, {}, []

    def set(self, prop, value):
        self.calls.append((prop, value))
        if prop not in self.supports:
            return False
        low, high = self.supports[prop]
        self.values[prop] = min(max(value, low), high)
        return True

    def get(self, prop):
        return self.values.get(prop, 0.0)


#: A UVC webcam with manual exposure (3-2047 x 100 µs, as a Logitech C920) and autofocus.
WEBCAM = {cv2.CAP_PROP_AUTO_EXPOSURE: (1, 3), cv2.CAP_PROP_EXPOSURE: (3, 2047), cv2.CAP_PROP_AUTOFOCUS: (0, 1)}


def test_a_webcam_is_set_to_a_short_manual_exposure_and_its_autofocus():
    cap = RecordingCapture(WEBCAM)
    exposure, focus = camera_control.apply_v4l2(cap, Controls(8.0, 0.3), cv2)
    assert (cv2.CAP_PROP_AUTO_EXPOSURE, 1) in cap.calls and (cv2.CAP_PROP_EXPOSURE, 80) in cap.calls
    assert exposure.accepted and exposure.got == "8 ms"
    assert focus.accepted and "continuous autofocus" in focus.got and focus.asked == "0.3 m"
    # the driver's shortest is 0.3 ms: what it holds is reported, not what was asked
    exposure, _ = camera_control.apply_v4l2(cap, Controls(0.1, 0.3), cv2)
    assert exposure.got == "0.3 ms"
    exposure, _ = camera_control.apply_v4l2(cap, Controls(None, None), cv2)
    assert exposure.accepted and cap.calls[-2] == (cv2.CAP_PROP_AUTO_EXPOSURE, 3)


def test_a_webcam_without_the_controls_is_reported_and_left_as_it_was():
    cap = RecordingCapture({})
    exposure, focus = camera_control.apply_v4l2(cap, Controls(8.0, 0.3), cv2)
    assert not exposure.accepted and "keeps its own" in exposure.got
    assert not focus.accepted and "fixed" in focus.got
    assert "NOT SET" in str(exposure) and cap.values == {}


#: ``Picamera2.camera_controls`` of a Camera Module 3 (IMX708) and a Camera Module 2
#: (IMX219, fixed focus), as libcamera lists them: name: (min, max, default).
MODULE_3 = {"ExposureTime": (26, 112015443, None), "AnalogueGain": (1.1, 16.0, None),
            "AfMode": (0, 2, 0), "LensPosition": (0.0, 15.0, 1.0), "AeEnable": (False, True, None)}
MODULE_2 = {"ExposureTime": (75, 11766829, None), "AnalogueGain": (1.0, 10.66, None),
            "AeEnable": (False, True, None)}


def test_a_camera_module_3_gets_a_fixed_shutter_and_a_lens_at_a_hands_distance():
    request, refused = camera_control.picamera2_request(Controls(8.0, 0.3), MODULE_3)
    assert refused == []
    assert request["ExposureTime"] == 8000 and "AeEnable" not in request  # the gain stays automatic
    assert request["AfMode"] == camera_control.AF_MANUAL and request["LensPosition"] == pytest.approx(3.333, abs=0.01)
    outcomes = camera_control.picamera2_outcomes(Controls(8.0, 0.3), request, refused,
                                                 {"ExposureTime": 7998, "AnalogueGain": 5.2, "LensPosition": 3.33})
    assert [o.accepted for o in outcomes] == [True, True]
    assert outcomes[0].got == "7.998 ms, gain 5.2" and "0.30 m" in outcomes[1].got
    # a camera that kept its own exposure says so
    late = camera_control.picamera2_outcomes(Controls(8.0, 0.3), request, refused,
                                             {"ExposureTime": 33000, "LensPosition": 1.0})
    assert [o.accepted for o in late] == [False, False]


def test_continuous_autofocus_and_auto_exposure_on_a_module_3():
    request, _ = camera_control.picamera2_request(Controls(None, None), MODULE_3)
    assert request == {"AeEnable": True, "ExposureTime": 0, "AfMode": camera_control.AF_CONTINUOUS}
    outcomes = camera_control.picamera2_outcomes(Controls(None, None), request, [],
                                                 {"ExposureTime": 30000, "AfState": 2, "LensPosition": 2.0})
    assert all(o.accepted for o in outcomes)


def test_a_fixed_focus_module_2_is_reported_not_failed():
    request, refused = camera_control.picamera2_request(Controls(8.0, 0.3), MODULE_2)
    assert request == {"ExposureTime": 8000}
    assert [(o.control, o.accepted) for o in refused] == [("focus", False)] and "fixed-focus" in refused[0].got
    outcomes = camera_control.picamera2_outcomes(Controls(8.0, 0.3), request, refused, {"ExposureTime": 8010})
    assert [(o.control, o.accepted) for o in outcomes] == [("focus", False), ("exposure", True)]


def test_camera_test_reports_the_controls_and_the_code(tmp_path):
    view = tmp_path / "view"
    view.mkdir()
    text = "https://digital-documents.demo/d/camera-test-0001-token"
    phone_screen.render(dataclasses.replace(SHOWN, text=text), 5).save(view / "held.png")
    result = CliRunner().invoke(main, ["camera", "test", "--camera", f"replay:{view}", "--seconds", "3"])
    assert result.exit_code == 0, result.output
    assert "no exposure or focus to set (a recording)" in result.output
    assert text in result.output and "credential" in result.output
    assert "grey level" in result.output
    bad = CliRunner().invoke(main, ["camera", "test", "--camera", f"replay:{view}", "--exposure", "fast"])
    assert bad.exit_code == 2 and "KIOSK_CAMERA_EXPOSURE='fast'" in bad.output and "Traceback" not in bad.output


def _webcam() -> str | None:
    return next((str(p) for p in sorted(pathlib.Path("/dev").glob("video*"))), None)


@pytest.mark.skipif(_webcam() is None, reason="no webcam attached (/dev/video*): hardware-only test")
def test_a_real_webcam_reports_every_control():
    source = camera.frame_source(f"v4l2:{_webcam()}")
    source.open()
    try:
        assert [o.control for o in source.outcomes] == ["exposure", "focus"]
        assert source.read() is not None
    finally:
        source.close()


def _camera_module() -> bool:
    try:
        from picamera2 import Picamera2
    except ImportError:
        return False
    return bool(Picamera2.global_camera_info())


@pytest.mark.skipif(not _camera_module(), reason="no Raspberry Pi camera module (picamera2): hardware-only test")
def test_a_real_camera_module_reports_every_control():
    source = camera.frame_source("picamera2")
    source.open()
    try:
        assert {o.control for o in source.outcomes} == {"exposure", "focus"}
    finally:
        source.close()
