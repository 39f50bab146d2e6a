"""``kioskctl cabinet`` and ``kioskctl cell``: locker cabinets and their cells."""

from __future__ import annotations

import pathlib

import click

from agent import commissioning
from attestation import venues
from locker_driver.registry import DRIVERS, driver_class

from .base import Group, actor, database, main, parse_settings


@main.group(cls=Group)
def cabinet():
    """Locker cabinets."""


@cabinet.command("add")
@click.argument("name")
@click.option("--venue", "venue_code", required=True)
@click.option("--driver", type=click.Choice(list(DRIVERS)), required=True)
@click.option("--port", default="", help="Serial device or pyserial URL (RS485 drivers).")
@click.option("--door-open-when", type=click.Choice(["set", "clear"]), default=None,
              help="Sensor polarity: which status bit value means open "
                   "(default: the driver's own; GPIO reed switches: clear).")
@click.option("--setting", "settings", multiple=True, help="Driver setting key=value.")
@click.option("--boards", type=int, default=0, help="Also add cells: this many boards...")
@click.option("--locks", type=int, default=0, help="...of this many locks each.")
@click.option("--first-board", type=int, default=None,
              help="Address of the first board (default 1 for 8A, 0 for Kerong).")
@click.pass_context
def cabinet_add(ctx, name, venue_code, driver, port, door_open_when, settings, boards,
                locks, first_board):
    """Add a cabinet (and, with --boards/--locks, its cells numbered from 1)."""
    if (boards > 0) != (locks > 0) or boards < 0 or locks < 0 or locks > 48:
        raise click.BadParameter("--boards and --locks go together (locks 1-48)")
    cls = driver_class(driver)
    start = first_board if first_board is not None else cls.first_board
    polarity = cls.default_door_open_when_set if door_open_when is None else door_open_when == "set"
    with database(ctx).write() as s:
        v = venues.venue_by_code(s, venue_code)
        cab = venues.add_cabinet(s, v, name, driver, port, parse_settings(settings),
                                 polarity, actor())
        number = 0
        for b in range(boards):
            for lock in range(1, locks + 1):
                number += 1
                venues.add_cell(s, cab, number, start + b, lock, True, actor())
        click.echo(f"cabinet {cab.name} added (id {cab.id}) with {number} cells")


@main.group(cls=Group)
def cell():
    """Cells of a cabinet."""


@cell.command("add")
@click.option("--cabinet", "cabinet_name", required=True)
@click.option("--number", type=int, required=True, help="Number on the door.")
@click.option("--board", type=int, required=True, help="Board address (DIP switches).")
@click.option("--lock", type=int, required=True, help="Lock channel on the board, from 1.")
@click.option("--no-sensor", is_flag=True, help="The door has no sensor wired.")
@click.pass_context
def cell_add(ctx, cabinet_name, number, board, lock, no_sensor):
    """Add one cell to a cabinet."""
    with database(ctx).write() as s:
        cab = venues.cabinet_by_name(s, cabinet_name)
        c = venues.add_cell(s, cab, number, board, lock, not no_sensor, actor())
        click.echo(f"cell {c.number} added to {cab.name} (board {c.board}, lock {c.lock})")


@cabinet.command("commission")
@click.argument("name")
@click.option("--auto", is_flag=True,
              help="No person at the cabinet: pulse each lock and watch only its sensor.")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=pathlib.Path),
              default=".", show_default=True, help="Where the report file goes.")
@click.option("--settle", type=float, default=1.5, show_default=True,
              help="Seconds a sensor may take to follow its door.")
@click.pass_context
def cabinet_commission(ctx, name, auto, report_dir, settle):
    """Walk every cell once after wiring: lock, door and sensor (stop the agent first).

    For each cell the lock opens and you say which door opened; then you shut it.  Finds
    cells wired to the wrong lock, dead locks, unwired sensors and inverted polarity,
    offers to fix the polarity and to take failed cells out of service, and writes a
    report (a JSON file and an audit entry).
    """
    prompts = commissioning.Prompts(
        say=click.echo,
        ask_number=lambda text, default: click.prompt(text, default=default, type=int),
        confirm=lambda text, default: click.confirm(text, default=default),
        pause=lambda text: click.prompt(text, default="", show_default=False))
    results, _path = commissioning.commission(database(ctx), name, prompts, actor(), auto=auto,
                                              settle=settle, report_dir=report_dir)
    if any(r.result != commissioning.OK for r in results):
        ctx.exit(1)
