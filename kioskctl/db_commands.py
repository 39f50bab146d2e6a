"""``kioskctl db``: create and upgrade the database schema."""

from __future__ import annotations

import click

from attestation import db as dbmod

from .base import Group, main


@main.group(cls=Group)
def db():
    """Create and upgrade the database."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx):
    """Create the database or bring it to the newest schema."""
    url = dbmod.upgrade(ctx.obj.get("url"))
    click.echo(f"database is up to date: {url}")
