"""``kioskctl user`` and ``kioskctl kiosk``: panel users and kiosk devices."""

from __future__ import annotations

import sys

import click

from attestation import accounts, venues
from attestation.vocabulary import Role, values

from .base import Group, actor, database, main


@main.group(cls=Group)
def user():
    """Panel users."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(values(Role)),
              required=True)
@click.option("--full-name", default="")
@click.option("--venue", "venue_codes", multiple=True, metavar="CODE",
              help="A venue the user works at (repeat for several).")
@click.option("--all-venues", is_flag=True, help="Every venue, present and future.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def user_add(ctx, name, role, full_name, venue_codes, all_venues, password_stdin):
    """Add a panel user with a role, seeing the venues named (or every venue)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    else:
        raise click.UsageError("no terminal: pass the password with --password-stdin")
    with database(ctx).write() as s:
        u = accounts.add_user(s, name, role, password, full_name, actor(),
                              venues=[venues.venue_by_code(s, c) for c in venue_codes],
                              all_venues=all_venues)
        click.echo(f"user {u.username} added ({u.role})")


@user.command("venues")
@click.argument("name")
@click.option("--add", "add_codes", multiple=True, metavar="CODE", help="Give a venue.")
@click.option("--remove", "remove_codes", multiple=True, metavar="CODE", help="Take a venue away.")
@click.option("--all/--listed", "all_venues", default=None,
              help="Every venue, or only those listed for the user.")
@click.pass_context
def user_venues(ctx, name, add_codes, remove_codes, all_venues):
    """Show or change the venues a user sees (effective on their next request)."""
    with database(ctx).write() as s:
        u = accounts.user_by_name(s, name)
        codes = accounts.set_user_venues(
            s, u, actor(), add=[venues.venue_by_code(s, c) for c in add_codes],
            remove=[venues.venue_by_code(s, c) for c in remove_codes], all_venues=all_venues)
    click.echo(f"user {name}: " + ("every venue" if codes == ["*"] else ", ".join(codes) or "no venue"))


@main.group(cls=Group)
def kiosk():
    """Kiosk devices."""


@kiosk.command("add")
@click.argument("name")
@click.option("--venue", "venue_code", required=True)
@click.option("--cabinet", "cabinet_name", default=None, help="The cabinet beside this kiosk.")
@click.pass_context
def kiosk_add(ctx, name, venue_code, cabinet_name):
    """Register a kiosk and print its API token (shown only once)."""
    with database(ctx).write() as s:
        v = venues.venue_by_code(s, venue_code)
        cab = venues.cabinet_by_name(s, cabinet_name) if cabinet_name else None
        device, token = accounts.add_kiosk(s, name, v, cab.id if cab else None, actor())
    click.echo(f"kiosk {device.name} added; its token (keep it secret, shown once):")
    click.echo(token)
