"""The camera as a scanner: the digital ID's QR on a phone and the ID card's IIN barcode.

Frames come from a *source* chosen by name (``KIOSK_CAMERA``), as gpiozero chooses a pin
factory:

=================  ===========================================================================
``v4l2:/dev/videoN``  a USB webcam through V4L2 (OpenCV: ``pip install '.[camera]'``)
``picamera2[:N]``     a Raspberry Pi camera module (``apt install python3-picamera2``)
``replay:PATH``       a video file, or a folder whose newest image is "in front of the
                      camera" (tests, the demo: an empty folder is an empty view)
=================  ===========================================================================

A thread grabs at most ``fps`` frames a second, decodes each with zxing-cpp and pushes
every *credential* it reads into the kiosk's scan queue, where serial scans go too.  A
credential is a QR that looks like a digital document's (the shape the kiosk accepts,
:func:`attestation.identification.looks_like_digital_id`) or a linear barcode holding a
valid 12-digit IIN; anything else in view (a product's EAN, a Wi-Fi QR, a misread) is
ignored.  A code held in front of the camera is one scan: the same text is pushed again
only after it has been out of view for ``repeat_after`` seconds.

Timing: at 640x480 one frame decodes in a few milliseconds (figures: ``kioskctl bench
camera``); with ``fps`` 10 a code is read at most 100 ms plus one decode after it enters
the frame, and the page's long poll hands it on at once.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import pathlib
import re
import threading
import time
from collections.abc import Callable

from typing import TYPE_CHECKING

from attestation import iin as iin_mod
from attestation.identification import looks_like_digital_id

from . import camera_control
from .camera_control import Controls, Outcome
from .scan_queue import ScanQueue

if TYPE_CHECKING:
    from PIL import Image


def _zxing():
    """zxing-cpp, imported when a camera is configured: a kiosk without one does not load it."""
    import zxingcpp
    return zxingcpp


def _pil():
    from PIL import Image, ImageOps
    return Image, ImageOps


#: What a Kazakh ID card's reverse carries as "the IIN encoded as a barcode" (the design
#: rules of the card name no symbology): the linear formats able to hold 12 digits.  The
#: MRZ beside it is printed text, not a barcode; the camera does not read it.
ID_CARD_FORMATS = ("Code128", "Code39", "ITF", "Code93", "Codabar")
#: The digital ID's code (and PDF417, which some documents carry).
DIGITAL_ID_FORMATS = ("QRCode", "PDF417")
DEFAULT_FORMATS = DIGITAL_ID_FORMATS + ID_CARD_FORMATS
#: What zxing-cpp reports a QR-like symbol found (whole or in part) as.
QR_FAMILY = ("QRCode", "MicroQRCode", "RMQRCode", "PDF417")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
log = logging.getLogger(__name__)


class CameraMissing(RuntimeError):
    """The configured camera is not there (unplugged, wrong device, library missing)."""


@dataclasses.dataclass(frozen=True)
class DecoderSettings:
    """How zxing-cpp looks at a frame; defaults chosen by ``kioskctl bench camera``.

    ``zoom``: when a frame gives nothing, its middle (where the kiosk's pictogram asks to
    hold the code: half the width and height) is enlarged this many times and decoded again:
    a small or slightly blurred code then has enough pixels a module (0: off).

    ``rescue``: when the whole frame shows a code zxing-cpp found but could not decode (its
    finder patterns seen, the modules' values wrong: a camera out of focus, a dim and noisy
    screen), these passes of :data:`RESCUES` are tried in turn until one reads, before the
    zoom pass.  A frame with no code in it never pays them; figures in the README
    (``kioskctl bench camera``, its harder set).

    ``deblur``: when nothing else read, the middle of the frame is deconvolved for a lens
    out of focus by this many pixels (a Gaussian's sigma; 0: off) and decoded once more: a
    code blurred that much is often not even found, so this pass cannot wait for a find.
    It costs about 2 ms a frame here (:func:`_deblurred`).
    """

    formats: tuple[str, ...] = DEFAULT_FORMATS
    try_rotate: bool = False     # a card is held about level; QR codes read at any angle anyway
    try_invert: bool = True      # dark-mode phone screens show light modules on dark
    try_downscale: bool = False  # measured: reads nothing more on the set, costs a third more
    binarizer: str = "LocalAverage"
    zoom: float = 2.0
    rescue: tuple[str, ...] = ("sharpen", "denoise", "sharpen middle")
    deblur: float = 1.6

    @classmethod
    def parse_formats(cls, text: str) -> tuple[str, ...]:
        names = tuple(n.strip() for n in (text or "").split(",") if n.strip())
        kinds = _zxing().BarcodeFormat
        unknown = [n for n in names if not isinstance(getattr(kinds, n, None), kinds)]
        if unknown or not names:
            raise ValueError(f"unknown barcode formats {unknown or text!r}: use names such as "
                             f"{', '.join(DEFAULT_FORMATS)}")
        return names


@dataclasses.dataclass(frozen=True)
class Read:
    text: str
    format: str


@dataclasses.dataclass(frozen=True)
class Unread:
    """A code found in a frame that did not decode: its format and its outline's corners
    (pixels, clockwise from the top left)."""

    format: str
    corners: tuple[tuple[int, int], ...]

    @property
    def side(self) -> float:
        """The outline's longest edge, pixels."""
        c = self.corners
        return max(math.dist(a, b) for a, b in zip(c, c[1:] + c[:1]))


@dataclasses.dataclass(frozen=True)
class Look:
    reads: list[Read]
    unread: list[Unread]


def _corners(position) -> tuple[tuple[int, int], ...]:
    return tuple((p.x, p.y) for p in (position.top_left, position.top_right,
                                      position.bottom_right, position.bottom_left))


#: QR payloads of other kinds (Wi-Fi, contacts, mail, phone, place) never identify anyone.
NOT_DOCUMENTS = ("WIFI:", "MECARD:", "BEGIN:", "BIZCARD:", "MATMSG:", "SMSTO:", "MAILTO:", "TEL:", "GEO:")


def is_credential(read: Read, qr_pattern: re.Pattern | None = None) -> bool:
    """A code the kiosk can identify someone with; see the module's docstring.

    ``qr_pattern``: what the digital documents service's QR matches (KIOSK_CAMERA_QR_PATTERN);
    with it, a poster's QR in view is ignored too."""
    if read.format in ID_CARD_FORMATS:
        return len(read.text) == 12 and read.text.isdigit() and iin_mod.is_valid(read.text)
    if read.text.upper().startswith(NOT_DOCUMENTS) or not looks_like_digital_id(read.text):
        return False
    return qr_pattern is None or bool(qr_pattern.fullmatch(read.text))


class Decoder:
    def __init__(self, settings: DecoderSettings = DecoderSettings(), qr_pattern: str = ""):
        self.settings = settings
        self.qr_pattern = re.compile(qr_pattern) if qr_pattern else None
        # zxing-cpp's values are made per call: held in a long-lived object they outlive
        # the extension at interpreter exit (nanobind then reports them as leaked).
        self._formats = [getattr(_zxing().BarcodeFormat, name) for name in settings.formats]
        self._skip_deblur = True  # flips on each frame where nothing was found

    def read(self, frame) -> list[Read]:
        """Every code in ``frame`` (a PIL image, or a grayscale/BGR numpy array)."""
        return self.look(frame).reads

    def look(self, frame) -> Look:
        """What ``frame`` shows: the codes read, and the codes found that did not decode.

        The deblur pass runs on every frame where a code was found and not read, and on
        every second frame where nothing was found: an idle kiosk pays half of it, and a
        person holding a phone up for half a second (four frames) gets it at least twice."""
        reads, unread = self._decode(frame, errors=bool(self.settings.rescue))
        if reads:
            return Look(reads, [])
        for name in self.settings.rescue if unread else ():
            reads, _ = self._decode(RESCUES[name](frame))
            if reads:
                break
        if not reads and self.settings.zoom:
            reads, small = self._decode(_middle(frame, self.settings.zoom), errors=True)
            unread += self._in_frame(small, frame)
        self._skip_deblur = not self._skip_deblur and not unread
        if not reads and self.settings.deblur and not self._skip_deblur:
            reads, _ = self._decode(_deblurred(frame, self.settings.deblur))
        return Look(reads, [] if reads else unread)

    def _in_frame(self, found: list[Unread], frame) -> list[Unread]:
        """Codes found in the zoomed middle, in the frame's pixels."""
        zoom = self.settings.zoom
        w, h = _gray(frame).size if found else (0, 0)
        return [Unread(u.format, tuple((w // 4 + x / zoom, h // 4 + y / zoom) for x, y in u.corners))
                for u in found]

    def _decode(self, image, errors: bool = False) -> tuple[list[Read], list[Unread]]:
        zx = _zxing()
        found = zx.read_barcodes(
            image, formats=zx.BarcodeFormats(self._formats),
            try_rotate=self.settings.try_rotate, try_invert=self.settings.try_invert,
            try_downscale=self.settings.try_downscale,
            binarizer=getattr(zx.Binarizer, self.settings.binarizer), return_errors=errors)
        reads = [Read(b.text, b.format.name) for b in found if b.valid]
        unread = [Unread(b.format.name, _corners(b.position)) for b in found if not b.valid]
        return reads, unread

    def credentials(self, frame) -> list[str]:
        return [r.text for r in self.read(frame) if is_credential(r, self.qr_pattern)]


def _gray(frame) -> Image.Image:
    Image, ImageOps = _pil()
    image = frame if isinstance(frame, Image.Image) else Image.fromarray(frame)
    return ImageOps.grayscale(image) if image.mode != "L" else image


def _sharpened(frame, radius: float = 1.5, percent: int = 300) -> Image.Image:
    """The frame through an unsharp mask: what defocus took from the modules' edges (measured:
    1.5 px at 300 % read the most; a larger radius rings around the modules, a smaller one
    lifts the noise)."""
    from PIL import ImageFilter
    return _gray(frame).filter(ImageFilter.UnsharpMask(radius, percent, 0))


def _denoised(frame) -> Image.Image:
    """A 3x3 median: a dim screen's modules are a few grey levels apart, under the noise."""
    from PIL import ImageFilter
    return _gray(frame).filter(ImageFilter.MedianFilter(3))


#: The passes :attr:`DecoderSettings.rescue` names (each measured on the harder set: the
#: defocused codes the sharpened frame misses read once the middle is enlarged first).
RESCUES: dict[str, Callable] = {
    "sharpen": _sharpened,
    "denoise": _denoised,
    "sharpen middle": lambda frame: _sharpened(_middle(frame, 2.0), 3.0, 250),
}


#: Noise-to-signal power the deblur pass assumes (measured on the harder set, out of focus:
#: 0.01 to 0.03 read alike, 97 % per hold, the larger lifting less noise; 0.05 leaves too
#: much of the blur, 93 %).
WIENER_NOISE = 0.03


def _deblurred(frame, sigma: float) -> Image.Image:
    """The middle half of ``frame`` through a Wiener filter undoing a Gaussian blur of
    ``sigma`` px (a lens focused farther than the phone).  Written here, not taken from
    scikit-image (its ``restoration.wiener`` would bring SciPy, 100 MB, onto the Pi for ten
    lines of numpy); the frame is mirrored at its edges to a size the FFT is fast at."""
    import numpy as np
    Image, _ = _pil()
    middle = np.asarray(_middle_half(_gray(frame)), dtype=np.float32)
    rows, cols = middle.shape
    margin = int(3 * sigma) + 1
    pad_rows, pad_cols = _fast_len(rows + 2 * margin) - rows, _fast_len(cols + 2 * margin) - cols
    padded = np.pad(middle, ((pad_rows // 2, pad_rows - pad_rows // 2), (pad_cols // 2, pad_cols - pad_cols // 2)),
                    mode="reflect")
    restored = np.fft.irfft2(np.fft.rfft2(padded) * _wiener_filter(padded.shape, sigma, WIENER_NOISE),
                             s=padded.shape)
    restored = restored[pad_rows // 2: pad_rows // 2 + rows, pad_cols // 2: pad_cols // 2 + cols]
    return Image.fromarray(np.clip(restored, 0, 255).astype(np.uint8))


@functools.lru_cache(maxsize=8)
def _wiener_filter(shape: tuple[int, int], sigma: float, noise: float):
    """conj(G) / (|G|² + noise) for a Gaussian G of ``sigma`` px (real: G is symmetric)."""
    import numpy as np
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    gain = np.exp(-2 * np.pi ** 2 * sigma ** 2 * (fx ** 2 + fy ** 2))
    return (gain / (gain * gain + noise)).astype(np.float32)


def _fast_len(n: int) -> int:
    """The smallest 2^a 3^b 5^c at least ``n``: the sizes numpy's FFT is quickest at."""
    while True:
        m = n
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def _middle_half(image: Image.Image) -> Image.Image:
    """The middle half of ``image`` each way: where the pictogram asks to hold the code."""
    w, h = image.size
    return image.crop((w // 4, h // 4, w - w // 4, h - h // 4))


def _middle(frame, zoom: float) -> Image.Image:
    """The middle half of ``frame`` (each way), ``zoom`` times larger (bicubic: measured,
    sharpening after it read 1 % more phones at twice the cost of an empty frame)."""
    Image, _ = _pil()
    box = _middle_half(_gray(frame))
    size = (int(box.width * zoom), int(box.height * zoom))
    return box.resize(size, Image.Resampling.BICUBIC)


# -- frame sources ---------------------------------------------------------------------

SOURCES: dict[str, type] = {}


def source(name: str):
    def register(cls):
        SOURCES[name] = cls
        return cls
    return register


class FrameSource:
    """Open, give frames (None: no frame now), close.  ``width``/``height`` in pixels.

    ``controls``: the exposure and focus to ask for at ``open``; ``outcomes`` then holds
    what the camera accepted of them (:mod:`kiosk.camera_control`; empty: a recording)."""

    def __init__(self, target: str, width: int = 640, height: int = 480, fps: float = 10,
                 controls: Controls = Controls()):
        self.target, self.width, self.height, self.fps = target, width, height, fps
        self.controls = controls
        self.outcomes: list[Outcome] = []

    def open(self) -> None:
        pass

    def read(self):
        raise NotImplementedError

    def close(self) -> None:
        pass


def _cv2():
    try:
        import cv2
    except ImportError:
        raise CameraMissing("OpenCV is not installed (pip install '.[camera]' in the venv, "
                            "or apt install python3-opencv)") from None
    return cv2


@source("v4l2")
class V4L2Source(FrameSource):
    """A USB webcam: ``target`` is the device (``/dev/video0``) or its index."""

    def open(self) -> None:
        cv2 = _cv2()
        device = int(self.target) if self.target.isdigit() else (self.target or "/dev/video0")
        if isinstance(device, str) and not pathlib.Path(device).exists():
            raise CameraMissing(f"{device} does not exist: is the webcam plugged in?")
        self._cap = cv2.VideoCapture(device, cv2.CAP_V4L2)
        if not self._cap.isOpened():
            raise CameraMissing(f"{device} cannot be opened as a V4L2 camera")
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        self._cap.set(cv2.CAP_PROP_FPS, self.fps)
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a queue of old ones
        self.outcomes = camera_control.apply_v4l2(self._cap, self.controls, cv2)

    def read(self):
        ok, frame = self._cap.read()
        if not ok:
            raise CameraMissing(f"{self.target}: the camera stopped giving frames")
        return frame

    def close(self) -> None:
        if getattr(self, "_cap", None) is not None:
            self._cap.release()


@source("picamera2")
class PiCameraSource(FrameSource):
    """A Raspberry Pi camera module (libcamera); ``target`` is the camera's number."""

    def open(self) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise CameraMissing("picamera2 is not installed (apt install python3-picamera2; "
                                "the venv needs --system-site-packages)") from None
        try:
            self._cam = Picamera2(int(self.target or 0))
        except (IndexError, RuntimeError) as exc:
            raise CameraMissing(f"no Raspberry Pi camera {self.target or 0}: {exc}") from None
        request, refused = camera_control.picamera2_request(self.controls, self._cam.camera_controls)
        asked = {name: _af_mode(value) if name == "AfMode" else value for name, value in request.items()}
        # YUV420: the first width x height bytes are the luminance, all a decoder needs.
        config = self._cam.create_video_configuration(
            main={"size": (self.width, self.height), "format": "YUV420"},
            controls={"FrameRate": self.fps, **asked})
        self._cam.configure(config)
        self._cam.start()
        for _ in range(3):  # controls take effect a few frames after the start
            metadata = self._cam.capture_metadata()
        self.outcomes = camera_control.picamera2_outcomes(self.controls, request, refused, metadata)

    def read(self):
        return self._cam.capture_array("main")[: self.height, : self.width]

    def close(self) -> None:
        if getattr(self, "_cam", None) is not None:
            self._cam.stop()
            self._cam.close()


def _af_mode(value: int):
    """libcamera's own enum value for :data:`camera_control.AF_MANUAL`/``AF_CONTINUOUS``."""
    from libcamera import controls
    return {camera_control.AF_MANUAL: controls.AfModeEnum.Manual,
            camera_control.AF_CONTINUOUS: controls.AfModeEnum.Continuous}[value]


@source("replay")
class ReplaySource(FrameSource):
    """A video file (looped), or a folder whose newest image is the view (None: empty)."""

    def open(self) -> None:
        self._path = pathlib.Path(self.target)
        if not self._path.exists():
            raise CameraMissing(f"replay source {self._path} does not exist")
        self._video = None
        if self._path.is_file():
            self._video = _cv2().VideoCapture(str(self._path))
            if not self._video.isOpened():
                raise CameraMissing(f"{self._path} is not a video file OpenCV can read")

    def read(self):
        if self._video is not None:
            ok, frame = self._video.read()
            if not ok:  # the end: start again
                self._video.set(_cv2().CAP_PROP_POS_FRAMES, 0)
                ok, frame = self._video.read()
            return frame if ok else None
        images = [p for p in self._path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
        Image, ImageOps = _pil()
        for newest in sorted(images, key=_mtime, reverse=True):
            try:
                with Image.open(newest) as img:
                    return ImageOps.grayscale(img)
            except (OSError, ValueError):  # being written, or gone: the next one
                continue
        return None

    def close(self) -> None:
        if getattr(self, "_video", None) is not None:
            self._video.release()


def _mtime(path: pathlib.Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def frame_source(spec: str, width: int = 640, height: int = 480, fps: float = 10,
                 controls: Controls = Controls()) -> FrameSource:
    """``NAME[:TARGET]`` from :data:`SOURCES`, e.g. ``v4l2:/dev/video0``."""
    name, _, target = spec.partition(":")
    if name not in SOURCES:
        raise ValueError(f"unknown camera {name!r}: use one of {', '.join(sorted(SOURCES))}")
    return SOURCES[name](target, width, height, fps, controls)


# -- advice to the person in front of the camera ----------------------------------------

#: What the kiosk asks of a person whose code it sees but cannot read (the page's texts are
#: ``camera.<hint>`` in :mod:`kiosk.strings`): the code is small in the frame (held too far
#: away), its light and dark modules are a few grey levels apart (a dim screen), or neither
#: (blurred: a moving hand, or a camera that cannot focus so near).
CLOSER, BRIGHTER, STILL = "closer", "brighter", "still"
HINTS = (CLOSER, BRIGHTER, STILL)


class Guide:
    """Turns what the camera sees into advice: a code seen and not read for ``after``
    seconds (frames without it in between, up to ``after``, do not start the count again)
    gets one of :data:`HINTS`; a read, or no code for ``after`` seconds, clears it.

    Thresholds: a code whose side is under ``small`` of the frame's height (96 px at 480:
    modules under 3 px for a digital ID's QR) is too far; one whose middle 90 % of grey
    levels span fewer than ``dim`` levels is too dim to separate from the noise.  A blurred
    code in a moving hand is often not found at all: the middle of the view changing by more
    than ``moving`` grey levels on average from one frame to the next (a 20x15 thumbnail,
    a fraction of a millisecond) counts as "something held up and not read" too.
    """

    def __init__(self, after: float = 1.0, small: float = 0.2, dim: int = 60, moving: float = 9.0):
        self.after, self.small, self.dim, self.moving = after, small, dim, moving
        self.hint: str | None = None
        self._since: float | None = None  # first seen unread or moving (monotonic s)
        self._last: float | None = None   # last seen so
        self._thumb = None
        self.level: float | None = None

    def update(self, look: Look, frame, now: float) -> str | None:
        """The advice after this frame (``look``: what the decoder made of ``frame``)."""
        moved = self._moved(frame)
        # a phone's code (zxing-cpp finds parts of a small QR as Micro QR or rMQR symbols:
        # measured, never in a view without a QR); an ID card's barcode gets no advice
        unread = [u for u in look.unread if u.format in QR_FAMILY]
        if look.reads:
            self._since = self._last = None
            self.hint = None
        elif unread or moved:
            if self._last is None or now - self._last > self.after:
                self._since = now
            self._last = now
            if now - self._since >= self.after:
                self.hint = self._advice(max(unread, key=lambda u: u.side), frame) if unread else STILL
        elif self._last is not None and now - self._last > self.after:
            self._since = self._last = None
            self.hint = None
        return self.hint

    def _moved(self, frame) -> bool:
        from PIL import Image, ImageChops, ImageStat
        thumb = _middle_half(_gray(frame)).resize((20, 15), Image.Resampling.BOX)
        before, self._thumb = self._thumb, thumb
        #: the middle of the view's mean grey level, 0-255 (``kioskctl camera test``: is a
        #: webcam in manual exposure too dark?)
        self.level = ImageStat.Stat(thumb).mean[0]
        return before is not None and ImageStat.Stat(ImageChops.difference(thumb, before)).mean[0] > self.moving

    def _advice(self, code: Unread, frame) -> str:
        image = _gray(frame)
        if code.side < self.small * image.height:
            return CLOSER
        xs, ys = [x for x, _ in code.corners], [y for _, y in code.corners]
        box = (max(0, min(xs)), max(0, min(ys)), min(image.width, max(xs) + 1), min(image.height, max(ys) + 1))
        if box[2] - box[0] > 1 and box[3] - box[1] > 1:
            histogram = image.crop(box).histogram()
            if _spread(histogram, 0.05, 0.95) < self.dim:
                return BRIGHTER
        return STILL


def _spread(histogram: list[int], low: float, high: float) -> int:
    """Grey levels between the ``low`` and ``high`` quantiles of a 256-bin histogram."""
    total, seen, lo = sum(histogram), 0, None
    for level, count in enumerate(histogram):
        seen += count
        if lo is None and seen >= low * total:
            lo = level
        if seen >= high * total:
            return level - lo
    return 255 - (lo or 0)


# -- the scanner -----------------------------------------------------------------------

@dataclasses.dataclass
class CameraStats:
    frames: int = 0
    decode_seconds: float = 0.0
    scans: int = 0
    #: monotonic time the last scan was pushed, and how long its frame took to decode (s).
    last_scan_at: float | None = None
    last_decode: float = 0.0


class CameraScanner:
    """Reads ``source`` at up to ``fps`` frames/s in a thread; credentials go to ``queue``.

    ``error`` holds why the camera is not working (None: it is); the thread retries
    opening it every ``retry`` seconds, so a webcam plugged back in is picked up.
    """

    def __init__(self, queue: ScanQueue, source: FrameSource, decoder: Decoder | None = None,
                 fps: float = 10, repeat_after: float = 2.0, retry: float = 2.0,
                 on_read: Callable[[list[Read]], None] | None = None):
        self.queue, self.source = queue, source
        self.decoder = decoder or Decoder()
        self.interval = 1.0 / max(fps, 0.1)
        self.repeat_after, self.retry = repeat_after, retry
        #: Called with every code read in a frame, credential or not (``kioskctl camera test``).
        self.on_read = on_read
        self.error: str | None = None
        self.guide = Guide()
        self.stats = CameraStats()
        self.ready = threading.Event()
        self._seen: dict[str, float] = {}
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True, name="camera-scanner")
        self._thread.start()

    def _run(self) -> None:
        while self._running:
            try:
                self.source.open()
            except CameraMissing as exc:
                self.error = str(exc)
                time.sleep(self.retry)
                continue
            self.error = None
            self.ready.set()
            try:
                while self._running:
                    started = time.monotonic()
                    self.step(self.source.read(), started)
                    time.sleep(max(0.0, self.interval - (time.monotonic() - started)))
            except CameraMissing as exc:
                self.error = str(exc)
            except Exception as exc:  # a driver or decoder fault must not end the thread unseen
                log.exception("camera failed; reopening it")
                self.error = f"the camera failed: {exc}"
                time.sleep(self.retry)
            finally:
                self.ready.clear()
                self.source.close()

    def step(self, frame, now: float) -> list[str]:
        """Decode one frame and push what is new; returns what was pushed."""
        if frame is None:
            return []
        began = time.perf_counter()
        look = self.decoder.look(frame)
        reads = look.reads
        took = time.perf_counter() - began
        hint = self.guide.update(look, frame, now)
        if hint != self.queue.advice[1]:
            self.queue.advise(hint)
        texts = [r.text for r in reads if is_credential(r, self.decoder.qr_pattern)]
        if reads and self.on_read is not None:
            self.on_read(reads)
        self.stats.frames += 1
        self.stats.decode_seconds += took
        pushed = []
        for text in texts:
            if now - self._seen.get(text, float("-inf")) > self.repeat_after:
                self.queue.push(text)
                pushed.append(text)
                self.stats.scans += 1
                self.stats.last_scan_at, self.stats.last_decode = now, took
            self._seen[text] = now
        for text, seen in list(self._seen.items()):  # forget codes long out of view
            if now - seen > self.repeat_after:
                del self._seen[text]
        return pushed

    def stop(self) -> None:
        self._running = False
        self._thread.join(timeout=3)


def from_config(queue: ScanQueue, config) -> CameraScanner:
    """The scanner the ``KIOSK_CAMERA*`` settings describe (see ``attestation.env.example``)."""
    width, _, height = str(config["KIOSK_CAMERA_SIZE"]).partition("x")
    fps = float(config["KIOSK_CAMERA_FPS"])
    settings = DecoderSettings(formats=DecoderSettings.parse_formats(config["KIOSK_CAMERA_FORMATS"]))
    controls = Controls.parse(config["KIOSK_CAMERA_EXPOSURE"], config["KIOSK_CAMERA_FOCUS"])
    return CameraScanner(queue, frame_source(config["KIOSK_CAMERA"], int(width), int(height), fps, controls),
                         Decoder(settings, config.get("KIOSK_CAMERA_QR_PATTERN") or ""), fps=fps)
