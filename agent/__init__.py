"""The cabinet agent: the one bridge between the database and ``locker_driver``.

It executes the unlocks queued in the database for its cabinet and watches the doors;
see :mod:`agent.cabinet_agent`.
"""

from .cabinet_agent import CabinetAgent, serve
from .timing import AgentTiming

__all__ = ["AgentTiming", "CabinetAgent", "serve"]
