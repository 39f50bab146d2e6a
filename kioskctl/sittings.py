"""``kioskctl venue`` and ``kioskctl sitting``: venues and the commission's sittings."""

from __future__ import annotations

import pathlib

import click

from attestation import audit_anchor, venues
from attestation import db as dbmod
from backup import sitting_archive as sitting_archive_format
from web import archive, create_app  # the panel renders the archive's documents
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


@sitting.command("reopen")
@click.argument("sitting_id", type=int)
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@click.pass_context
def sitting_reopen(ctx, sitting_id, reason):
    """Open a closed sitting again, stating why."""
    with database(ctx).write() as s:
        st = venues.reopen_sitting(s, venues.get_sitting(s, sitting_id), reason, actor())
        click.echo(f"sitting {st.id} is {st.status} again")


@sitting.command("archive")
@click.argument("sitting_id", type=int)
@click.option("--out", type=click.Path(dir_okay=True, writable=True),
              help="File or directory to write to (default: the current directory, named "
                   "sitting-ID-DATE-VENUE.zip).")
@click.pass_context
def sitting_archive(ctx, sitting_id, out):
    """Write the archive of a sitting: protocol, acts and attestation files as PDF in kk and
    ru, the roster, the sitting's audit entries with the signed chain head, a manifest."""
    url = dbmod.database_url(ctx.ensure_object(dict).get("url"))
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "kioskctl-archive"})
    try:
        with app.app_context(), app.extensions["attestation_db"].read() as s:
            archive.snapshot(s)
            sitting = venues.get_sitting(s, sitting_id)
            data = archive.build(s, sitting, actor().name)
            name = archive.archive_name(sitting)
    finally:
        app.extensions["attestation_db"].dispose()
    target = pathlib.Path(out or ".")
    if target.is_dir():
        target = target / name
    if target.exists():
        raise click.UsageError(f"{target} exists: an archive is never overwritten")
    target.write_bytes(data)
    check = sitting_archive_format.verify(data, audit_anchor.load_key())
    click.echo(f"archive of sitting {sitting_id} written to {target} ({len(data)} bytes, "
               f"{check.members} members, {check.entries} audit entries)")


@sitting.command("verify-archive")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--key-file", type=click.Path(dir_okay=False),
              help="The audit key (default: the one the services use).")
@click.option("--database", "against_db", is_flag=True,
              help="Also check that every audit entry of the archive is in this database's log.")
@click.pass_context
def sitting_verify_archive(ctx, path, key_file, against_db):
    """Check an archive: every member's SHA-256, the manifest's signature, the audit entries.

    Exit 0: intact; 3: changed (what on standard error).
    """
    try:
        key = audit_anchor.load_key(key_file)
    except audit_anchor.AuditKeyError as exc:
        raise click.UsageError(str(exc)) from None
    data = pathlib.Path(path).read_bytes()
    check = sitting_archive_format.verify(data, key)
    if check.ok and against_db:
        with database(ctx).read() as s:
            missing = sitting_archive_format.missing_from_log(s, data)
        if missing:
            check.ok, check.problem = False, (
                f"audit entries not in this database's log as archived: {missing[:10]}")
    if not check.ok:
        click.echo(f"error: archive broken: {check.problem}", err=True)
        ctx.exit(3)
    sitting = check.about.get("sitting", {})
    click.echo(f"archive intact: sitting {sitting.get('id')} ({sitting.get('venue')}, "
               f"{sitting.get('date')}), {check.members} members, {check.entries} audit entries, "
               f"chain head {check.head.printed if check.head else '-'}")
    for warning in check.warnings:
        click.echo(f"warning: {sitting_archive_format.WARNINGS[warning]}", err=True)
