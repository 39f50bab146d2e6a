"""The live board for a region: N open boards on one panel process, as production runs it.

The panel runs as ``kioskctl serve panel`` (its own process, timed to READY=1).  This
process plays the browsers: each of ``boards`` clients logs in once (one shared
session), holds the sitting's event stream open on its own socket, and does what
``board.js`` does: applies an ``event: board`` diff when it holds the diff's ``from``
version, and fetches the board JSON otherwise or on ``event: change``.  A writer thread
records check-ins through the domain, one every ``gap`` seconds; the delay is from the
commit to the moment a client holds a board showing that person checked in.

Figures: board JSON and page time, commit to shown on every board p50/p99/max, how many
fetches the clients had to make, and the panel's threads, resident memory and CPU.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import threading
import time
import urllib.parse
import urllib.request
import http.cookiejar


from attestation import accounts, iin, transitions, venues
from attestation import db as dbmod
from attestation.models import Candidate, RosterEntry
from attestation.timeutil import local_today

from .database import fresh_database
from .production import ACTOR, _free_port, _start
from .stats import percentile_ms


def _setup(database: dbmod.Database, candidates: int) -> tuple[int, list[int]]:
    with database.write() as s:
        venue = venues.add_venue(s, "BENCH", "Бенчмарк", "Бенчмарк", "", ACTOR)
        sitting = venues.add_sitting(s, venue, local_today(), dt.time(9), None, ACTOR, status="open")
        people = [Candidate(iin=iin.generate(dt.date(1960, 1, 1) + dt.timedelta(days=k * 7), "MF"[k % 2], k % 9000),
                            last_name=f"Сынақов{k}", first_name="Әлихан", organization="ЦСО")
                  for k in range(candidates)]
        s.add_all(people)
        s.flush()
        entries = [RosterEntry(sitting_id=sitting.id, candidate_id=c.id) for c in people]
        s.add_all(entries)
        accounts.add_user(s, "bench", "secretary", "bench-password-1", "", ACTOR, venues=[venue])
        s.flush()
        return sitting.id, [e.id for e in entries]


def _login(base: str) -> tuple[urllib.request.OpenerDirector, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/panel/login").read().decode()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    opener.open(urllib.request.Request(f"{base}/panel/login", data=urllib.parse.urlencode(
        {"username": "bench", "password": "bench-password-1", "csrf_token": csrf}).encode()))
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return opener, cookie


async def _get(port: int, path: str, cookie: str) -> dict:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nCookie: {cookie}\r\nAccept: application/json\r\n"
                 "Connection: close\r\n\r\n".encode())
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    if b"chunked" in head.lower():
        out, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    return json.loads(body)


class Board:
    """One simulated browser holding the live board."""

    def __init__(self, port: int, cookie: str, sitting_id: int, watched: set[int]):
        self.port, self.cookie, self.sitting_id = port, cookie, sitting_id
        self.watched = watched
        self.version = None
        self.states: dict[int, str] = {}
        self.shown: dict[int, float] = {}  # entry -> when this board first showed it checked in
        self.fetches = 0
        self.diffs = 0

    def _note(self, rows) -> None:
        now = time.perf_counter()
        for r in rows:
            self.states[r["id"]] = r["state"]
            if r["id"] in self.watched and r["state"] == "checked_in":
                self.shown.setdefault(r["id"], now)

    async def fetch(self) -> None:
        self.fetches += 1
        since = f"?since={urllib.parse.quote(self.version)}" if self.version else ""
        got = await _get(self.port, f"/panel/api/sittings/{self.sitting_id}/board{since}", self.cookie)
        self._note(got["rows"] if got["full"] else got["changed"])
        self.version = got["version"]

    async def _event(self, chunk: bytes) -> None:
        event, data = None, b""
        for line in chunk.split(b"\n"):
            if line.startswith(b"event: "):
                event = line[7:]
            elif line.startswith(b"data: "):
                data = line[6:]
        if event == b"board":
            diff = json.loads(data)
            if diff["from"] == self.version:
                self.diffs += 1
                self._note(diff["changed"])
                self.version = diff["version"]
            else:
                await self.fetch()
        elif event == b"change":
            await self.fetch()

    async def run(self, connected: asyncio.Event, counter: list) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(f"GET /panel/api/sittings/{self.sitting_id}/events HTTP/1.1\r\nHost: bench\r\n"
                     f"Cookie: {self.cookie}\r\nAccept: text/event-stream\r\n\r\n".encode())
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"events: {status!r}")
        while (await reader.readline()).strip():
            pass  # the response's headers
        await self.fetch()
        counter[0] += 1
        if counter[0] == counter[1]:
            connected.set()
        try:
            while True:  # chunked transfer encoding: a size line, then the chunk
                size = int((await reader.readline()).strip() or b"0", 16)
                if size == 0:
                    break
                chunk = await reader.readexactly(size + 2)
                await self._event(chunk)
        except asyncio.CancelledError:
            pass
        writer.close()


def run(url: str | None, candidates: int, boards: int, changes: int = 20, gap: float = 0.3,
        out=print) -> dict:
    with fresh_database(url) as (target, tmp):
        database = dbmod.Database(target)
        sitting_id, entry_ids = _setup(database, candidates)
        watched = entry_ids[:changes]
        port = _free_port()
        panel = _start("panel", ["serve", "panel", "--host", "127.0.0.1", "--port", str(port)],
                       {"DATABASE_URL": target, "ATTESTATION_SECRET_KEY": "bench",
                        "ATTESTATION_PANEL_INSECURE_COOKIES": "true"}, tmp)
        try:
            base = f"http://127.0.0.1:{port}"
            opener, cookie = _login(base)

            def timed(path, n=20):
                times = []
                for _ in range(n):
                    t0 = time.perf_counter()
                    opener.open(base + path).read()
                    times.append(time.perf_counter() - t0)
                return times
            json_times = timed(f"/panel/api/sittings/{sitting_id}/board")
            page_times = timed(f"/panel/sittings/{sitting_id}")
            committed: dict[int, float] = {}
            clients = [Board(port, cookie, sitting_id, set(watched)) for _ in range(boards)]

            def writer(start: threading.Event):
                start.wait()
                time.sleep(1.0)
                for entry_id in watched:
                    with database.write() as s:
                        transitions.apply(s, s.get(RosterEntry, entry_id), "check_in", ACTOR)
                    committed[entry_id] = time.perf_counter()
                    time.sleep(gap)

            async def main():
                connected = asyncio.Event()
                counter = [0, boards]
                start = threading.Event()
                thread = threading.Thread(target=writer, args=(start,), daemon=True)
                thread.start()
                tasks = []
                for c in clients:  # open them a few at a time, as a region's staff would
                    tasks.append(asyncio.ensure_future(c.run(connected, counter)))
                    await asyncio.sleep(0.002)
                await asyncio.wait_for(connected.wait(), 120)
                before = panel.sample()
                threads_open = _threads(panel.proc.pid)
                fetches_before = sum(c.fetches for c in clients)
                start.set()
                deadline = time.monotonic() + 30 + changes * gap
                while time.monotonic() < deadline and (thread.is_alive() or any(
                        len(c.shown) < len(watched) for c in clients)):
                    await asyncio.sleep(0.1)
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                return before, threads_open, fetches_before
            before, threads_open, fetches_before = asyncio.run(main())
            after = panel.sample()
        finally:
            panel.stop()
            database.dispose()
    delays = sorted(c.shown[e] - committed[e] for c in clients for e in c.shown if e in committed)
    result = {"database": database.engine.dialect.name, "candidates": candidates, "boards": boards,
              "changes": len(watched),
              "json_p50_ms": percentile_ms(json_times, .5), "page_p50_ms": percentile_ms(page_times, .5),
              "shown_p50_ms": percentile_ms(delays, .5), "shown_p99_ms": percentile_ms(delays, .99),
              "shown_max_ms": delays[-1] * 1000 if delays else float("nan"),
              "deliveries": len(delays), "expected": boards * len(watched),
              "fetches_during": sum(c.fetches for c in clients) - fetches_before,
              "diffs": sum(c.diffs for c in clients),
              "threads": threads_open, "rss_mib": after["rss_mib"],
              "cpu_ms_per_change": (after["cpu_s"] - before["cpu_s"]) * 1000 / max(1, len(watched)),
              "ready_s": panel.ready_s}
    out(f"{result['database']}: one panel process, {boards} open boards of a sitting of {candidates}, "
        f"{len(watched)} check-ins {gap:g} s apart")
    out(f"  board JSON p50 {result['json_p50_ms']:.0f} ms, board page p50 {result['page_p50_ms']:.0f} ms")
    out(f"  check-in committed -> shown on every board: p50 {result['shown_p50_ms']:.1f} ms, "
        f"p99 {result['shown_p99_ms']:.1f} ms, max {result['shown_max_ms']:.1f} ms "
        f"({result['deliveries']}/{result['expected']} deliveries)")
    out(f"  diffs applied from the stream {result['diffs']}, board fetches during the check-ins "
        f"{result['fetches_during']}")
    out(f"  panel: {result['threads']} threads with every board open, RSS {result['rss_mib']:.0f} MiB, "
        f"CPU {result['cpu_ms_per_change']:.1f} ms per check-in, ready in {result['ready_s']:.1f} s")
    return result


def _threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("Threads:")).split()[1])
