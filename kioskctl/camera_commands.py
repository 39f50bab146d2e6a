"""``kioskctl camera test``: is the configured camera there, and does it read codes?"""

from __future__ import annotations

import os
import time

import click

from kiosk import DEFAULTS as KIOSK
from kiosk import camera as camera_mod
from kiosk import camera_control
from kiosk.scan_queue import ScanQueue

from .base import Group, main


@main.group(cls=Group, name="camera")
def camera_group():
    """The kiosk's camera (the digital ID's QR and the ID card's barcode)."""


@camera_group.command("test")
@click.option("--camera", "spec", envvar="ATTESTATION_KIOSK_CAMERA", required=True,
              help="v4l2:/dev/video0, picamera2[:N] or replay:PATH (default: ATTESTATION_KIOSK_CAMERA).")
@click.option("--size", envvar="ATTESTATION_KIOSK_CAMERA_SIZE", default=KIOSK["KIOSK_CAMERA_SIZE"],
              show_default=True)
@click.option("--fps", type=float, envvar="ATTESTATION_KIOSK_CAMERA_FPS", default=KIOSK["KIOSK_CAMERA_FPS"],
              show_default=True)
@click.option("--formats", envvar="ATTESTATION_KIOSK_CAMERA_FORMATS", default=KIOSK["KIOSK_CAMERA_FORMATS"],
              show_default=True)
@click.option("--exposure", envvar="ATTESTATION_KIOSK_CAMERA_EXPOSURE", default=KIOSK["KIOSK_CAMERA_EXPOSURE"],
              show_default=True, help="Milliseconds, or auto.")
@click.option("--focus", envvar="ATTESTATION_KIOSK_CAMERA_FOCUS", default=KIOSK["KIOSK_CAMERA_FOCUS"],
              show_default=True, help="Metres, or auto (continuous autofocus).")
@click.option("--seconds", type=float, default=15, show_default=True,
              help="How long to watch; show a QR or an ID card meanwhile.")
@click.pass_context
def camera_test(ctx, spec, size, fps, formats, exposure, focus, seconds):
    """Open the camera, say what it accepted of the exposure and focus asked, decode for a
    while, print every code read and the cost.

    Exit 0: the camera gave frames; 1: it is missing (the reason is printed; the kiosk
    shows E-CAM then).  Every code is printed with its format, credential or not, so a
    venue can confirm which barcode its ID cards carry.
    """
    try:
        width, height = (int(v) for v in size.split("x"))
        settings = camera_mod.DecoderSettings(formats=camera_mod.DecoderSettings.parse_formats(formats))
        controls = camera_control.Controls.parse(exposure, focus)
        source = camera_mod.frame_source(spec, width, height, fps, controls)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    decoder = camera_mod.Decoder(settings, os.environ.get("ATTESTATION_KIOSK_CAMERA_QR_PATTERN", ""))
    shown: set[str] = set()

    def show(reads):
        for r in reads:
            if r.text not in shown:
                shown.add(r.text)
                kind = "credential" if camera_mod.is_credential(r, decoder.qr_pattern) else "ignored"
                click.echo(f"  {r.format:10s} {kind:10s} {r.text[:80]}")
    cpu0, wall0 = time.process_time(), time.monotonic()
    scanner = camera_mod.CameraScanner(ScanQueue(), source, decoder, fps=fps, retry=0.5, on_read=show)
    try:
        if not scanner.ready.wait(5):
            click.echo(f"error: camera missing: {scanner.error or 'no frames within 5 s'}", err=True)
            ctx.exit(1)
        click.echo(f"camera {spec} open at {width}x{height}, up to {fps:g} frames/s")
        for outcome in source.outcomes:
            click.echo(f"  {outcome}")
        if not source.outcomes:
            click.echo("  no exposure or focus to set (a recording)")
        click.echo(f"watching for {seconds:g} s")
        time.sleep(seconds)
    finally:
        scanner.stop()
    stats, wall = scanner.stats, time.monotonic() - wall0
    cpu = time.process_time() - cpu0
    click.echo(f"{stats.frames} frames ({stats.frames / wall:.1f}/s), decode "
               f"{1000 * stats.decode_seconds / max(1, stats.frames):.1f} ms a frame, "
               f"{stats.scans} scans; process CPU {100 * cpu / wall:.1f} % of one core")
    if scanner.guide.level is not None:
        click.echo(f"middle of the view, last frame: grey level {scanner.guide.level:.0f} of 255 "
                   f"(under 40: too dark for an ID card; raise the exposure or set it to auto)")
