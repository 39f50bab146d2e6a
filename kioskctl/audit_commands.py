"""``kioskctl audit``: verify the append-only audit log."""

from __future__ import annotations

import click

from attestation import audit

from .base import Group, database, main


@main.group(cls=Group, name="audit")
def audit_group():
    """The append-only audit log."""


@audit_group.command("verify")
@click.pass_context
def audit_verify(ctx):
    """Check the hash chain of the whole audit log."""
    with database(ctx).read() as s:
        result = audit.verify(s)
    if result.ok:
        click.echo(f"audit log intact: {result.checked} entries")
    else:
        click.echo(f"error: audit log broken at entry {result.broken_id}: {result.problem} "
                   f"({result.checked} entries before it are intact)", err=True)
        ctx.exit(3)
