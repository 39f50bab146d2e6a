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
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def user_add(ctx, name, role, full_name, password_stdin):
    """Add a panel user with a role."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    else:
        raise click.UsageError("no terminal: pass the password with --password-stdin")
    with database(ctx).write() as s:
        u = accounts.add_user(s, name, role, password, full_name, actor())
        click.echo(f"user {u.username} added ({u.role})")


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
