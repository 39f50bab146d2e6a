"""Where a check-in's time goes in the kiosk app itself: each API call timed in one
process (Flask's test client, no HTTP, no agent), with the SQL statements, the write
transactions and the CPU time of a check-in.

It separates the app's own cost from what ``bench production`` adds (HTTP, other
processes on the same cores, the agent): the floor under its figures.
"""

from __future__ import annotations

import time

from sqlalchemy import event

from attestation import db as dbmod

from .database import fresh_database
from .production import _setup
from .stats import percentile_ms

CALLS = ("identify", "acknowledge", "checkin")


def run(url: str | None, checkins: int, out=print) -> dict:
    from kiosk import create_app
    with fresh_database(url) as (target, _tmp):
        database = dbmod.Database(target)
        tokens, people = _setup(database, 1, checkins + 10, ["/dev/null"])
        database.dispose()
        app = create_app({"DATABASE_URL": target, "KIOSK_TOKEN": tokens[0]})
        engine = app.extensions["attestation_db"].engine
        statements = [0]
        event.listen(engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
        client = app.test_client()
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        times: dict[str, list[float]] = {name: [] for name in CALLS}

        def call(name: str, body: dict) -> dict:
            t0 = time.perf_counter()
            resp = client.post(f"/api/v1/kiosk/{name}", json=body, headers=headers)
            times[name].append(time.perf_counter() - t0)
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
        statements[0], commits, cpu, wall = 0, dbmod.COMMITS["write"], time.process_time(), time.perf_counter()
        for credential in people[0][10:10 + checkins]:
            check_in(credential)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        result = {"database": engine.dialect.name, "checkins": checkins,
                  **{f"{name}_p50_ms": percentile_ms(times[name], .5) for name in CALLS},
                  **{f"{name}_p99_ms": percentile_ms(times[name], .99) for name in CALLS},
                  "wall_ms": wall * 1000 / checkins, "cpu_ms": cpu * 1000 / checkins,
                  "statements": statements[0] / checkins,
                  "write_transactions": (dbmod.COMMITS["write"] - commits) / checkins}
        engine.dispose()
    out(f"{result['database']}: {checkins} check-ins through the kiosk API in one process (no HTTP, no agent)")
    for name in CALLS:
        out(f"  {name}: p50 {result[name + '_p50_ms']:.1f} ms, p99 {result[name + '_p99_ms']:.1f} ms")
    out(f"  per check-in: {result['wall_ms']:.1f} ms, of it {result['cpu_ms']:.1f} ms CPU (the rest waits "
        f"for the disk or the server); {result['statements']:.1f} SQL statements, "
        f"{result['write_transactions']:.2f} write transactions")
    return result
