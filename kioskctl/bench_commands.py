"""``kioskctl bench``: the benchmarks behind the README's figures."""

from __future__ import annotations

import pathlib

import click

import bench as benchmarks
from bench import camera as camera_bench
from bench import cpu_limit, kiosk_page
from bench import api_calls, archive as archive_bench, live_board, production as production_bench

from .base import Group, main


@main.group(cls=Group)
def bench():
    """Benchmarks (figures for the README, not tests)."""


@bench.command("production")
@click.option("--kiosks", type=int, default=1, show_default=True,
              help="Pis at the venue: each runs a kiosk app, an agent and a simulated cabinet.")
@click.option("--checkins", type=int, default=500, show_default=True)
@click.option("--timing", type=click.Choice(["instant", "real"]), default="instant", show_default=True,
              help="Simulated boards answer at once, or as real boards do.")
@click.option("--idle", type=float, default=10.0, show_default=True,
              help="Seconds the agents' idle CPU is measured after the load.")
@click.option("--burst", type=int, default=None,
              help="Instead: queue this many unlocks on one bus at once and time them.")
@click.option("--pace", type=click.FloatRange(0.01, 600), default=None,
              help="Each kiosk starts a person every this many seconds (default: the next one "
                   "as soon as a check-in answers, the most the system can do).")
@click.option("--pi", is_flag=True,
              help="Limit every kiosk app and agent to a third of one core, as a Raspberry Pi 4's "
                   "core compares with this machine's (cgroups; needs root).")
@click.option("--profile", is_flag=True,
              help="Also profile each kiosk app and agent over the load (yappi, CPU clock) and "
                   "tell where its CPU goes per check-in: by layer, SQL, commits, functions.")
@click.pass_context
def bench_production(ctx, kiosks, checkins, timing, idle, burst, pace, pi, profile):
    """Every service its own process, as systemd starts it; the load from this one.

    A temporary SQLite file, or a new database on the PostgreSQL server that
    --database-url names (created for the run and dropped after).
    """
    if not 1 <= checkins <= 5000 or not 1 <= kiosks <= 16:
        raise click.BadParameter("1-5000 check-ins, 1-16 kiosks")
    if burst is not None:
        production_bench.run_burst(ctx.obj.get("url"), burst, out=click.echo)
        return
    try:
        result = production_bench.run(ctx.obj.get("url"), kiosks, checkins, timing, idle, out=click.echo,
                                      pace=pace, pi=pi, profile=profile)
    except cpu_limit.CpuLimitUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    if result["errors"] or result["double_assignments"] or result["unlocks_missing"]:
        ctx.exit(1)


@bench.command("camera")
@click.option("--phones", type=int, default=200, show_default=True)
@click.option("--cards", type=int, default=40, show_default=True)
@click.option("--others", type=int, default=40, show_default=True, help="Frames with no credential.")
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--variant", "variants", multiple=True, type=click.Choice(list(camera_bench.VARIANTS)),
              help="Decoder settings to compare (default: all).")
@click.option("--save", type=click.Path(file_okay=False), help="Also write the frames and index.json here.")
@click.option("--latency", is_flag=True, help="Also time code in view -> scan queued (replay camera).")
@click.option("--hard", type=int, default=60, show_default=True,
              help="Phones of each hard condition in the harder set (0: skip it).")
@click.option("--hold", type=int, default=4, show_default=True, help="Frames of one hold in the harder set.")
def bench_camera(phones, cards, others, seed, variants, save, latency, hard, hold):
    """Read rate, false reads and decode time of the camera decoder on generated frames."""
    if phones + cards + others:
        camera_bench.run_camera_bench(click.echo, phones, cards, others, seed, variants or None,
                                      pathlib.Path(save) if save else None)
    if hard:
        camera_bench.run_hard(click.echo, hard, hold)
    if latency:
        camera_bench.run_latency(click.echo)


@bench.command("load")
@click.option("--checkins", type=int, default=500, show_default=True)
@click.option("--kiosks", type=int, default=4, show_default=True)
@click.pass_context
def bench_load(ctx, checkins, kiosks):
    """N kiosks check people in, then every device is returned; double assignments must be 0."""
    if not 1 <= checkins <= 5000 or not 1 <= kiosks <= 64:
        raise click.BadParameter("1-5000 check-ins, 1-64 kiosks")
    result = benchmarks.run_load_bench(ctx.obj.get("url"), checkins, kiosks, out=click.echo)
    if result["double_assignments"] or result["errors"] or result["return_errors"]:
        ctx.exit(1)


@bench.command("services")
@click.pass_context
def bench_services(ctx):
    """Start-up time and resident memory of the kiosk, panel and agent services."""
    benchmarks.run_services_bench(ctx.obj.get("url"), out=click.echo)


@bench.command("panel")
@click.option("--candidates", type=click.IntRange(1, 20000), default=300, show_default=True,
              help="People in the sitting the boards show.")
@click.option("--boards", type=click.IntRange(1, 1500), default=50, show_default=True,
              help="Open live boards (one socket each).")
@click.option("--changes", type=click.IntRange(1, 500), default=20, show_default=True,
              help="Check-ins recorded while the boards are open.")
@click.pass_context
def bench_panel(ctx, candidates, boards, changes):
    """The panel as its own process with N live boards open: board render time, and the
    delay from a check-in's commit to every board showing it."""
    live_board.run(ctx.obj.get("url"), candidates, boards, changes, out=click.echo)


@bench.command("archive")
@click.option("--candidates", type=click.IntRange(1, 2000), default=40, show_default=True)
@click.pass_context
def bench_archive(ctx, candidates):
    """A closed sitting's archive (ZIP of its PDFs in kk and ru): laid out from nothing, and
    downloaded after closing the sitting prepared it."""
    archive_bench.run(ctx.obj.get("url"), candidates, out=click.echo)


@bench.command("page")
@click.option("--people", type=click.IntRange(1, 100), default=5, show_default=True,
              help="Persons taken through the page at each throttling rate.")
@click.option("--throttle", "throttles", type=click.FloatRange(1, 20), multiple=True,
              help="DevTools CPU throttling rates (default: 1 and 4, about a Raspberry Pi 4).")
@click.option("--pi", is_flag=True, help="Also limit the kiosk app and the agent to a Pi's core (needs root).")
def bench_page(people, throttles, pi):
    """The kiosk page in Chromium with its CPU slowed: loading, and each tap to the next screen."""
    try:
        kiosk_page.run(people, throttles or (1, 4), pi, out=click.echo)
    except cpu_limit.CpuLimitUnavailable as exc:
        raise click.ClickException(str(exc)) from None


@bench.command("api")
@click.option("--checkins", type=click.IntRange(1, 5000), default=200, show_default=True)
@click.option("--profile", is_flag=True, help="Also tell the CPU by layer (under cProfile).")
@click.pass_context
def bench_api(ctx, checkins, profile):
    """Each kiosk API call of a check-in timed in one process (no HTTP, no agent), with the
    SQL statements (by table), commits and CPU time of each call."""
    api_calls.run(ctx.obj.get("url"), checkins, out=click.echo, profile=profile)


@bench.command("commit")
@click.option("--checkins", type=click.IntRange(1, 5000), default=300, show_default=True)
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Where the test database goes (the disk to measure; default: the temp dir).")
def bench_commit(checkins, directory):
    """What durable commits cost on SQLite: synchronous=NORMAL against FULL."""
    benchmarks.run_commit_bench(checkins, directory, out=click.echo)
