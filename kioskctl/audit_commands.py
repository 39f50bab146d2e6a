"""``kioskctl audit``: verify the append-only audit log; make its key; publish a checkpoint."""

from __future__ import annotations

import shutil
import subprocess

import click

from attestation import audit, audit_anchor

from .base import Group, database, main


@main.group(cls=Group, name="audit")
def audit_group():
    """The append-only audit log."""


@audit_group.command("verify")
@click.option("--key-file", type=click.Path(dir_okay=False),
              help="The audit key (default: the one the services use).")
@click.option("--checkpoints", "checkpoint_files", multiple=True, type=click.File("r"),
              help="A checkpoint file, or saved `journalctl -o cat` output (repeatable). "
                   "Default: ATTESTATION_AUDIT_CHECKPOINT_FILE if it exists.")
@click.option("--journal", is_flag=True,
              help="Also read the checkpoints the services logged to the systemd journal.")
@click.option("--printed", multiple=True, metavar="ID:HASH",
              help="A checkpoint printed on an act or a protocol (repeatable).")
@click.pass_context
def audit_verify(ctx, key_file, checkpoint_files, journal, printed):
    """Check the chain, the signatures and the checkpoints of the whole audit log.

    Exit 0: intact; 3: broken (what and where on standard error).
    """
    try:
        key = audit_anchor.load_key(key_file)
        checkpoints = [audit_anchor.parse_printed(p) for p in printed]
    except (audit_anchor.AuditKeyError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    for f in checkpoint_files:
        checkpoints += audit_anchor.read_checkpoints(f)
    if not checkpoint_files:
        checkpoints += audit_anchor.Publisher.from_env().published()
    if journal:
        checkpoints += audit_anchor.read_checkpoints(_journal_lines())
    with database(ctx).read() as s:
        result = audit.verify(s, key=key, checkpoints=checkpoints)
    if not result.ok:
        where = f" at entry {result.broken_id}" if result.broken_id else ""
        click.echo(f"error: audit log broken{where}: {result.problem} "
                   f"({result.checked} entries before it are intact)", err=True)
        ctx.exit(3)
    signed = (f", signed from entry {result.first_signed_id}" if result.first_signed_id else "")
    click.echo(f"audit log intact: {result.checked} entries{signed}, "
               f"{result.checkpoints} checkpoints matched")
    for warning in result.warnings:
        click.echo(f"warning: {audit.WARNINGS[warning]}", err=True)


def _journal_lines():
    if shutil.which("journalctl") is None:
        raise click.UsageError("--journal: journalctl is not on this machine")
    out = subprocess.run(["journalctl", "-o", "cat", "--no-pager", "-u", "attestation-*",
                          "--grep", audit_anchor.MARK], capture_output=True, text=True, check=False)
    return out.stdout.splitlines()


@audit_group.command("keygen")
@click.argument("path", type=click.Path(dir_okay=False), default=str(audit_anchor.DEFAULT_KEY_FILE))
def audit_keygen(path):
    """Write a new audit key to PATH (readable by its owner only; never overwrites one)."""
    try:
        written = audit_anchor.write_key(path)
    except FileExistsError:
        raise click.UsageError(f"{path} exists: an audit key is never replaced (the log "
                               "signed with it could no longer be verified)") from None
    click.echo(f"audit key written to {written}")


@audit_group.command("checkpoint")
@click.pass_context
def audit_checkpoint(ctx):
    """Print and publish the chain head now (copy it onto paper, or into another system)."""
    with database(ctx).read() as s:
        head = audit.head(s)
    if head is None:
        click.echo("the audit log is empty")
        return
    publisher = audit_anchor.Publisher.from_env()
    publisher.publish(head)
    click.echo(f"{head.printed}  {head.line()}")
