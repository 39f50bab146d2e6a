"""What every ``kioskctl`` command shares: the top group, error reporting, the database, the actor.

Every command exits 0 on success; on bad input it prints one line starting with
``error:`` and exits 2 (1 for an unreachable database); it never shows a traceback
for a user's mistake.
"""

from __future__ import annotations

import datetime as dt
import getpass
import importlib
import json
import socket

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from appliance import records_place
from attestation import audit
from attestation import db as dbmod
from attestation.errors import DomainError
from locker_driver import ConfigError, LockerError


def actor() -> audit.Actor:
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = "unknown"
    return audit.Actor(f"cli:{user}", f"host:{socket.gethostname()}")


class Group(click.Group):
    """Turns domain, hardware and database errors into one clear line and a non-zero exit."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:  # a wrong driver setting: the user's mistake
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)
        except LockerError as exc:  # the hardware did not do it
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except DomainError as exc:
            click.echo(f"error: {exc}", err=True)
            if exc.code == "roster_rejected":
                for row_error in exc.errors:
                    click.echo(f"  {row_error}", err=True)
            ctx.exit(2)
        except (OperationalError, ProgrammingError) as exc:
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            click.echo(f"error: database unavailable or not set up (run 'kioskctl db upgrade'): "
                       f"{first}", err=True)
            ctx.exit(1)


def database(ctx) -> dbmod.Database:
    obj = ctx.ensure_object(dict)
    if "db" not in obj:
        obj["db"] = dbmod.Database(obj.get("url"))
        ctx.call_on_close(obj["db"].dispose)
    return obj["db"]


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("write the date as YYYY-MM-DD") from None


def parse_time(value: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("write the time as HH:MM") from None


def parse_settings(pairs) -> dict:
    """``key=value`` options into a dict; values are JSON where they parse as JSON."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: write settings as key=value")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


#: Which module defines each top-level command.  A service imports only its own
#: (``kioskctl serve agent`` never loads the panel, the PDF fonts or the camera decoder):
#: memory and start-up time on the Pi.  A test keeps this map complete.
COMMAND_MODULES = {
    "audit": "audit_commands", "backup": "backup_commands", "restore": "backup_commands",
    "bench": "bench_commands", "cabinet": "cabinets", "cell": "cabinets",
    "camera": "camera_commands", "db": "db_commands", "decisions": "decisions",
    "kiosk": "users", "user": "users", "locker": "locker", "roster": "roster",
    "serve": "serve", "sitting": "sittings", "venue": "sittings", "doctor": "doctor",
}

#: Commands that run when the records' place is unfit: the one that tells why.
RUN_WITHOUT_RECORDS = frozenset({"doctor"})


class LazyGroup(Group):
    """The top group: a command's module is imported when the command is asked for."""

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(COMMAND_MODULES))

    def get_command(self, ctx, name):
        if name not in self.commands and name in COMMAND_MODULES:
            importlib.import_module(f"{__package__}.{COMMAND_MODULES[name]}")
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar="DATABASE_URL", default=None,
              help="SQLAlchemy URL (default: SQLite file var/attestation.db; env DATABASE_URL).")
@click.pass_context
def main(ctx, database_url):
    """Set up and run the attestation check-in kiosk and device lockers."""
    ctx.ensure_object(dict)["url"] = database_url
    if ctx.invoked_subcommand not in RUN_WITHOUT_RECORDS:
        try:
            records_place.require()
        except records_place.RecordsPlaceError as exc:
            click.echo(f"error: nothing can be recorded: {exc} (run 'kioskctl doctor')", err=True)
            ctx.exit(1)


