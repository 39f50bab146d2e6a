"""Building blocks for tests: invented people with valid IINs, a venue, a sitting, a cabinet."""

from __future__ import annotations

import datetime as dt
import random

from attestation import audit, iin, venues
from attestation.models import Candidate, RosterEntry
from attestation.timeutil import local_today

ACTOR = audit.Actor("test:suite", "test")

LAST = ["Әбенова", "Нұрланов", "Қасымова", "Серікбаев", "Иванова", "Ғалымжанов", "Өтебаева",
        "Петров", "Құрманғалиев", "Һасенова"]
FIRST = ["Әйгерім", "Нұржан", "Гүлнұр", "Ерлан", "Мария", "Айгүл", "Дәулет", "Сергей"]


def make_iin(n: int, seed: int = 0) -> str:
    rnd = random.Random(n * 7919 + seed)
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rnd.randrange(0, 365 * 40))
    return iin.generate(born, rnd.choice("MF"), rnd.randrange(0, 9000))


def people(count: int, seed: int = 0) -> list[dict]:
    out, seen = [], set()
    n = 0
    while len(out) < count:
        value = make_iin(n, seed)
        n += 1
        if value in seen:
            continue
        seen.add(value)
        out.append({"iin": value, "last_name": LAST[n % len(LAST)],
                    "first_name": FIRST[n % len(FIRST)], "middle_name": "",
                    "organization": "ЦСО №1", "position": "социальный работник"})
    return out


def setup_venue(session, *, cells: int = 4, candidates: int = 4, status: str = "open",
                day: dt.date | None = None, driver="rs485-8a", port="loop://"):
    """A venue, a sitting today (open), a cabinet of ``cells`` cells, ``candidates`` entries."""
    venue = venues.add_venue(session, "TST", "Сынақ орталығы", "Тестовый центр", "", ACTOR)
    sitting = venues.add_sitting(session, venue, day or local_today(), dt.time(9, 0), None,
                                 ACTOR, status=status)
    cabinet = venues.add_cabinet(session, venue, "cab-1", driver, port, {}, True, ACTOR)
    for n in range(1, cells + 1):
        venues.add_cell(session, cabinet, n, 1 + (n - 1) // 8, 1 + (n - 1) % 8, True, ACTOR)
    entries = []
    for person in people(candidates):
        cand = Candidate(**person)
        session.add(cand)
        session.flush()
        entry = RosterEntry(sitting_id=sitting.id, candidate_id=cand.id)
        session.add(entry)
        session.flush()
        entries.append(entry)
    return venue, sitting, cabinet, entries
