"""``kioskctl venue`` and ``kioskctl sitting``: venues and the commission's sittings."""

from __future__ import annotations

import click

from attestation import venues
from attestation.vocabulary import SittingStatus

from .base import Group, actor, database, main, parse_date, parse_time


@main.group(cls=Group)
def venue():
    """Venues where sittings are held."""


@venue.command("add")
@click.option("--code", required=True, help="Short unique code, e.g. ALA-01.")
@click.option("--name-kk", required=True, help="Name in Kazakh.")
@click.option("--name-ru", required=True, help="Name in Russian.")
@click.option("--address", default="")
@click.pass_context
def venue_add(ctx, code, name_kk, name_ru, address):
    """Add a venue."""
    with database(ctx).write() as s:
        v = venues.add_venue(s, code, name_kk, name_ru, address, actor())
        click.echo(f"venue {v.code} added (id {v.id})")


@main.group(cls=Group)
def sitting():
    """Sittings of the attestation commission."""


@sitting.command("add")
@click.option("--venue", "venue_code", required=True, help="Venue code.")
@click.option("--date", "day", required=True, help="Local date, YYYY-MM-DD.")
@click.option("--start", required=True, help="Local start time, HH:MM.")
@click.option("--stage", "stages", multiple=True,
              help="A stage as 'name kk|name ru|minutes'; repeat in order. "
                   "Default: interview (30) and protocol decision (15).")
@click.option("--open", "open_now", is_flag=True, help="Open it for check-in at once.")
@click.pass_context
def sitting_add(ctx, venue_code, day, start, stages, open_now):
    """Add a sitting at a venue."""
    day, start = parse_date(day), parse_time(start)
    plan = [venues.parse_stage(s) for s in stages]
    with database(ctx).write() as s:
        v = venues.venue_by_code(s, venue_code)
        st = venues.add_sitting(s, v, day, start, plan, actor(),
                                status=SittingStatus.OPEN if open_now else SittingStatus.PLANNED)
        click.echo(f"sitting {st.id} added: {v.code} {st.date} {st.start_time:%H:%M} ({st.status})")


def _set_status(ctx, sitting_id, status):
    with database(ctx).write() as s:
        st = venues.set_sitting_status(s, venues.get_sitting(s, sitting_id), status, actor())
        click.echo(f"sitting {st.id} is {st.status}")


@sitting.command("open")
@click.argument("sitting_id", type=int)
@click.pass_context
def sitting_open(ctx, sitting_id):
    """Open a sitting for check-in."""
    _set_status(ctx, sitting_id, SittingStatus.OPEN)


@sitting.command("close")
@click.argument("sitting_id", type=int)
@click.pass_context
def sitting_close(ctx, sitting_id):
    """Close a sitting (no more check-ins)."""
    _set_status(ctx, sitting_id, SittingStatus.CLOSED)
