"""``kioskctl user`` and ``kioskctl kiosk``: panel users and kiosk devices."""

from __future__ import annotations

import sys

import click

from attestation import accounts, venues
from attestation.models import Venue
from attestation.vocabulary import Role, values

from .base import Group, actor, database, main


@main.group(cls=Group)
def user():
    """Panel users."""


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if sys.stdin.isatty():
        return click.prompt("password", hide_input=True, confirmation_prompt=True)
    raise click.UsageError("no terminal: pass the password with --password-stdin")


@user.command("list")
@click.pass_context
def user_list(ctx):
    """Every panel user: name, role, active or disabled, full name."""
    with database(ctx).read() as s:
        for u in accounts.users(s):
            click.echo(f"{u.username:20s} {u.role:10s} {'active' if u.active else 'disabled':9s} "
                       f"{u.full_name}")


def _set_active(ctx, name: str, active: bool) -> None:
    with database(ctx).write() as s:
        accounts.set_active(s, accounts.user_by_name(s, name), active, actor())
    click.echo(f"user {name} {'enabled' if active else 'disabled'}")


@user.command("disable")
@click.argument("name")
@click.pass_context
def user_disable(ctx, name):
    """Disable a user: their sessions end now and they cannot sign in."""
    _set_active(ctx, name, False)


@user.command("enable")
@click.argument("name")
@click.pass_context
def user_enable(ctx, name):
    """Let a disabled user sign in again."""
    _set_active(ctx, name, True)


@user.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(values(Role)))
@click.pass_context
def user_role(ctx, name, role):
    """Change a user's role (effective at their next click)."""
    with database(ctx).write() as s:
        accounts.set_role(s, accounts.user_by_name(s, name), role, actor())
    click.echo(f"user {name} is now {role}")


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def user_passwd(ctx, name, password_stdin):
    """Set a new password for a user (their sessions end)."""
    password = _password(password_stdin)
    with database(ctx).write() as s:
        accounts.change_password(s, accounts.user_by_name(s, name), password, actor())
    click.echo(f"password of {name} changed; their sessions ended")


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
    password = _password(password_stdin)
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


@kiosk.command("list")
@click.pass_context
def kiosk_list(ctx):
    """Every kiosk: name, venue, cabinet, whether its token works."""
    with database(ctx).read() as s:
        for k in accounts.kiosks(s):
            venue = s.get(Venue, k.venue_id).code
            click.echo(f"{k.name:20s} {venue:10s} cabinet {k.cabinet_id or '-'!s:5s} "
                       f"{'active' if k.active else 'revoked'}")


@kiosk.command("revoke")
@click.argument("name")
@click.pass_context
def kiosk_revoke(ctx, name):
    """Stop a kiosk's token working (a lost or stolen Pi); `rotate` gives it a new one."""
    with database(ctx).write() as s:
        accounts.revoke_kiosk(s, accounts.kiosk_by_name(s, name), actor())
    click.echo(f"kiosk {name} revoked: its token no longer works")


@kiosk.command("rotate")
@click.argument("name")
@click.pass_context
def kiosk_rotate(ctx, name):
    """Issue a new token for a kiosk (the old one stops working) and print it once."""
    with database(ctx).write() as s:
        token = accounts.rotate_kiosk(s, accounts.kiosk_by_name(s, name), actor())
    click.echo(f"kiosk {name}: new token (keep it secret, shown once; put it in "
               f"ATTESTATION_KIOSK_TOKEN and restart attestation-kiosk):")
    click.echo(token)
