"""``make demo``: the whole system on one machine, the embedded default (SQLite), with a
simulated cabinet, in a throwaway directory (``var/demo``) that nothing real ever uses.

It creates a venue, an open sitting for today, invented candidates (valid IINs that
belong to nobody), a cabinet of two simulated "8A" boards of 8 locks on a pseudo-terminal,
and a kiosk; then runs the board simulator, the cabinet agent, a local stand-in of the
digital documents service and the kiosk app, and prints what to try.  A simulated
*serial* scanner is attached to the kiosk: what you type at the ``scan>`` prompt arrives
at the kiosk page as if scanned.  Ctrl-C stops everything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import pathlib
import random
import select
import shutil
import signal
import sys
import threading
import time
import typing
import urllib.error
import urllib.request

from kiosk import create_app
from locker_driver.pty_device import PtyDevice
from locker_driver.simulator import BoardSimulator, PtyServer
from web import create_app as create_panel
from web.live_server import create_asgi

from agent import CabinetAgent
from attestation import accounts, audit, audit_anchor, commission, iin, mrz, venues
from attestation import db as dbmod
from attestation.models import Candidate, RosterEntry
from attestation.timeutil import local_today
from attestation.vocabulary import Role
from fake_services import phone_screen
from fake_services.digital_id import FakeDigitalDocuments
from serving import asgi_server, waitress_server

DEMO_DIR = pathlib.Path("var/demo")
KIOSK_PORT = int(os.environ.get("DEMO_KIOSK_PORT", "8081"))
PANEL_PORT = int(os.environ.get("DEMO_PANEL_PORT", "8082"))
#: Demo logins, one per role (printed at start; this database is thrown away on exit).
USERS = [("secretary", "secretary", "Ғалия Сейітова"), ("chair", "chair", "Бақыт Омаров"),
         ("member", "member", "Елена Ким"), ("operator", "operator", "Арман Жұмабаев"),
         ("admin", "admin", "Техник")]
ACTOR = audit.Actor("demo:setup", "demo")

PEOPLE = [  # invented people; birth dates and serials feed iin.generate
    ("Әбенова", "Әйгерім", "Нұрланқызы", dt.date(1988, 4, 12), "F", "ABENOVA", "AIGERIM"),
    ("Серікбаев", "Ерлан", "Қайратұлы", dt.date(1979, 11, 3), "M", "SERIKBAYEV", "YERLAN"),
    ("Иванова", "Мария", "Петровна", dt.date(1992, 2, 29), "F", "IVANOVA", "MARIYA"),
    ("Құрманғалиев", "Дәулет", "Асқарұлы", dt.date(1985, 7, 21), "M", "KURMANGALIYEV", "DAULET"),
    ("Өтебаева", "Гүлнұр", "Серікқызы", dt.date(1990, 9, 9), "F", "OTEBAYEVA", "GULNUR"),
    ("Петров", "Сергей", "Иванович", dt.date(1975, 5, 30), "M", "PETROV", "SERGEY"),
    ("Нұрланов", "Нұржан", "Бекұлы", dt.date(1995, 12, 1), "M", "NURLANOV", "NURZHAN"),
    ("Ғалымжанова", "Айгүл", "Маратқызы", dt.date(1983, 6, 15), "F", "GALYMZHANOVA", "AIGUL"),
]


class Person(typing.NamedTuple):
    """A candidate of the demo and the documents they can show."""

    last_name: str
    first_name: str
    iin: str
    card: str  #: the ID card's machine-readable zone (three lines)
    qr: str    #: what their digital ID's QR code reads


def _build(database: dbmod.Database, port: str, fake) -> tuple[list[Person], str]:
    people = []
    with database.write() as s:
        venue = venues.add_venue(s, "DEMO", "Демо өткізу орны", "Демо место проведения",
                                 "Астана", ACTOR)
        sitting = venues.add_sitting(s, venue, local_today(), dt.time(9, 0), None, ACTOR,
                                     status="open")
        cab = venues.add_cabinet(s, venue, "demo-cab", "rs485-8a", port, {}, True, ACTOR)
        number = 0
        for board in (1, 2):
            for lock in range(1, 9):
                number += 1
                venues.add_cell(s, cab, number, board, lock, True, ACTOR)
        for k, (last, first, middle, born, sex, lat_last, lat_first) in enumerate(PEOPLE):
            value = iin.generate(born, sex, 4100 + 37 * k)
            cand = Candidate(iin=value, last_name=last, first_name=first, middle_name=middle,
                             organization="«Әлеуметтік көмек орталығы» КММ",
                             position="әлеуметтік жұмыс жөніндегі маман")
            s.add(cand)
            s.flush()
            s.add(RosterEntry(sitting_id=sitting.id, candidate_id=cand.id))
            card = mrz.build_td1(document_number=f"0{value[3:11]}", iin=value,
                                 birth_date=value[:6], sex=sex, expiry_date="320101",
                                 surname=lat_last, given_names=lat_first)
            qr = fake.add(f"https://digital-documents.demo/d/{value[-6:]}{k}", iin=value,
                          last_name=last, first_name=first, middle_name=middle)
            people.append(Person(last, first, value, card, qr))
        commission.record(s, sitting, chair="Бақыт Омаров", secretary="Ғалия Сейітова",
                          others=["Елена Ким", "Ұлан Тоқтаров"], actor=ACTOR)
        _, token = accounts.add_kiosk(s, "demo-kiosk", venue, cab.id, ACTOR)
        for name, role, full_name in USERS:
            accounts.add_user(s, name, role, f"demo-{name}-2026", full_name, ACTOR,
                              venues=[venue], all_venues=role == Role.ADMIN)
    return people, token


def _wait_ready(agent, urls, timeout: float = 30.0) -> None:
    """Until the agent has given its first sign of life and both servers answer."""
    deadline = time.monotonic() + timeout
    agent.ready.wait(timeout)
    for url in urls:
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except urllib.error.HTTPError:
                break  # it answered
            except OSError:
                time.sleep(0.05)


def _show(view: pathlib.Path, text: str, seconds: float = 4.0) -> None:
    """Hold a phone (a QR) or an ID card (a 12-digit IIN) in front of the virtual camera."""
    kind = "card" if text.isdigit() else "phone"
    scene = dataclasses.replace(phone_screen.random_scene(kind, text, random.Random(text)),
                                blur=0.0, noise=0.0, module_px=3.0)
    tmp, shown = view / ".held.tmp", view / "held.png"
    phone_screen.render(scene, seed=1).save(tmp, "PNG")
    os.replace(tmp, shown)
    threading.Timer(seconds, lambda: shown.unlink(missing_ok=True)).start()


@dataclasses.dataclass(frozen=True)
class Scan:
    """What a line typed at ``scan>`` does: ``send`` to the serial scanner, or ``show``
    to the camera (an image of a phone's QR or an ID card's barcode)."""

    action: str
    payload: str


def parse_scan(line: str, people: list[Person]) -> Scan | None:
    """``1`` the MRZ of candidate 1, ``qr 2`` / ``bc 3`` their QR or IIN barcode,
    ``show 2`` / ``show card 3`` held up to the camera; anything else is sent as typed
    (None: nothing to send)."""
    words = line.split()
    number = int(words[-1]) if words and words[-1].isdigit() else 0
    person = people[number - 1] if 1 <= number <= len(people) else None
    if person is not None and words[0] == "show":
        return Scan("show", person.iin if "card" in words else person.qr)
    if person is not None and len(words) in (1, 2):
        kind = words[0] if len(words) == 2 else "mrz"
        return Scan("send", {"qr": person.qr, "bc": person.iin}.get(kind, person.card))
    return Scan("send", line) if line else None


def _typed_lines(prompt: str):
    """What is typed at the prompt, a line at a time.

    A select() with a 0.5 s timeout rather than input(): a Ctrl-C that lands between the
    prompt being printed and input() starting to wait (or on another thread) would leave
    input() asleep until the next key press; here it is seen within half a second.  With
    no terminal nothing is ever typed, and the loop only waits for Ctrl-C or SIGTERM."""
    interactive = sys.stdin.isatty()
    while True:
        if not interactive:
            time.sleep(0.5)
            continue
        print(prompt, end="", flush=True)
        while not select.select([sys.stdin], [], [], 0.5)[0]:
            pass
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        yield line.rstrip("\n")


@dataclasses.dataclass
class Rig:
    """Everything the demo runs, in this process."""

    database: dbmod.Database
    pty: PtyServer
    fake: FakeDigitalDocuments
    scanner: PtyDevice
    agent: CabinetAgent
    stop: threading.Event
    app: object
    view: pathlib.Path  #: the virtual camera: whatever image is here is "in view"
    people: list[Person]

    def scan(self, scan: Scan) -> str:
        """Do what a line at ``scan>`` asked; returns what to tell the person typing."""
        if scan.action == "show":
            _show(self.view, scan.payload)
            return "  held up to the camera for 4 s"
        os.write(self.scanner.master, scan.payload.replace("\n", "\r").encode() + b"\r")
        return "  sent to the kiosk: " + scan.payload.replace("\n", " / ")

    def close(self) -> None:
        self.stop.set()
        time.sleep(0.3)
        for name in ("serial_scanner", "camera"):
            if name in self.app.extensions:
                self.app.extensions[name].stop()
        self.fake.stop()
        self.pty.stop()
        self.scanner.close()
        self.database.dispose()


def start_rig(url: str) -> Rig:
    """The database with its venue and people, the simulated cabinet and its agent, the
    digital documents stand-in, the kiosk and the panel, each serving, all ready."""
    dbmod.upgrade(url)
    database = dbmod.Database(url)
    sim = BoardSimulator("8a", boards=(1, 2), locks=8, auto_close=8.0, timing="real")
    pty = PtyServer(sim, link=str(DEMO_DIR / "ttyCABINET"))
    fake = FakeDigitalDocuments(key="demo-key")
    people, token = _build(database, pty.path, fake)

    scanner = PtyDevice(str(DEMO_DIR / "ttySCANNER"))
    stop = threading.Event()
    agent = CabinetAgent(database, "demo-cab")
    threading.Thread(target=agent.run, args=(stop,), daemon=True, name="agent").start()

    view = DEMO_DIR / "camera"
    view.mkdir()
    app = create_app({"DATABASE_URL": url, "KIOSK_TOKEN": token, "DIGITAL_ID_URL": fake.url,
                      "DIGITAL_ID_KEY": "demo-key", "SERIAL_SCANNER_PORT": scanner.path,
                      "KIOSK_CAMERA": f"replay:{view}"})
    threading.Thread(target=waitress_server.run, args=(app, "127.0.0.1", KIOSK_PORT), daemon=True,
                     name="kiosk").start()
    panel = create_panel({"DATABASE_URL": url, "SECRET_KEY": os.urandom(32).hex(),
                          "PANEL_INSECURE_COOKIES": True})  # plain HTTP on loopback, demo only
    live_panel = create_asgi(panel)  # as `kioskctl serve panel` runs it: live boards on uvicorn
    threading.Thread(target=asgi_server.run, args=(live_panel, "127.0.0.1", PANEL_PORT), daemon=True,
                     kwargs={"on_shutdown": live_panel.hub.close_all}, name="panel").start()
    _wait_ready(agent, [f"http://127.0.0.1:{KIOSK_PORT}/healthz",
                        f"http://127.0.0.1:{PANEL_PORT}/panel/healthz"])
    return Rig(database, pty, fake, scanner, agent, stop, app, view, people)


def _print_welcome(rig: Rig) -> None:
    people = rig.people
    print(f"""
Demo running (SQLite {DEMO_DIR}/demo.db, simulated cabinet at {rig.pty.path}).

  Kiosk:  http://127.0.0.1:{KIOSK_PORT}/     (open it in a browser on this machine)
  Panel:  http://127.0.0.1:{PANEL_PORT}/panel/
  API:    http://127.0.0.1:{KIOSK_PORT}/api/v1/openapi.json

Panel logins (user / password):""" + "".join(f"""
  {role:9s}  {name} / demo-{name}-2026""" for name, role, _ in USERS) + """

Candidates on today's roster (invented people):""")
    for n, person in enumerate(people, 1):
        print(f"  {n}. {person.last_name + ' ' + person.first_name:28s} IIN {person.iin}")
    print(f"""
For an API client: the ID card of candidate 1 (MRZ) is
{people[0].card}
and the digital-ID QR of candidate 2 reads {people[1].qr}

Type an IIN on the kiosk's keypad, or "scan" a document here:
  scan> 1          the ID card (MRZ) of candidate 1     scan> qr 2   the digital-ID QR of candidate 2
  scan> bc 3       the IIN barcode of candidate 3       scan> <anything else> is sent as typed
  scan> show 2     candidate 2 holds the phone with the digital-ID QR up to the kiosk's camera
  scan> show card 3  candidate 3 holds up the back of the ID card (its IIN barcode)
Doors of the simulated cabinet close by themselves 8 s after they open.
Ctrl-C stops everything.
""")


def main() -> None:
    if os.environ.get("ATTESTATION_ENV", "").lower() == "production":
        sys.exit("the demo refuses to run with ATTESTATION_ENV=production")
    # Ctrl-C (and SIGTERM) stop cleanly, even when started with SIGINT ignored (as a shell
    # starts a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True)
    # The demo's own audit key and checkpoint file, as tools/install.sh makes them in /etc.
    os.environ[audit_anchor.KEY_ENV] = str(audit_anchor.write_key(DEMO_DIR / "audit.key"))
    os.environ[audit_anchor.CHECKPOINT_FILE_ENV] = str(DEMO_DIR / "audit-checkpoints.jsonl")
    rig = start_rig(f"sqlite:///{DEMO_DIR / 'demo.db'}")
    _print_welcome(rig)
    try:
        for line in _typed_lines("scan> "):
            scan = parse_scan(line, rig.people)
            if scan is not None:
                print(rig.scan(scan))
    except (KeyboardInterrupt, EOFError):
        print("\nstopping…")
    finally:
        rig.close()
