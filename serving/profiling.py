"""CPU profiling of a running service, for ``kioskctl bench production --profile``.

With ``ATTESTATION_PROFILE_FILE`` set, the service's first SIGUSR1 starts yappi on every
thread with the CPU clock (time a thread spent waiting for the disk, a board or a lock
is not counted), and the second one stops it and writes the functions' figures to that
file in pstats format.  The bench sends the two around its measured load, so start-up and
idle time stay out.  Without the variable nothing is installed and nothing is imported:
no service pays for it in production.

yappi, not cProfile: cProfile sees only the thread that enabled it, and every service
here does its work on other threads (waitress's workers, one agent per cabinet).
"""

from __future__ import annotations

import os
import signal

PROFILE_FILE_ENV = "ATTESTATION_PROFILE_FILE"


def install_from_env() -> bool:
    """Arm the SIGUSR1 toggle if the environment asks for a profile; True if armed."""
    path = os.environ.get(PROFILE_FILE_ENV)
    if not path:
        return False
    import yappi  # only here: a bench's dependency, never a service's

    def toggle(_signum, _frame):
        if not yappi.is_running():
            yappi.clear_stats()
            yappi.set_clock_type("cpu")
            yappi.start(builtins=True, profile_threads=True)
            return
        yappi.stop()
        partial = f"{path}.part"
        yappi.get_func_stats().save(partial, type="pstat")
        os.replace(partial, path)  # the bench waits for the whole file, never a half one

    signal.signal(signal.SIGUSR1, toggle)
    return True
