"""`make demo` runs: the kiosk answers, a typed "scan" reaches it, Ctrl-C stops it cleanly."""

import os
import select
import socket
import subprocess
import sys
import time
import urllib.request

from waiting import stop_process


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Terminal:
    """Reads what the demo prints, keeping what follows a marker for the next wait."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = b""

    def wait_for(self, marker, timeout=60) -> str:
        deadline = time.monotonic() + timeout
        while marker.encode() not in self.buf:
            left = deadline - time.monotonic()
            assert left > 0, f"{marker!r} not seen in: {self.buf.decode(errors='replace')}"
            ready, _, _ = select.select([self.fd], [], [], min(left, 1.0))
            if ready:
                self.buf += os.read(self.fd, 4096)
        head, _, self.buf = self.buf.partition(marker.encode())
        return head.decode(errors="replace") + marker


def test_demo_starts_serves_and_stops(tmp_path):
    port, panel_port = free_port(), free_port()
    master, slave = os.openpty()
    env = dict(os.environ, DEMO_KIOSK_PORT=str(port), DEMO_PANEL_PORT=str(panel_port))
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "demo"], cwd=tmp_path, env=env,
                            stdin=slave, stdout=slave, stderr=slave)
    try:
        term = Terminal(master)
        text = term.wait_for("Ctrl-C stops everything.")
        term.wait_for("scan> ")
        assert f"http://127.0.0.1:{port}/" in text and "IIN" in text
        assert (tmp_path / "var" / "demo" / "demo.db").exists()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            assert r.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert b"kiosk.js" in r.read()
        assert "secretary / demo-secretary-2026" in text
        with urllib.request.urlopen(f"http://127.0.0.1:{panel_port}/panel/login", timeout=10) as r:
            assert r.status == 200 and "Вход".encode() in r.read()
        os.write(master, b"qr 2\n")
        assert "sent to the kiosk: https://digital-documents.demo/d/" in term.wait_for("scan> ")
        os.write(master, b"show 2\n")
        assert "held up to the camera" in term.wait_for("scan> ")
        assert (tmp_path / "var" / "demo" / "camera" / "held.png").exists()
    finally:
        try:
            stop_process(proc)
        finally:
            os.close(master)
            os.close(slave)
    assert proc.returncode == 0


def test_what_is_typed_at_the_scan_prompt():
    from demo import Person, Scan, parse_scan
    from factories import make_iin
    first, second = make_iin(1), make_iin(2)
    people = [Person("Әбенова", "Әйгерім", first, "IDKAZ…\nLINE2\nLINE3", "https://d/1"),
              Person("Серікбаев", "Ерлан", second, "IDKAZ…", "https://d/2")]
    assert parse_scan("1", people) == Scan("send", people[0].card)
    assert parse_scan("qr 2", people) == Scan("send", "https://d/2")
    assert parse_scan("bc 1", people) == Scan("send", first)
    assert parse_scan("show 2", people) == Scan("show", "https://d/2")
    assert parse_scan("show card 1", people) == Scan("show", first)
    assert parse_scan("show 9", people) == Scan("send", "show 9")  # no candidate 9: sent as typed
    assert parse_scan("хабар 3 4", people) == Scan("send", "хабар 3 4")
    assert parse_scan("", people) is None
