"""``kioskctl bench camera``: how well and how fast the camera decoder reads.

Renders the generated set of camera frames (:mod:`fake_services.phone_screen`: phones
showing a digital-ID QR, ID cards' IIN barcodes, and frames with no credential in them),
decodes every frame with each decoder setting, and prints the read rate of phones and of
cards, false reads (a credential pushed where there is none, or a wrong text) and the
decode time per frame (p50, p99, mean; "idle": a frame with no code in it, what the
kiosk spends on each frame while nobody shows anything).  The first setting is the
kiosk's default.

``--hard N``: also the harder set (:data:`fake_services.phone_screen.HARD_CONDITIONS`: N
phones at arm's length, out of focus, in a moving hand, dim in a bright hall, turned by
about 35 degrees), each condition's read rate per frame and within a hold of ``--hold``
frames (the kiosk decodes every frame: a person holding the phone up for half a second
gives it four at 8 frames/s), before (the decoder without its rescue and deblur passes) and after.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import random
import resource
import shutil
import tempfile
import time

from fake_services import phone_screen
from kiosk.camera import CameraScanner, Decoder, DecoderSettings, frame_source
from kiosk.scan_queue import ScanQueue

from .stats import percentile_ms

VARIANTS = {
    "default": DecoderSettings(),
    "no rescue passes": DecoderSettings(rescue=()),
    "no deblur pass": DecoderSettings(deblur=0),
    "before issue 28": DecoderSettings(rescue=(), deblur=0),
    "no zoom pass": DecoderSettings(zoom=0),
    "zoom 1.5": DecoderSettings(zoom=1.5),
    "try_rotate": DecoderSettings(try_rotate=True),
    "no try_invert": DecoderSettings(try_invert=False),
    "try_downscale": DecoderSettings(try_downscale=True),
    "GlobalHistogram binarizer": DecoderSettings(binarizer="GlobalHistogram"),
    "every format": DecoderSettings(formats=("AllReadable",)),
}


@dataclasses.dataclass
class Tally:
    read: dict = dataclasses.field(default_factory=lambda: {"phone": 0, "card": 0})
    total: dict = dataclasses.field(default_factory=lambda: {"phone": 0, "card": 0, "other": 0})
    false_reads: int = 0
    times: list = dataclasses.field(default_factory=list)
    #: decode times of frames with no code at all: what an idle kiosk spends a frame
    idle_times: list = dataclasses.field(default_factory=list)
    missed: list = dataclasses.field(default_factory=list)


def run(frames, decoder: Decoder) -> Tally:
    tally = Tally()
    for _, image in frames[:1] + [f for f in frames if not f[0].text][:1]:
        decoder.look(image)  # warm: the first frame imports numpy's FFT and builds the filters
    for n, (scene, image) in enumerate(frames):
        began = time.perf_counter()
        got = decoder.credentials(image)
        tally.times.append(time.perf_counter() - began)
        tally.total[scene.kind] += 1
        if not scene.text:
            tally.idle_times.append(tally.times[-1])
        if scene.kind == "other":
            tally.false_reads += len(got)
        elif got == [scene.text]:
            tally.read[scene.kind] += 1
        else:
            tally.false_reads += len([g for g in got if g != scene.text])
            tally.missed.append(n)
    return tally


def run_camera_bench(out, phones=200, cards=40, others=40, seed=2026, variants=None,
                     save_dir: pathlib.Path | None = None) -> dict:
    scenes = phone_screen.scene_set(phones, cards, others, seed)
    began = time.perf_counter()
    frames = [(scene, phone_screen.render(scene, frame_seed)) for scene, frame_seed in scenes]
    out(f"{len(frames)} frames of 640x480 rendered in {time.perf_counter() - began:.1f} s "
        f"({phones} phones, {cards} ID cards, {others} with no credential; seed {seed})")
    out(f"{'setting':28s} {'phones read':>12s} {'cards read':>11s} {'false':>6s} "
        f"{'p50 ms':>7s} {'p99 ms':>7s} {'mean ms':>8s} {'idle ms':>8s}")
    results = {}
    for name in variants or VARIANTS:
        tally = run(frames, Decoder(VARIANTS[name]))
        results[name] = tally
        phone_rate = 100 * tally.read["phone"] / max(1, tally.total["phone"])
        card_rate = 100 * tally.read["card"] / max(1, tally.total["card"])
        out(f"{name:28s} {phone_rate:11.1f}% {card_rate:10.1f}% {tally.false_reads:6d} "
            f"{percentile_ms(tally.times, 0.5):7.1f} {percentile_ms(tally.times, 0.99):7.1f} "
            f"{1000 * sum(tally.times) / len(tally.times):8.1f} "
            f"{1000 * sum(tally.idle_times) / max(1, len(tally.idle_times)):8.1f}")
    if save_dir is not None:
        phone_screen.write_set(save_dir, scenes)
        out(f"frames and index.json written to {save_dir}")
    out(f"peak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return results


#: The harder set's columns: the decoder before issue 28's rescue passes, and the default.
#: The conditions a kiosk's camera control takes away (the exposure it sets for a lit screen
#: makes the moving hand's blur a quarter): "all, exposure set" leaves them out.
NEEDS_SET_EXPOSURE = ("moving hand, auto exposure",)
HARD_VARIANTS = {"before": VARIANTS["before issue 28"], "default": VARIANTS["default"]}


def run_hard(out, per_condition=60, hold=4, seed=2027, variants=HARD_VARIANTS) -> dict:
    """The harder set's read rates by condition (per frame, and within a hold), with the
    decode time per frame and the false reads (a credential read that the phone did not
    show); returns {variant: {condition: (frame rate, hold rate)}}."""
    began = time.perf_counter()
    holds = [(condition, scene, [phone_screen.render(scene, frame_seed, n) for n in range(hold)])
             for condition, scene, frame_seed in phone_screen.hard_scene_set(per_condition, seed)]
    out(f"harder set: {len(holds)} phones ({per_condition} a condition, seed {seed}), "
        f"{hold} frames a hold, rendered in {time.perf_counter() - began:.1f} s")
    out(f"{'condition':26s} " + " ".join(f"{name + ' frame':>15s} {name + ' hold':>14s}" for name in variants))
    results = {name: {} for name in variants}
    times = {name: [] for name in variants}
    false_reads = {name: 0 for name in variants}
    for condition in phone_screen.HARD_CONDITIONS:
        mine = [(scene, frames) for c, scene, frames in holds if c == condition]
        for name, settings in variants.items():
            decoder = Decoder(settings)
            decoder.look(mine[0][1][0])  # warm, as in run()
            per_frame = []
            for scene, frames in mine:
                got = []
                for image in frames:
                    started = time.perf_counter()
                    texts = decoder.credentials(image)
                    times[name].append(time.perf_counter() - started)
                    got.append(texts == [scene.text])
                    false_reads[name] += len([t for t in texts if t != scene.text])
                per_frame.append(got)
            results[name][condition] = (sum(g[0] for g in per_frame) / len(mine),
                                        sum(any(g) for g in per_frame) / len(mine))
    rows = list(phone_screen.HARD_CONDITIONS) + ["all", "all, exposure set"]
    for name in variants:
        for row, left_out in (("all", ()), ("all, exposure set", NEEDS_SET_EXPOSURE)):
            rates = [r for c, r in results[name].items() if c in phone_screen.HARD_CONDITIONS and c not in left_out]
            results[name][row] = (sum(r[0] for r in rates) / len(rates), sum(r[1] for r in rates) / len(rates))
    for condition in rows:
        out(f"{condition:26s} " + " ".join(f"{100 * results[n][condition][0]:14.1f}% {100 * results[n][condition][1]:13.1f}%"
                                           for n in variants))
    out("decode ms per frame of the harder set: " + ", ".join(
        f"{name} p50 {percentile_ms(times[name], 0.5):.1f} / mean {1000 * sum(times[name]) / len(times[name]):.1f}"
        for name in variants))
    out("false reads: " + ", ".join(f"{name} {n}" for name, n in false_reads.items()))
    return results


def run_latency(out, trials: int = 30, fps: float = 8) -> list[float]:
    """Code in view -> scan queued, through a replay camera at ``fps``: a phone image is put
    in the camera's folder at a random moment of the frame cycle; ms until it is queued."""
    view = pathlib.Path(tempfile.mkdtemp(prefix="camera-latency-"))
    queue = ScanQueue()
    scanner = CameraScanner(queue, frame_source(f"replay:{view}"), fps=fps, repeat_after=0.3)
    rng = random.Random(1)
    took = []
    try:
        scanner.ready.wait(3)
        for n in range(trials):
            text = f"https://digital-documents.demo/d/latency-{n:04d}-token"
            scene = dataclasses.replace(phone_screen.random_scene("phone", text, rng), blur=0.4, module_px=3.0)
            phone_screen.render(scene, n).save(view / ".next.tmp", "PNG")
            time.sleep(rng.random() / fps)
            last, began = queue.last, time.monotonic()
            os.replace(view / ".next.tmp", view / "held.png")
            if queue.since(last, wait=2):
                took.append((time.monotonic() - began) * 1000)
            (view / "held.png").unlink()
            time.sleep(0.5)  # out of view long enough to count again
    finally:
        scanner.stop()
        shutil.rmtree(view, ignore_errors=True)
    took.sort()
    out(f"code in view -> scan queued at {fps:g} frames/s: {len(took)}/{trials} read, "
        f"p50 {took[len(took) // 2]:.0f} ms, p90 {took[int(len(took) * 0.9)]:.0f} ms, "
        f"max {took[-1]:.0f} ms")
    return took
