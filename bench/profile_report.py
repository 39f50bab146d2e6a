"""Where a service's CPU goes, from the profile ``bench production --profile`` takes.

Each service writes the functions' CPU figures over the measured load
(:mod:`serving.profiling`); this module tells them per check-in: CPU by layer
(:data:`LAYERS`), the SQL statements and commits the process made and the CPU they
cost, and the project's own functions with the most CPU under them.
"""

from __future__ import annotations

import pathlib
import pstats
import re

#: The DB-API calls every statement and every commit go through (SQLAlchemy's dialect).
STATEMENT_CALLS = ("do_execute", "do_execute_no_params", "do_executemany")
COMMIT_CALL = "do_commit"
# A profile's file names -> the layer the README's breakdown names (first match wins).
LAYERS = (("database driver (C)", re.compile(r"sqlite3|psycopg|_pq|'execute' of|'commit' of|'fetch")),
          ("SQLAlchemy", re.compile(r"/sqlalchemy/")),
          ("Flask, Werkzeug, Babel", re.compile(r"/(flask|werkzeug|flask_babel|babel|jinja2|click)/")),
          ("project", re.compile(r"/(attestation|kiosk|webcore|agent|locker_driver|serving)/")),
          ("standard library and the rest", re.compile(r"")))
PROJECT = ("/attestation/", "/agent/", "/kiosk/", "/locker_driver/", "/webcore/", "/serving/")


def by_layer(stats: pstats.Stats) -> dict[str, float]:
    """Own CPU seconds per layer."""
    totals = dict.fromkeys((name for name, _ in LAYERS), 0.0)
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        where = f"{filename} {function}"
        totals[next(name for name, pattern in LAYERS if pattern.search(where))] += own
    return totals


def breakdown(path: pathlib.Path, checkins: int, top: int = 8) -> dict:
    """Per check-in figures of one service's profile (milliseconds of CPU, counts)."""
    stats = pstats.Stats(str(path))
    total = sum(own for (_cc, _nc, own, _cum, _callers) in stats.stats.values())

    def calls(names, in_file="sqlalchemy/engine/default.py"):
        hits = [(nc, cum) for (f, _l, fn), (_cc, nc, _own, cum, _c) in stats.stats.items()
                if fn.rsplit(".", 1)[-1] in names and f.endswith(in_file)]
        return sum(n for n, _ in hits) / checkins, sum(c for _, c in hits) * 1000 / checkins

    statements, statement_ms = calls(STATEMENT_CALLS)
    commits, commit_ms = calls((COMMIT_CALL,))
    own_code = sorted(((cum, f"{fn} ({pathlib.Path(f).parent.name}/{pathlib.Path(f).name})")
                       for (f, _l, fn), (_cc, _nc, _own, cum, _c) in stats.stats.items()
                       if any(part in f for part in PROJECT)), reverse=True)
    return {"cpu_ms": total * 1000 / checkins,
            "layers_ms": {name: s * 1000 / checkins for name, s in by_layer(stats).items()},
            "statements": statements, "statement_ms": statement_ms,
            "commits": commits, "commit_ms": commit_ms,
            "functions_ms": [(name, cum * 1000 / checkins) for cum, name in own_code[:top]]}


def report(name: str, b: dict, out) -> None:
    layers = ", ".join(f"{layer} {ms:.1f}" for layer, ms in b["layers_ms"].items() if ms >= 0.05)
    out(f"  {name}: {b['cpu_ms']:.1f} ms CPU per check-in under the profiler ({layers})")
    out(f"    {b['statements']:.1f} SQL statements ({b['statement_ms']:.1f} ms under them), "
        f"{b['commits']:.2f} commits ({b['commit_ms']:.2f} ms of CPU in them; their fsync "
        f"is a wait, not CPU: `kioskctl bench commit`)")
    out("    most CPU under: " + "; ".join(f"{fn} {ms:.1f}" for fn, ms in b["functions_ms"]))

