"""Where a check-in's time goes in the kiosk app itself: each API call timed in one
process (Flask's test client, no HTTP, no agent), with the SQL statements, the write
transactions and the CPU time of a check-in.

It separates the app's own cost from what ``bench production`` adds (HTTP, other
processes on the same cores, the agent): the floor under its figures.

Each call's statements (by table and kind), CPU and commits are counted apart; with
``profile`` the measured check-ins also run under cProfile and the CPU is told by layer
(the database driver's C calls, SQLAlchemy, Flask and Werkzeug, the project's own code, the
standard library), so a change is aimed at where the time goes, not guessed.
"""

from __future__ import annotations

import collections
import cProfile
import pstats
import re
import time

from sqlalchemy import event

from attestation import db as dbmod

from .database import fresh_database
from .profile_report import by_layer
from .production import _setup
from .stats import percentile_ms

CALLS = ("identify", "acknowledge", "checkin")
_TABLE = re.compile(r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|BEGIN|COMMIT|SAVEPOINT|RELEASE)\b"
                    r"(?:.*?\bFROM\s+(\w+)|\s+(\w+))?", re.S | re.I)


def _statement_kind(sql: str) -> str:
    """"SELECT kiosk_session", "INSERT INTO audit_log", "BEGIN": a statement's verb and table."""
    m = _TABLE.match(sql)
    if not m:
        return sql.split(None, 1)[0].upper()
    verb = m.group(1).upper()
    table = m.group(2) or (m.group(3) if verb != "BEGIN" else "") or ""
    return f"{verb} {table}".strip()


def run(url: str | None, checkins: int, out=print, profile: bool = False) -> dict:
    from kiosk import create_app
    with fresh_database(url) as (target, _tmp):
        database = dbmod.Database(target)
        tokens, people = _setup(database, 1, checkins + 10, ["/dev/null"])
        database.dispose()
        app = create_app({"DATABASE_URL": target, "KIOSK_TOKEN": tokens[0]})
        engine = app.extensions["attestation_db"].engine
        statements = [0]
        current = ["warm-up"]
        kinds: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)

        def counted(_conn, _cursor, sql, *_args):
            statements[0] += 1
            kinds[current[0]][_statement_kind(sql)] += 1
        event.listen(engine, "before_cursor_execute", counted)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        times: dict[str, list[float]] = {name: [] for name in CALLS}
        cpu_of: dict[str, float] = dict.fromkeys(CALLS, 0.0)
        commits_of: dict[str, int] = dict.fromkeys(CALLS, 0)

        def call(name: str, body: dict) -> dict:
            current[0] = name
            t0, c0, w0 = time.perf_counter(), time.process_time(), dbmod.COMMITS["write"]
            resp = client.post(f"/api/v1/kiosk/{name}", json=body, headers=headers)
            times[name].append(time.perf_counter() - t0)
            cpu_of[name] += time.process_time() - c0
            commits_of[name] += dbmod.COMMITS["write"] - w0
            if resp.status_code != 200:
                raise SystemExit(f"{name}: HTTP {resp.status_code} {resp.get_data(as_text=True)[:200]}")
            return resp.get_json()

        def check_in(credential: str) -> None:
            ident = call("identify", {"credential": credential, "language": "kk", "source": "scanner"})
            for what in ("stages", "rules"):
                call("acknowledge", {"session": ident["session"], "what": what})
            call("checkin", {"session": ident["session"], "acknowledged_stages": True,
                             "acknowledged_rules": True})

        for credential in people[0][:10]:  # warm-up: caches, compiled statements
            check_in(credential)
        for name in CALLS:
            times[name].clear()
            cpu_of[name], commits_of[name] = 0.0, 0
        kinds.clear()
        profiler = cProfile.Profile(time.process_time) if profile else None  # CPU, not waits
        statements[0], commits, cpu, wall = 0, dbmod.COMMITS["write"], time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for credential in people[0][10:10 + checkins]:
            check_in(credential)
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        result = {"database": engine.dialect.name, "checkins": checkins,
                  **{f"{name}_p50_ms": percentile_ms(times[name], .5) for name in CALLS},
                  **{f"{name}_p99_ms": percentile_ms(times[name], .99) for name in CALLS},
                  "wall_ms": wall * 1000 / checkins, "cpu_ms": cpu * 1000 / checkins,
                  "statements": statements[0] / checkins,
                  "write_transactions": (dbmod.COMMITS["write"] - commits) / checkins,
                  "per_call": {name: {"cpu_ms": cpu_of[name] * 1000 / checkins,
                                      "statements": sum(kinds[name].values()) / checkins,
                                      "commits": commits_of[name] / checkins,
                                      "kinds": {k: n / checkins for k, n in kinds[name].most_common()}}
                               for name in CALLS}}
        if profiler:
            result["layers_ms"] = {layer: own * 1000 / checkins
                                   for layer, own in by_layer(pstats.Stats(profiler)).items()}
        engine.dispose()
    out(f"{result['database']}: {checkins} check-ins through the kiosk API in one process (no HTTP, no agent)")
    for name in CALLS:
        out(f"  {name}: p50 {result[name + '_p50_ms']:.1f} ms, p99 {result[name + '_p99_ms']:.1f} ms")
    out(f"  per check-in: {result['wall_ms']:.1f} ms, of it {result['cpu_ms']:.1f} ms CPU (the rest waits "
        f"for the disk or the server); {result['statements']:.1f} SQL statements, "
        f"{result['write_transactions']:.2f} write transactions")
    out("  per call, per check-in (acknowledge: both of them):")
    for name, figures in result["per_call"].items():
        kinds_line = ", ".join(f"{k} {n:g}" for k, n in figures["kinds"].items())
        out(f"    {name}: {figures['cpu_ms']:.1f} ms CPU, {figures['statements']:g} statements, "
            f"{figures['commits']:g} commits ({kinds_line})")
    if "layers_ms" in result:
        total = sum(result["layers_ms"].values())
        out("  CPU by layer (under cProfile, which slows the many small calls the most):")
        for layer, ms in result["layers_ms"].items():
            out(f"    {layer}: {ms:.1f} ms ({ms / total:.0%})")
    return result
