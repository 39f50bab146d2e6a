"""A check-in process for the crash test: checks in roster entries one by one and prints
``committed ENTRY CELL`` only after each commit returned.  The test kills it at random.

    python tests/crash_worker.py DATABASE_URL VENUE_ID ENTRY_ID...
"""

import sys

from sqlalchemy import text

from attestation import audit, checkin
from attestation.db import Database
from attestation.timeutil import utcnow


def main() -> None:
    url, venue_id, entries = sys.argv[1], int(sys.argv[2]), [int(e) for e in sys.argv[3:]]
    db = Database(url)
    with db.read() as s:  # connected and imported: from here on every moment is a fair kill
        s.execute(text("SELECT 1"))
    print("ready", flush=True)
    actor = audit.Actor("kiosk:crash-test", "kiosk:crash-test")
    for entry_id in entries:
        now = utcnow()
        request = checkin.CheckInRequest(
            entry_id=entry_id, venue_id=venue_id, cabinet_id=None, identified_by="iin",
            language="kk", stages_acknowledged_at=now, rules_acknowledged_at=now, actor=actor)
        try:
            result = db.run_write(checkin.check_in, request)
        except checkin.Refused as exc:
            print(f"refused {entry_id} {exc.code}", flush=True)
            continue
        print(f"committed {entry_id} {result.cell_id}", flush=True)


if __name__ == "__main__":
    main()
