"""What the kiosk asks of a camera's exposure and focus, and what the camera accepted.

A phone's screen is a light source.  At a hall's auto exposure (1/30 s and longer) a lit
screen saturates, and a hand moving 100-250 px/s blurs the code over 3-8 px: more than a
module, which no decoder pass undoes (``kioskctl bench camera``, the harder set's "moving
hand, auto exposure").  The kiosk therefore asks for a short exposure, 8 ms (1/125 s: the
blur a quarter), and for focus at a hand's distance, 30 cm, fixed where the lens can be set.

===========================  ================================================================
``KIOSK_CAMERA_EXPOSURE``    ``auto``, or milliseconds (``8``: 1/125 s; 0.1 to 100)
``KIOSK_CAMERA_FOCUS``       ``auto`` (continuous autofocus), or metres (``0.3``; 0.1 to 2)
===========================  ================================================================

How each kind of camera takes them:

- **picamera2** (Camera Module 3 and others with libcamera): ``ExposureTime`` in
  microseconds with the automatic gain left on (the Pi's AGC then varies only the gain, so
  a card in a dim hall is still exposed); ``AfMode`` manual with ``LensPosition`` in
  dioptres (1 / metres), or continuous.  A camera without a control (Camera Module 2 has a
  fixed-focus lens: no ``AfMode``) is reported, not failed.
- **V4L2** (UVC webcams, through OpenCV): manual exposure (``CAP_PROP_AUTO_EXPOSURE`` 1)
  and ``CAP_PROP_EXPOSURE`` in the driver's 100 µs units; focus: continuous autofocus
  (``CAP_PROP_AUTOFOCUS``), whatever distance was asked, because a webcam's absolute focus
  is counted in its maker's steps, not in metres.  A webcam in manual exposure keeps its
  gain where it was: check the frames' grey level in ``kioskctl camera test``.

Each source's ``open`` applies :class:`Controls` and keeps the :class:`Outcome` of each
control; ``kioskctl camera test`` prints them.  A control the camera refuses leaves the
camera as it was and the kiosk goes on: a camera that reads codes at its own exposure is
still a camera.
"""

from __future__ import annotations

import dataclasses

AUTO = "auto"
EXPOSURE, FOCUS = "exposure", "focus"


@dataclasses.dataclass(frozen=True)
class Controls:
    """``exposure_ms``/``focus_m``: None means the camera's own automatic control."""

    exposure_ms: float | None = 8.0
    focus_m: float | None = 0.3

    @classmethod
    def parse(cls, exposure: str, focus: str) -> Controls:
        """From the settings' text; ValueError names the setting and what it takes."""
        return cls(_number("KIOSK_CAMERA_EXPOSURE", exposure, "milliseconds", 0.1, 100),
                   _number("KIOSK_CAMERA_FOCUS", focus, "metres", 0.1, 2))

    def asked(self, control: str) -> str:
        value = self.exposure_ms if control == EXPOSURE else self.focus_m
        unit = "ms" if control == EXPOSURE else "m"
        return AUTO if value is None else f"{value:g} {unit}"


def _number(name: str, text, unit: str, low: float, high: float) -> float | None:
    text = str(text).strip().lower()
    if text == AUTO:
        return None
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ValueError(f"{name}={text!r}: use {AUTO!r} or {unit} from {low:g} to {high:g}")
    return value


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One control: what was asked, what the camera reports now, whether it took it."""

    control: str
    asked: str
    got: str
    accepted: bool

    def __str__(self) -> str:
        mark = "set" if self.accepted else "NOT SET"
        return f"{self.control:9s} asked {self.asked:8s} -> {mark}: {self.got}"


# -- V4L2 through OpenCV -----------------------------------------------------------------

#: V4L2's exposure_auto menu (``V4L2_EXPOSURE_MANUAL``, ``V4L2_EXPOSURE_APERTURE_PRIORITY``):
#: OpenCV's V4L2 backend hands the value to the driver as it is.
V4L2_MANUAL_EXPOSURE, V4L2_AUTO_EXPOSURE = 1, 3
#: ``CAP_PROP_EXPOSURE`` on V4L2 is ``exposure_time_absolute``: units of 100 µs.
V4L2_EXPOSURE_UNITS_PER_MS = 10


def apply_v4l2(cap, controls: Controls, cv2) -> list[Outcome]:
    """Set ``controls`` on an open ``cv2.VideoCapture`` and read back what it holds."""
    if controls.exposure_ms is None:
        ok = cap.set(cv2.CAP_PROP_AUTO_EXPOSURE, V4L2_AUTO_EXPOSURE)
        exposure = Outcome(EXPOSURE, AUTO, "auto exposure" if ok else "the camera refused auto exposure", ok)
    else:
        units = round(controls.exposure_ms * V4L2_EXPOSURE_UNITS_PER_MS)
        ok = cap.set(cv2.CAP_PROP_AUTO_EXPOSURE, V4L2_MANUAL_EXPOSURE) and cap.set(cv2.CAP_PROP_EXPOSURE, units)
        held = cap.get(cv2.CAP_PROP_EXPOSURE)
        if ok and held > 0:
            exposure = Outcome(EXPOSURE, controls.asked(EXPOSURE),
                               f"{held / V4L2_EXPOSURE_UNITS_PER_MS:g} ms", True)
        else:
            exposure = Outcome(EXPOSURE, controls.asked(EXPOSURE),
                               "the camera has no manual exposure: it keeps its own", False)
    ok = cap.set(cv2.CAP_PROP_AUTOFOCUS, 1)
    focus = Outcome(FOCUS, controls.asked(FOCUS),
                    "continuous autofocus (a webcam's focus steps are not metres)" if ok
                    else "no autofocus: the lens is fixed", ok)
    return [exposure, focus]


# -- picamera2 (libcamera) ---------------------------------------------------------------

def picamera2_request(controls: Controls, available: dict) -> tuple[dict, list[Outcome]]:
    """The controls to give ``Picamera2.set_controls`` for ``controls``, from the camera's
    ``camera_controls`` (name: (min, max, default)); and the outcomes already known: the
    controls this camera does not have."""
    request, refused = {}, []
    if controls.exposure_ms is None:
        request["AeEnable"] = True
        request["ExposureTime"] = 0  # 0: the AGC chooses the exposure again
    elif "ExposureTime" in available:
        low, high, _ = available["ExposureTime"]
        request["ExposureTime"] = int(min(max(controls.exposure_ms * 1000, low), high))
    else:
        refused.append(Outcome(EXPOSURE, controls.asked(EXPOSURE), "the camera has no exposure control", False))
    if "AfMode" not in available:
        refused.append(Outcome(FOCUS, controls.asked(FOCUS), "fixed-focus lens (no AfMode)", False))
    elif controls.focus_m is None:
        request["AfMode"] = AF_CONTINUOUS
    else:
        low, high, _ = available.get("LensPosition", (0.0, 15.0, 1.0))
        request["AfMode"] = AF_MANUAL
        request["LensPosition"] = float(min(max(1 / controls.focus_m, low), high))
    return request, refused


#: libcamera's ``AfModeEnum`` values (Manual, Auto, Continuous).
AF_MANUAL, AF_CONTINUOUS = 0, 2


def picamera2_outcomes(controls: Controls, request: dict, refused: list[Outcome],
                       metadata: dict) -> list[Outcome]:
    """What the camera reports in a frame's ``metadata`` after ``request``."""
    done = {o.control for o in refused}
    out = list(refused)
    if EXPOSURE not in done:
        took = metadata.get("ExposureTime")
        gain = metadata.get("AnalogueGain")
        got = (f"{took / 1000:g} ms" + (f", gain {gain:.1f}" if gain is not None else "")) if took else "not reported"
        wanted = request.get("ExposureTime") or 0
        # the sensor sets whole lines: within 5 % of the request is the request
        accepted = took is not None and (not wanted or abs(took - wanted) <= 0.05 * wanted)
        out.append(Outcome(EXPOSURE, controls.asked(EXPOSURE), got, accepted))
    if FOCUS not in done:
        lens = metadata.get("LensPosition")
        if controls.focus_m is None:
            out.append(Outcome(FOCUS, AUTO, "continuous autofocus", metadata.get("AfState") is not None))
        else:
            wanted = request["LensPosition"]
            got = ("lens position not reported" if lens is None else
                   f"lens at {lens:.2f} dioptres ({f'{1 / lens:.2f} m' if lens else 'infinity'})")
            out.append(Outcome(FOCUS, controls.asked(FOCUS), got, lens is not None and abs(lens - wanted) <= 0.1))
    return out
