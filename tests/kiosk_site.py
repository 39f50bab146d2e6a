"""A venue ready for check-ins, for the kiosk tests: roster, cabinet on a simulator, kiosks."""

from __future__ import annotations

import dataclasses
import datetime as dt

from attestation import accounts, mrz, venues
from attestation.db import Database
from attestation.models import Candidate, RosterEntry

from factories import ACTOR, people


@dataclasses.dataclass
class Site:
    db: Database
    venue_id: int
    sitting_id: int
    tokens: list[str]
    people: list[dict]

    def mrz_of(self, n: int) -> str:
        p = self.people[n]
        century_sex = p["iin"][6]
        return mrz.build_td1(document_number=f"0{p['iin'][4:12]}", iin=p["iin"],
                             birth_date=p["iin"][:6], sex="M" if century_sex in "135" else "F",
                             expiry_date="301231", surname="TESTOVA", given_names="AIGERIM")


def build_site(db: Database, port: str, *, cells: int = 8, candidates: int = 6,
               kiosks: int = 2, status: str = "open", today: dt.date | None = None) -> Site:
    from attestation.timeutil import local_today

    group = people(candidates, seed=42)
    with db.write() as s:
        venue = venues.add_venue(s, "KSK", "Сынақ орталығы", "Тестовый центр", "", ACTOR)
        sitting = venues.add_sitting(s, venue, today or local_today(), dt.time(9), None, ACTOR,
                                     status=status)
        cab = venues.add_cabinet(s, venue, "cab-1", "rs485-8a", port, {"timeout": 0.1}, True, ACTOR)
        for n in range(1, cells + 1):
            venues.add_cell(s, cab, n, 1 + (n - 1) // 8, 1 + (n - 1) % 8, True, ACTOR)
        for p in group:
            cand = Candidate(**p)
            s.add(cand)
            s.flush()
            s.add(RosterEntry(sitting_id=sitting.id, candidate_id=cand.id))
        tokens = [accounts.add_kiosk(s, f"kiosk-{k}", venue, cab.id, ACTOR)[1] for k in range(kiosks)]
        return Site(db, venue.id, sitting.id, tokens, group)
