"""``kioskctl decisions``: the configurable outcome and category lists."""

from __future__ import annotations

import click
from sqlalchemy import select

from attestation import decisions as decisions_mod
from attestation.models import Category, Outcome

from .base import Group, actor, database, main


@main.group(cls=Group)
def decisions():
    """The configurable lists of protocol outcomes and qualification categories."""


@decisions.command("list")
@click.pass_context
def decisions_list(ctx):
    """Show the outcomes and categories."""
    with database(ctx).read() as s:
        for o in s.execute(select(Outcome).order_by(Outcome.sort)).scalars():
            flags = ("attested" if o.attested else "not attested") + (", needs category" if o.needs_category else "")
            click.echo(f"outcome  {o.code:18s} {'' if o.active else '(disabled) '}{o.name_ru} / {o.name_kk} [{flags}]")
        for c in s.execute(select(Category).order_by(Category.sort)).scalars():
            click.echo(f"category {c.code:18s} {'' if c.active else '(disabled) '}{c.name_ru} / {c.name_kk}")


@decisions.command("add-outcome")
@click.argument("code")
@click.option("--name-kk", required=True)
@click.option("--name-ru", required=True)
@click.option("--attested/--not-attested", required=True)
@click.option("--needs-category", is_flag=True)
@click.pass_context
def decisions_add_outcome(ctx, code, name_kk, name_ru, attested, needs_category):
    """Add a possible protocol outcome."""
    with database(ctx).write() as s:
        decisions_mod.add_outcome(s, code, name_kk=name_kk, name_ru=name_ru, attested=attested,
                                  needs_category=needs_category, actor=actor())
    click.echo(f"outcome {code} added")


@decisions.command("add-category")
@click.argument("code")
@click.option("--name-kk", required=True)
@click.option("--name-ru", required=True)
@click.pass_context
def decisions_add_category(ctx, code, name_kk, name_ru):
    """Add a qualification category."""
    with database(ctx).write() as s:
        decisions_mod.add_category(s, code, name_kk=name_kk, name_ru=name_ru, actor=actor())
    click.echo(f"category {code} added")


@decisions.command("disable")
@click.argument("code")
@click.pass_context
def decisions_disable(ctx, code):
    """Stop offering an outcome or category (decisions already made keep it)."""
    with database(ctx).write() as s:
        decisions_mod.disable(s, code, actor())
    click.echo(f"{code} disabled")
