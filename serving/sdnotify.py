"""systemd's notification protocol (sd_notify), without a dependency; a no-op outside systemd."""

from __future__ import annotations

import os
import socket
import threading
import urllib.error
import urllib.request


def notify(message: str) -> bool:
    """Send e.g. ``READY=1`` or ``WATCHDOG=1``; False when not running under systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(message.encode(), address)
        return True
    except OSError:
        return False


def watchdog_interval() -> float | None:
    """Half the watchdog timeout systemd expects us to ping within, in seconds."""
    usec = os.environ.get("WATCHDOG_USEC")
    if not usec or os.environ.get("WATCHDOG_PID", str(os.getpid())) != str(os.getpid()):
        return None
    return int(usec) / 2e6


def ready(host: str, port: int, probe_path: str) -> None:
    """READY=1 for a web service bound to ``port``; then WATCHDOG=1 only while it answers
    an HTTP request on its own socket, so a wedged process is restarted by systemd."""
    interval = watchdog_interval()
    if interval:
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}{probe_path}"
        threading.Thread(target=_watchdog, args=(url, interval), daemon=True).start()
    notify("READY=1")


def _watchdog(url: str, interval: float) -> None:
    stop = threading.Event()
    while not stop.wait(interval):
        try:
            urllib.request.urlopen(url, timeout=interval).close()
        except urllib.error.HTTPError:
            pass  # an answer, even 503 "cabinet unreachable", means the server is alive
        except OSError:
            continue  # no answer: no ping, and systemd restarts us
        notify("WATCHDOG=1")
