"""Camera frames of a phone showing a digital-ID QR, or of an ID card's IIN barcode.

For the tests, the camera benchmark and the demo's virtual camera: each frame is what a
640x480 webcam sees when a person holds a phone or a card in front of it, with what makes
a real frame hard: a small code at arm's length, a tilted phone (perspective and
rotation), dark mode (light modules on dark), glare on the glass, the screen's pixel grid
beating with the camera's (moire), defocus blur, a moving hand (motion blur), a dim screen
in a bright hall, sensor noise and JPEG compression.  :data:`HARD_CONDITIONS` are the
cases people bring to an entrance that the ordinary set has few of.

Everything is drawn with Pillow from a seed, so a set is the same on every machine.  QR
codes come from segno; the ID card's barcode from zxing-cpp's writer (Code 128).  The
people are invented (IINs with a valid check digit, belonging to nobody).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import math
import pathlib
import random
import string

import numpy as np
import segno
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from attestation import iin

FRAME = (640, 480)


@dataclasses.dataclass(frozen=True)
class Scene:
    """How one frame was made (kept beside the image so a failure can be looked at)."""

    kind: str            # "phone" (QR on a screen), "card" (IIN barcode), "other" (no credential)
    text: str            # what the code says ("" for an empty view)
    module_px: float     # size of one QR module / narrowest bar in the frame, in pixels
    rotation: float      # degrees
    tilt: float          # perspective: corner displacement as a share of the object's size
    dark: bool           # dark mode: light modules on a dark screen
    glare: float         # 0..1 strength of a reflection
    moire: float         # 0..1 strength of the screen's pixel grid
    blur: float          # Gaussian blur radius, pixels
    noise: float         # sensor noise, grey levels
    jpeg: int            # JPEG quality
    motion: float = 0.0        # motion blur: how far the phone moves while the shutter is open, px
    motion_angle: float = 0.0  # its direction, degrees
    screen_gain: float = 1.0   # the screen's brightness as the camera exposes it (0.3: a dim
    #                            screen in a bright hall, the exposure set by the hall)
    turn: float = 0.0          # the phone turned away from the camera by this many degrees
    #                            (3-D: one side farther, foreshortened), before ``tilt``


def digital_id_text(rng: random.Random) -> str:
    token = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(rng.randint(24, 64)))
    return f"https://digital-documents.demo/d/{token}"


def qr_image(text: str, dark: bool = False) -> Image.Image:
    buf = io.BytesIO()
    segno.make_qr(text, error="m").save(buf, kind="png", scale=1, border=4)
    img = ImageOps.grayscale(Image.open(io.BytesIO(buf.getvalue())))
    return ImageOps.invert(img) if dark else img


def barcode_image(text: str) -> Image.Image:
    bars = zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128))
    width, height = bars.shape[1], bars.shape[0]
    img = Image.frombytes("L", (width, height), bytes(memoryview(bars)))
    return img.resize((width, max(height, width // 5)), Image.Resampling.NEAREST)


def _phone(code: Image.Image, scene: Scene, rng: random.Random) -> Image.Image:
    """The phone's screen (9:19.5) with an app's header, the code and some lines of text."""
    modules = code.width
    per_module = max(2, round(scene.module_px * 3))  # drawn 3x larger, then scaled down
    side = modules * per_module
    width = int(side * 1.25)
    height = int(width * 2.1)
    bg, fg = (18, 230) if scene.dark else (250, 30)
    screen = Image.new("L", (width, height), bg)
    draw = ImageDraw.Draw(screen)
    draw.rectangle((0, 0, width, height // 10), fill=(60 if scene.dark else 200))
    for line in range(4):
        y = height // 10 + 20 + line * (height // 30)
        draw.rectangle((width // 10, y, width // 10 + rng.randint(width // 3, width * 3 // 4),
                        y + height // 60), fill=fg)
    top = (height - side) // 2
    screen.paste(code.resize((side, side), Image.Resampling.NEAREST), ((width - side) // 2, top))
    if scene.moire:
        grid = Image.new("L", screen.size, 0)
        gdraw = ImageDraw.Draw(grid)
        pitch = 3
        for x in range(0, width, pitch):
            gdraw.line((x, 0, x, height), fill=255)
        screen = Image.blend(screen, ImageOps.invert(grid) if scene.dark else grid, scene.moire * 0.35)
    bezel = Image.new("L", (width + 24, height + 24), 10)
    bezel.paste(screen, (12, 12))
    return bezel


def _card(code: Image.Image, scene: Scene, rng: random.Random) -> Image.Image:
    """The reverse of an ID card (85.6 x 54 mm): the barcode at the top, text below."""
    bar_width = max(1, round(scene.module_px * 3))
    bars = code.resize((code.width * bar_width, int(code.height * bar_width * 0.5)),
                       Image.Resampling.NEAREST)
    width = int(bars.width * 1.5)
    height = int(width * 54 / 85.6)
    card = Image.new("L", (width, height), rng.randint(200, 235))
    card.paste(bars, ((width - bars.width) // 2, height // 12))
    draw = ImageDraw.Draw(card)
    for line in range(5):
        y = height // 12 + bars.height + 20 + line * (height // 12)
        draw.rectangle((width // 12, y, width // 12 + rng.randint(width // 4, width * 2 // 3),
                        y + height // 40), fill=60)
    return card


def _perspective(img: Image.Image, scene: Scene, rng: random.Random) -> tuple[Image.Image, Image.Image]:
    """The object rotated and tilted, on a transparent canvas: (image, mask)."""
    w, h = img.size
    t = scene.tilt
    corners = [(0 + rng.uniform(-t, t) * w, 0 + rng.uniform(-t, t) * h),
               (w + rng.uniform(-t, t) * w, 0 + rng.uniform(-t, t) * h),
               (w + rng.uniform(-t, t) * w, h + rng.uniform(-t, t) * h),
               (0 + rng.uniform(-t, t) * w, h + rng.uniform(-t, t) * h)]
    if scene.turn:
        corners = _turned(corners, w, h, scene.turn, rng.uniform(0, 360))
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    left, top = min(xs), min(ys)
    size = (int(max(xs) - left) + 1, int(max(ys) - top) + 1)
    target = [(x - left, y - top) for x, y in corners]
    source = [(0, 0), (w, 0), (w, h), (0, h)]
    coeffs = _perspective_coefficients(target, source)
    warped = img.transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", img.size, 255).transform(size, Image.Transform.PERSPECTIVE, coeffs,
                                                   Image.Resampling.BILINEAR)
    return (warped.rotate(scene.rotation, Image.Resampling.BICUBIC, expand=True),
            mask.rotate(scene.rotation, Image.Resampling.BILINEAR, expand=True))


#: The camera's focal length in pixels of a 640x480 frame (a webcam's 60 degrees across).
FOCAL_PX = 554.0


def _turned(corners, w, h, degrees, axis_degrees):
    """``corners`` of a w x h object as a pinhole camera sees them once the object is turned
    by ``degrees`` about the axis through its middle at ``axis_degrees`` in its plane."""
    a, b = math.radians(degrees), math.radians(axis_degrees)
    ux, uy = math.cos(b), math.sin(b)  # the axis; points off it come nearer or go farther
    out = []
    for x, y in corners:
        x, y = x - w / 2, y - h / 2
        along = x * ux + y * uy
        across_x, across_y = x - along * ux, y - along * uy
        depth = math.hypot(across_x, across_y) * math.sin(a) * (1 if across_x * uy - across_y * ux > 0 else -1)
        px, py = along * ux + across_x * math.cos(a), along * uy + across_y * math.cos(a)
        scale = FOCAL_PX / (FOCAL_PX + depth)
        out.append((w / 2 + px * scale, h / 2 + py * scale))
    return out


def _motion_blur(frame: Image.Image, length: float, degrees: float) -> Image.Image:
    """The frame averaged along a ``length`` px line (a box kernel: a steady move while the
    shutter is open)."""
    steps = max(2, round(length) + 1)
    dx, dy = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    out = None
    for n in range(steps):
        t = (n / (steps - 1) - 0.5) * length
        shifted = frame.transform(frame.size, Image.Transform.AFFINE, (1, 0, -t * dx, 0, 1, -t * dy),
                                  Image.Resampling.BILINEAR)
        out = shifted if out is None else Image.blend(out, shifted, 1 / (n + 1))
    return out


def _perspective_coefficients(dst, src) -> list[float]:
    """The 8 coefficients Pillow's PERSPECTIVE transform wants (output -> input), from
    four point pairs, by Gauss-Jordan elimination of the 8x8 system (no numpy here)."""
    rows = []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    n = 8
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        lead = rows[col][col]
        rows[col] = [value / lead for value in rows[col]]
        for r in range(n):
            if r != col and rows[r][col]:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col])]
    return [rows[r][n] for r in range(n)]


def _background(rng: random.Random) -> Image.Image:
    frame = Image.linear_gradient("L").resize(FRAME).rotate(rng.uniform(0, 360))
    frame = frame.point(lambda p, lo=rng.randint(40, 120), hi=rng.randint(130, 210): lo + p * (hi - lo) // 255)
    draw = ImageDraw.Draw(frame)
    for _ in range(rng.randint(2, 6)):  # furniture, a sleeve, posters
        x, y = rng.randrange(FRAME[0]), rng.randrange(FRAME[1])
        draw.rectangle((x, y, x + rng.randint(30, 200), y + rng.randint(30, 200)), fill=rng.randint(0, 255))
    return frame


def _clamp(value: int, high: int) -> int:
    return max(0, min(value, high))


def render(scene: Scene, seed: int, frame_number: int = 0) -> Image.Image:
    """The camera's frame of ``scene`` (grayscale 640x480).  ``frame_number`` > 0: a later
    frame of the same hold (the same hall; the hand a little elsewhere: a few pixels, a
    degree or two, the motion's direction, the sensor's noise)."""
    rng = random.Random(seed)
    hand = (0, 0)
    if frame_number:
        jitter = random.Random(seed * 7919 + frame_number)
        scene = dataclasses.replace(scene, rotation=scene.rotation + jitter.uniform(-2, 2),
                                    motion_angle=scene.motion_angle + jitter.uniform(-20, 20))
        hand = (jitter.randint(-3, 3), jitter.randint(-3, 3))
        if scene.motion:  # a moving hand keeps moving: an 8 frames/s camera sees it 3.75
            #               blur lengths on (the blur being a 1/30 s exposure's), back and forth
            way = 3.75 * scene.motion * ((frame_number % 4) - 1.5)
            hand = (hand[0] + round(way * math.cos(math.radians(scene.motion_angle))),
                    hand[1] + round(way * math.sin(math.radians(scene.motion_angle))))
    frame = _background(rng)
    if scene.screen_gain < 1.0:  # the hall is what the camera's exposure is set by: bright
        frame = frame.point(lambda p: 255 - (255 - p) // 3)
    if scene.text:
        if scene.kind == "card" or (scene.kind == "other" and scene.text.isdigit()):
            obj = _card(barcode_image(scene.text), scene, rng)
        else:
            obj = _phone(qr_image(scene.text, scene.dark), scene, rng)
        obj = obj.resize((max(1, obj.width // 3), max(1, obj.height // 3)), Image.Resampling.BOX)
        if scene.screen_gain != 1.0:
            obj = obj.point(lambda p, g=scene.screen_gain: min(255, int(p * g)))
        obj, mask = _perspective(obj, scene, rng)
        if obj.width > FRAME[0] or obj.height > FRAME[1]:
            ratio = min(FRAME[0] / obj.width, FRAME[1] / obj.height) * 0.95
            obj = obj.resize((int(obj.width * ratio), int(obj.height * ratio)), Image.Resampling.BOX)
            mask = mask.resize(obj.size, Image.Resampling.BILINEAR)
        # Held where the pictogram shows: the middle of the frame, give or take a sixth.
        x = _clamp(FRAME[0] // 2 - obj.width // 2 + rng.randint(-FRAME[0] // 6, FRAME[0] // 6),
                   FRAME[0] - obj.width)
        y = _clamp(FRAME[1] // 2 - obj.height // 2 + rng.randint(-FRAME[1] // 6, FRAME[1] // 6),
                   FRAME[1] - obj.height)
        x, y = _clamp(x + hand[0], FRAME[0] - obj.width), _clamp(y + hand[1], FRAME[1] - obj.height)
        frame.paste(obj, (x, y), mask)
        if scene.glare:
            glare = Image.new("L", FRAME, 0)
            gx, gy = x + rng.randint(0, obj.width), y + rng.randint(0, obj.height)
            r = rng.randint(20, 70)
            ImageDraw.Draw(glare).ellipse((gx - r, gy - r // 2, gx + r, gy + r // 2), fill=255)
            glare = glare.filter(ImageFilter.GaussianBlur(r / 2))
            frame = Image.composite(Image.new("L", FRAME, 255), frame,
                                    glare.point(lambda p, s=scene.glare: int(p * s)))
    if scene.motion:
        frame = _motion_blur(frame, scene.motion, scene.motion_angle)
    if scene.blur:
        frame = frame.filter(ImageFilter.GaussianBlur(scene.blur))
    if scene.noise:  # from the frame's seed (Pillow's effect_noise is not seeded)
        grain = np.random.default_rng(seed * 7919 + frame_number).normal(128, scene.noise, (FRAME[1], FRAME[0]))
        frame = Image.blend(frame, Image.fromarray(np.clip(grain, 0, 255).astype(np.uint8)), 0.25)
    buf = io.BytesIO()
    frame.save(buf, "JPEG", quality=scene.jpeg)
    return Image.open(io.BytesIO(buf.getvalue()))


def random_scene(kind: str, text: str, rng: random.Random) -> Scene:
    """A scene as people hold a phone or a card where the kiosk's pictogram shows (15 to
    25 cm from a 640x480 camera: a phone's QR at 2.2 to 5 px a module, an ID card's
    narrowest bar at 1.5 to 3 px).  A card is held about level (rotation within 8
    degrees: a linear code needs a scan line across every bar); a phone at any angle."""
    card = kind == "card" or text.isdigit()
    return Scene(
        kind=kind, text=text,
        module_px=rng.choice((1.5, 2.0, 2.5, 3.0)) if card else rng.choice((2.2, 2.6, 3.0, 3.5, 4.0, 5.0)),
        rotation=rng.uniform(-8, 8) if card else rng.uniform(-30, 30),
        tilt=rng.choice((0.0, 0.04, 0.08)) if card else rng.choice((0.0, 0.04, 0.08, 0.12)),
        dark=kind == "phone" and rng.random() < 0.3,
        glare=rng.choice((0.0, 0.0, 0.4, 0.7)) if kind != "other" else 0.0,
        moire=rng.choice((0.0, 0.3, 0.6)) if kind == "phone" else 0.0,
        blur=rng.choice((0.0, 0.4, 0.7, 1.0)), noise=rng.choice((0.0, 12.0, 25.0)),
        jpeg=rng.choice((60, 75, 90)))


def _ordinary_phone(text: str, rng: random.Random) -> Scene:
    """A phone held as the kiosk's pictogram asks: a code large and sharp (3 to 5 px a
    module, blur within 0.7 px), at any angle, in either mode."""
    scene = random_scene("phone", text, rng)
    return dataclasses.replace(scene, module_px=rng.choice((3.0, 3.5, 4.0, 5.0)),
                               blur=rng.choice((0.0, 0.4, 0.7)))


#: The hard cases of an entrance, each on top of an ordinary phone: a scene of that kind.
HARD_CONDITIONS = {
    "arm's length": lambda s, rng: dataclasses.replace(s, module_px=rng.uniform(1.7, 2.6)),
    "out of focus": lambda s, rng: dataclasses.replace(s, blur=rng.uniform(1.0, 1.6)),
    # a hand moving 90 to 240 px/s: blurred over 3-8 px at a hall's auto exposure (1/30 s),
    # a quarter of that at the 1/120 s the kiosk sets for a lit screen where the camera lets it
    "moving hand, auto exposure": lambda s, rng: dataclasses.replace(
        s, motion=rng.uniform(3.0, 8.0), motion_angle=rng.uniform(0, 180)),
    "moving hand, 1/120 s": lambda s, rng: dataclasses.replace(
        s, motion=rng.uniform(3.0, 8.0) / 4, motion_angle=rng.uniform(0, 180)),
    "dim screen, bright hall": lambda s, rng: dataclasses.replace(s, screen_gain=rng.uniform(0.12, 0.3),
                                                                  glare=0.0, noise=rng.choice((12.0, 25.0))),
    "turned 35 degrees": lambda s, rng: dataclasses.replace(s, turn=rng.uniform(28.0, 40.0)),
}


def hard_scene_set(per_condition: int = 60, seed: int = 2027) -> list[tuple[str, Scene, int]]:
    """``per_condition`` phones for each of :data:`HARD_CONDITIONS`: (condition, scene, seed)."""
    rng = random.Random(seed)
    out = []
    for c, (condition, harden) in enumerate(HARD_CONDITIONS.items()):
        for n in range(per_condition):
            out.append((condition, harden(_ordinary_phone(digital_id_text(rng), rng), rng),
                        seed * 1000 + c * 100 + n))
    return out


def invented_iin(n: int) -> str:
    """The n-th invented IIN: a valid check digit, a birth date and serial of nobody's."""
    rng = random.Random(n * 7907 + 11)
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
    return iin.generate(born, rng.choice("MF"), 9000 + rng.randrange(0, 999))


def scene_set(phones: int = 200, cards: int = 40, others: int = 40, seed: int = 2026,
              iin_for=invented_iin) -> list[tuple[Scene, int]]:
    """Scenes (with each one's seed) of phones, cards and frames with no credential."""
    rng = random.Random(seed)
    scenes = []
    for n in range(phones):
        scenes.append((random_scene("phone", digital_id_text(rng), rng), seed * 1000 + n))
    for n in range(cards):
        scenes.append((random_scene("card", iin_for(n), rng), seed * 2000 + n))
    distractors = ["", "Hello", "WIFI:S:venue;T:WPA;P:x;;", "Сәлем, әлем! Бұл QR емес құжат",
                   "https://example.kz/menu ы"]
    for n in range(others):
        text = distractors[n % len(distractors)]
        if n % 4 == 3:
            text = iin_for(1000 + n)[:11] + str((int(iin_for(1000 + n)[11]) + 1) % 10)  # bad check digit
        scenes.append((random_scene("other", text, rng), seed * 3000 + n))
    return scenes


def write_set(directory: pathlib.Path, scenes: list[tuple[Scene, int]]) -> pathlib.Path:
    """Each frame as NNNN-KIND.jpg, and index.json with every scene's parameters."""
    directory.mkdir(parents=True, exist_ok=True)
    index = []
    for n, (scene, seed) in enumerate(scenes):
        name = f"{n:04d}-{scene.kind}.jpg"
        render(scene, seed).save(directory / name, "JPEG", quality=95)
        index.append({"file": name, "seed": seed, **dataclasses.asdict(scene)})
    (directory / "index.json").write_text(json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8")
    return directory / "index.json"
