"""``kioskctl``: the technician's and secretary's command line.

Every command exits 0 on success; on bad input it prints one line starting with
``error:`` and exits 2 (1 for an unreachable database); it never shows a traceback
for a user's mistake.
"""

from __future__ import annotations

import datetime as dt
import getpass
import pathlib
import socket
import sys

import click
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from . import accounts, audit, db as dbmod, roster_import, venues
from .cli_locker import parse_settings
from .errors import DomainError


def _actor() -> audit.Actor:
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = "unknown"
    return audit.Actor(f"cli:{user}", f"host:{socket.gethostname()}")


class _Group(click.Group):
    """Turns domain and database errors into one clear line and a non-zero exit."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            click.echo(f"error: {exc}", err=True)
            if isinstance(exc, roster_import.RosterFileError):
                for row_error in exc.errors:
                    click.echo(f"  {row_error}", err=True)
            ctx.exit(2)
        except (OperationalError, ProgrammingError) as exc:
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            click.echo(f"error: database unavailable or not set up (run 'kioskctl db upgrade'): "
                       f"{first}", err=True)
            ctx.exit(1)


def _db(ctx) -> dbmod.Database:
    obj = ctx.ensure_object(dict)
    if "db" not in obj:
        obj["db"] = dbmod.Database(obj.get("url"))
        ctx.call_on_close(obj["db"].dispose)
    return obj["db"]


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("write the date as YYYY-MM-DD") from None


def _time(value: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("write the time as HH:MM") from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar="DATABASE_URL", default=None,
              help="SQLAlchemy URL (default: SQLite file var/attestation.db; env DATABASE_URL).")
@click.pass_context
def main(ctx, database_url):
    """Set up and run the attestation check-in kiosk and device lockers."""
    ctx.ensure_object(dict)["url"] = database_url


# --- db --------------------------------------------------------------------------------

@main.group(cls=_Group)
def db():
    """Create and upgrade the database."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx):
    """Create the database or bring it to the newest schema."""
    url = dbmod.upgrade(ctx.obj.get("url"))
    click.echo(f"database is up to date: {url}")


# --- venue / sitting -----------------------------------------------------------------

@main.group(cls=_Group)
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
    with _db(ctx).write() as s:
        v = venues.add_venue(s, code, name_kk, name_ru, address, _actor())
        click.echo(f"venue {v.code} added (id {v.id})")


@main.group(cls=_Group)
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
    day, start = _date(day), _time(start)
    plan = [venues.parse_stage(s) for s in stages]
    with _db(ctx).write() as s:
        v = venues.venue_by_code(s, venue_code)
        st = venues.add_sitting(s, v, day, start, plan, _actor(),
                                status="open" if open_now else "planned")
        click.echo(f"sitting {st.id} added: {v.code} {st.date} {st.start_time:%H:%M} ({st.status})")


def _set_status(ctx, sitting_id, status):
    with _db(ctx).write() as s:
        st = venues.set_sitting_status(s, venues.get_sitting(s, sitting_id), status, _actor())
        click.echo(f"sitting {st.id} is {st.status}")


@sitting.command("open")
@click.argument("sitting_id", type=int)
@click.pass_context
def sitting_open(ctx, sitting_id):
    """Open a sitting for check-in."""
    _set_status(ctx, sitting_id, "open")


@sitting.command("close")
@click.argument("sitting_id", type=int)
@click.pass_context
def sitting_close(ctx, sitting_id):
    """Close a sitting (no more check-ins)."""
    _set_status(ctx, sitting_id, "closed")


# --- roster ----------------------------------------------------------------------------

@main.group(cls=_Group)
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
    with _db(ctx).write() as s:
        st = venues.get_sitting(s, sitting_id)
        result = roster_import.import_rows(s, st, rows, _actor())
    click.echo(f"imported {result.added} candidates into sitting {sitting_id} "
               f"({result.existing_candidates} already known)")


# --- cabinets --------------------------------------------------------------------------

@main.group(cls=_Group)
def cabinet():
    """Locker cabinets."""


@cabinet.command("add")
@click.argument("name")
@click.option("--venue", "venue_code", required=True)
@click.option("--driver", type=click.Choice(["rs485-8a", "kerong", "gpio"]), required=True)
@click.option("--port", default="", help="Serial device or pyserial URL (RS485 drivers).")
@click.option("--door-open-when", type=click.Choice(["set", "clear"]), default="set",
              show_default=True, help="Sensor polarity: which status bit value means open.")
@click.option("--setting", "settings", multiple=True, help="Driver setting key=value.")
@click.option("--boards", type=int, default=0, help="Also add cells: this many boards...")
@click.option("--locks", type=int, default=0, help="...of this many locks each.")
@click.option("--first-board", type=int, default=None,
              help="Address of the first board (default 1 for 8A, 0 for Kerong).")
@click.pass_context
def cabinet_add(ctx, name, venue_code, driver, port, door_open_when, settings, boards,
                locks, first_board):
    """Add a cabinet (and, with --boards/--locks, its cells numbered from 1)."""
    if (boards > 0) != (locks > 0) or boards < 0 or locks < 0 or locks > 48:
        raise click.BadParameter("--boards and --locks go together (locks 1-48)")
    start = first_board if first_board is not None else (0 if driver == "kerong" else 1)
    with _db(ctx).write() as s:
        v = venues.venue_by_code(s, venue_code)
        cab = venues.add_cabinet(s, v, name, driver, port, parse_settings(settings),
                                 door_open_when == "set", _actor())
        number = 0
        for b in range(boards):
            for lock in range(1, locks + 1):
                number += 1
                venues.add_cell(s, cab, number, start + b, lock, True, _actor())
        click.echo(f"cabinet {cab.name} added (id {cab.id}) with {number} cells")


@main.group(cls=_Group)
def cell():
    """Cells of a cabinet."""


@cell.command("add")
@click.option("--cabinet", "cabinet_name", required=True)
@click.option("--number", type=int, required=True, help="Number on the door.")
@click.option("--board", type=int, required=True, help="Board address (DIP switches).")
@click.option("--lock", type=int, required=True, help="Lock channel on the board, from 1.")
@click.option("--no-sensor", is_flag=True, help="The door has no sensor wired.")
@click.pass_context
def cell_add(ctx, cabinet_name, number, board, lock, no_sensor):
    """Add one cell to a cabinet."""
    with _db(ctx).write() as s:
        cab = venues.cabinet_by_name(s, cabinet_name)
        c = venues.add_cell(s, cab, number, board, lock, not no_sensor, _actor())
        click.echo(f"cell {c.number} added to {cab.name} (board {c.board}, lock {c.lock})")


# --- users and kiosks ----------------------------------------------------------------

@main.group(cls=_Group)
def user():
    """Panel users."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "secretary", "chair", "member", "operator"]),
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
    with _db(ctx).write() as s:
        u = accounts.add_user(s, name, role, password, full_name, _actor())
        click.echo(f"user {u.username} added ({u.role})")


@main.group(cls=_Group)
def kiosk():
    """Kiosk devices."""


@kiosk.command("add")
@click.argument("name")
@click.option("--venue", "venue_code", required=True)
@click.option("--cabinet", "cabinet_name", default=None, help="The cabinet beside this kiosk.")
@click.pass_context
def kiosk_add(ctx, name, venue_code, cabinet_name):
    """Register a kiosk and print its API token (shown only once)."""
    with _db(ctx).write() as s:
        v = venues.venue_by_code(s, venue_code)
        cab = venues.cabinet_by_name(s, cabinet_name) if cabinet_name else None
        device, token = accounts.add_kiosk(s, name, v, cab.id if cab else None, _actor())
    click.echo(f"kiosk {device.name} added; its token (keep it secret, shown once):")
    click.echo(token)


# --- decision lists --------------------------------------------------------------------

@main.group(cls=_Group)
def decisions():
    """The configurable lists of protocol outcomes and qualification categories."""


@decisions.command("list")
@click.pass_context
def decisions_list(ctx):
    """Show the outcomes and categories."""
    from .models import Category, Outcome
    with _db(ctx).read() as s:
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
    from .models import Outcome
    with _db(ctx).write() as s:
        if s.get(Outcome, code):
            raise DomainError(f"outcome {code!r} already exists")
        sort = (s.execute(select(func.max(Outcome.sort))).scalar() or 0) + 10
        s.add(Outcome(code=code, name_kk=name_kk, name_ru=name_ru, attested=attested,
                      needs_category=needs_category, sort=sort, active=True))
        s.flush()
        audit.append(s, _actor(), "outcome.added", "outcome", code,
                     after={"name_ru": name_ru, "attested": attested})
    click.echo(f"outcome {code} added")


@decisions.command("add-category")
@click.argument("code")
@click.option("--name-kk", required=True)
@click.option("--name-ru", required=True)
@click.pass_context
def decisions_add_category(ctx, code, name_kk, name_ru):
    """Add a qualification category."""
    from .models import Category
    with _db(ctx).write() as s:
        if s.get(Category, code):
            raise DomainError(f"category {code!r} already exists")
        sort = (s.execute(select(func.max(Category.sort))).scalar() or 0) + 10
        s.add(Category(code=code, name_kk=name_kk, name_ru=name_ru, sort=sort, active=True))
        s.flush()
        audit.append(s, _actor(), "category.added", "category", code, after={"name_ru": name_ru})
    click.echo(f"category {code} added")


@decisions.command("disable")
@click.argument("code")
@click.pass_context
def decisions_disable(ctx, code):
    """Stop offering an outcome or category (decisions already made keep it)."""
    from .models import Category, Outcome
    with _db(ctx).write() as s:
        item = s.get(Outcome, code) or s.get(Category, code)
        if item is None:
            raise DomainError(f"no outcome or category {code!r}")
        item.active = False
        s.flush()
        audit.append(s, _actor(), "decision_list.disabled", type(item).__tablename__, code)
    click.echo(f"{code} disabled")


# --- audit -----------------------------------------------------------------------------

@main.group(cls=_Group, name="audit")
def audit_group():
    """The append-only audit log."""


@audit_group.command("verify")
@click.pass_context
def audit_verify(ctx):
    """Check the hash chain of the whole audit log."""
    with _db(ctx).read() as s:
        result = audit.verify(s)
    if result.ok:
        click.echo(f"audit log intact: {result.checked} entries")
    else:
        click.echo(f"error: audit log broken at entry {result.broken_id}: {result.problem} "
                   f"({result.checked} entries before it are intact)", err=True)
        ctx.exit(3)


# --- hardware and services -----------------------------------------------------------

from .cli_locker import locker  # noqa: E402

main.add_command(locker)


@main.group(cls=_Group)
def serve():
    """Run the system's services."""


@serve.command("agent")
@click.option("--cabinet", "cabinets", multiple=True, required=True,
              help="Name of a cabinet this Pi owns; repeat for several (one thread each).")
@click.option("--jam-timeout", type=float, default=5.0, show_default=True,
              help="Seconds a door may take to open after an unlock before it is a jam.")
@click.pass_context
def serve_agent(ctx, cabinets, jam_timeout):
    """Run the cabinet agent: execute queued unlocks, watch the doors."""
    import logging

    from . import lock_agent
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        lock_agent.serve(_db(ctx), list(cabinets), jam_timeout=jam_timeout)
    except LookupError as exc:
        raise DomainError(str(exc.args[0])) from None


@serve.command("kiosk")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Listen address (the page and its token are served to local clients only).")
@click.option("--port", type=int, default=8081, show_default=True)
@click.option("--threads", type=int, default=8, show_default=True)
@click.pass_context
def serve_kiosk(ctx, host, port, threads):
    """Run the kiosk app under waitress.  Settings: ATTESTATION_KIOSK_TOKEN and friends."""
    from kiosk import create_app

    from . import serving
    app = create_app({"DATABASE_URL": ctx.obj.get("url")})
    if not app.config.get("KIOSK_TOKEN"):
        raise DomainError("set ATTESTATION_KIOSK_TOKEN to this kiosk's token (kioskctl kiosk add)")
    serving.run(app, host, port, threads)


@serve.command("panel")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", type=int, default=8082, show_default=True)
@click.option("--threads", type=int, default=48, show_default=True,
              help="Worker threads; every open board holds one for its live-update stream.")
@click.pass_context
def serve_panel(ctx, host, port, threads):
    """Run the commission's panel under waitress.  Set ATTESTATION_SECRET_KEY."""
    from web import create_app

    from . import serving
    serving.run(create_app({"DATABASE_URL": ctx.obj.get("url")}), host, port, threads,
                probe_path="/panel/healthz")


@main.group(cls=_Group)
def bench():
    """Benchmarks (figures for the README, not tests)."""


@bench.command("kiosk")
@click.option("--checkins", type=int, default=500, show_default=True)
@click.option("--kiosks", type=int, default=1, show_default=True, help="Concurrent kiosks.")
@click.pass_context
def bench_kiosk(ctx, checkins, kiosks):
    """Identify -> unlock frame on the simulator's wire, p50/p99, and throughput.

    Uses a temporary SQLite file unless --database-url / DATABASE_URL names an empty
    database.
    """
    from .bench import run_kiosk_bench
    if not 1 <= checkins <= 5000 or not 1 <= kiosks <= 64:
        raise click.BadParameter("1-5000 check-ins, 1-64 kiosks")
    run_kiosk_bench(ctx.obj.get("url"), checkins, kiosks, out=click.echo)


@bench.command("load")
@click.option("--checkins", type=int, default=500, show_default=True)
@click.option("--kiosks", type=int, default=4, show_default=True)
@click.pass_context
def bench_load(ctx, checkins, kiosks):
    """N kiosks check people in, then every device is returned; double assignments must be 0."""
    from .bench import run_load_bench
    if not 1 <= checkins <= 5000 or not 1 <= kiosks <= 64:
        raise click.BadParameter("1-5000 check-ins, 1-64 kiosks")
    result = run_load_bench(ctx.obj.get("url"), checkins, kiosks, out=click.echo)
    if result["double_assignments"] or result["errors"] or result["return_errors"]:
        ctx.exit(1)


@bench.command("services")
@click.pass_context
def bench_services(ctx):
    """Start-up time and resident memory of the kiosk, panel and agent services."""
    from .bench import run_services_bench
    run_services_bench(ctx.obj.get("url"), out=click.echo)


@bench.command("panel")
@click.option("--candidates", type=int, default=2000, show_default=True)
@click.option("--boards", type=int, default=50, show_default=True, help="Open live boards.")
@click.pass_context
def bench_panel(ctx, candidates, boards):
    """Board render time and the delay from a check-in to N open live boards."""
    from .bench import run_panel_bench
    if not 1 <= candidates <= 20000 or not 1 <= boards <= 200:
        raise click.BadParameter("1-20000 candidates, 1-200 boards")
    run_panel_bench(ctx.obj.get("url"), candidates, boards, out=click.echo)


if __name__ == "__main__":  # pragma: no cover
    main()
