"""``kioskctl``: the technician's and secretary's command line, one module per command group.

Every command exits 0 on success; on bad input it prints one line starting with
``error:`` and exits 2 (1 for an unreachable database or a lock board that did not
answer); it never shows a traceback for a user's mistake.
"""

from __future__ import annotations

# A command module registers its group on ``main`` when imported: ``main`` imports it
# when the command is asked for (base.COMMAND_MODULES).
from .base import main

__all__ = ["main"]
