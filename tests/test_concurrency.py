"""Many kiosks at once: no cell held twice, nobody holding two cells, clean refusals."""

import random
import threading
from collections import defaultdict

from sqlalchemy import func, select

from attestation import audit, checkin
from attestation.models import Assignment, RosterEntry
from attestation.timeutil import utcnow

from factories import setup_venue

WORKERS = 8
CANDIDATES = 300
CELLS = 200


def test_concurrent_check_ins(db):
    with db.write() as s:
        venue, _, _, entries = setup_venue(s, cells=CELLS, candidates=CANDIDATES)
        ids = [e.id for e in entries]
    # Every candidate arrives at two kiosks at once: each id is queued twice, close together.
    tasks = [i for i in ids for _ in (0, 1)]
    random.Random(7).shuffle(tasks)
    chunks = [tasks[k::WORKERS] for k in range(WORKERS)]
    results = defaultdict(list)
    errors = []
    start = threading.Barrier(WORKERS)

    def kiosk(n, work):
        actor = audit.Actor(f"kiosk:k{n}", f"k{n}")
        start.wait()
        for entry_id in work:
            now = utcnow()
            try:
                r = db.run_write(checkin.check_in, checkin.CheckInRequest(
                    entry_id, venue_id=venue.id, cabinet_id=None, identified_by="mrz",
                    language="ru", stages_acknowledged_at=now, rules_acknowledged_at=now,
                    actor=actor))
                results[entry_id].append(("ok", r.cell_id, r.repeat))
            except checkin.Refused as exc:
                results[entry_id].append(("refused", exc.code, None))
            except Exception as exc:  # the test fails on any of these
                errors.append(repr(exc))

    threads = [threading.Thread(target=kiosk, args=(n, chunk)) for n, chunk in enumerate(chunks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors[:5]

    with db.read() as s:
        active = s.execute(select(Assignment).where(Assignment.released_at.is_(None))).scalars().all()
        per_cell = s.execute(select(Assignment.cell_id, func.count()).group_by(Assignment.cell_id)
                             .having(func.count() > 1)).all()
        per_entry = s.execute(select(Assignment.roster_entry_id, func.count())
                              .group_by(Assignment.roster_entry_id).having(func.count() > 1)).all()
        checked_in = s.execute(select(func.count()).select_from(RosterEntry)
                               .where(RosterEntry.state == "checked_in")).scalar()
        assert audit.verify(s).ok
    assert per_cell == [] and per_entry == []
    assert len(active) == CELLS == checked_in
    holder = {a.roster_entry_id: a.cell_id for a in active}
    for entry_id in ids:
        outcomes = results[entry_id]
        assert len(outcomes) == 2
        oks = [o for o in outcomes if o[0] == "ok"]
        if entry_id in holder:
            # both kiosks showed the same cell, exactly one of them as the first assignment
            assert len(oks) == 2 and {o[1] for o in oks} == {holder[entry_id]}
            assert sorted(o[2] for o in oks) == [False, True]
        else:
            assert outcomes == [("refused", "cabinet_full", None)] * 2
