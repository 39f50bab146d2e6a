"""``kioskctl roster``: import the candidates of a sitting."""

from __future__ import annotations

import pathlib

import click

from attestation import roster_import, venues
from attestation.errors import DomainError

from .base import Group, actor, database, main


@main.group(cls=Group)
def roster():
    """The candidates of a sitting."""


@roster.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=pathlib.Path))
@click.option("--sitting", "sitting_id", type=int, required=True)
@click.pass_context
def roster_import_cmd(ctx, file, sitting_id):
    """Import FILE (.csv UTF-8 or .xlsx): every row or none.

    Columns: iin,last_name,first_name,middle_name,organization,position
    """
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DomainError(f"cannot read {file}: {exc.strerror}") from None
    rows = roster_import.read_rows(file.name, data)
    with database(ctx).write() as s:
        st = venues.get_sitting(s, sitting_id)
        result = roster_import.import_rows(s, st, rows, actor())
    click.echo(f"imported {result.added} candidates into sitting {sitting_id} "
               f"({result.existing_candidates} already known)")
