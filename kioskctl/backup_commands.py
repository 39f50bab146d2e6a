"""``kioskctl backup`` and ``kioskctl restore``: copies that leave the SD card, and back."""

from __future__ import annotations

import click

import backup as backups

from .base import database, main


def _fail(ctx, exc: backups.BackupError) -> None:
    click.echo(f"error: {exc}", err=True)
    ctx.exit(1)


@main.command("backup")
@click.option("--to", "to", type=click.Path(file_okay=False),
              help="Backup directory (default: ATTESTATION_BACKUP_DIR, else backups/ beside the "
                   "database).")
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help=f"Copies to keep (default ATTESTATION_BACKUP_KEEP, else {backups.copies.DEFAULT_KEEP}).")
@click.option("--also", multiple=True, type=click.Path(file_okay=False), envvar="ATTESTATION_BACKUP_ALSO",
              help="Also copy to this directory, e.g. a USB stick's mount point (repeatable; "
                   "default ATTESTATION_BACKUP_ALSO, space-separated).")
@click.option("--ssh", multiple=True, metavar="USER@HOST:DIR", envvar="ATTESTATION_BACKUP_SSH",
              help="Also copy to another host with scp (repeatable; default ATTESTATION_BACKUP_SSH).")
@click.option("--if-needed", is_flag=True,
              help="Only while a sitting is open, or once after one closed (the timer's mode).")
@click.pass_context
def backup_command(ctx, to, keep, also, ssh, if_needed):
    """Take a consistent copy of the database while the services run, verify it, keep it."""
    db = database(ctx)
    if if_needed:
        with db.read() as s:
            if not backups.copies.needed(s, backups.copies.backup_dir(to)):
                click.echo("no sitting open or newly closed: no copy needed")
                return
    try:
        taken = backups.take(db.url, to, keep=keep, also=also, ssh=ssh)
    except backups.BackupError as exc:
        _fail(ctx, exc)
    click.echo(f"backup {taken.path} ({taken.bytes} bytes, {taken.seconds:.1f} s): integrity ok, "
               f"audit chain of {taken.audit_entries} entries verified")
    for place in taken.shipped:
        click.echo(f"  copied to {place}")


@main.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True,
              help="The target is not empty: move a SQLite file aside / clean a PostgreSQL database.")
@click.pass_context
def restore_command(ctx, path, force):
    """Restore a backup copy into an empty database (DATABASE_URL), then verify it."""
    url = ctx.ensure_object(dict).get("url")
    try:
        entries = backups.restore(path, url, force=force)
    except backups.BackupError as exc:
        _fail(ctx, exc)
    click.echo(f"restored {path}: audit chain of {entries} entries verified")
