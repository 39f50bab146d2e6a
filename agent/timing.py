"""How fast a cabinet agent works: every figure in seconds, in one frozen value."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class AgentTiming:
    """The agent's clocks (all in seconds).

    ``poll_interval``: how often boards with something to watch (an unlock waiting for
    its door, a door open) are read; half of it while an unlock waits for its door.
    ``quiet_poll_interval``: every board, at least this often (a door forced open is seen
    within it; never shorter than ``poll_interval``).  Reading only the boards that
    matter keeps an idle agent at a few per cent of a Pi's core.
    ``confirm_within``: during a burst of unlocks, the longest a pulsed door waits to be
    read (one opened and shut quickly would otherwise never be seen open).
    ``jam_timeout``: a pulsed door not seen open within this is jammed.
    ``retry_delay``: an unlock whose frame never left waits ``retry_delay * attempts``.
    ``forced_grace``: a door opening this long after a command's pulse still belongs to
    that command, not a forced-open alarm.
    """

    poll_interval: float = 0.2
    quiet_poll_interval: float = 1.0
    confirm_within: float = 0.25
    jam_timeout: float = 5.0
    retry_delay: float = 0.5
    forced_grace: float = 10.0

    def __post_init__(self):
        if self.quiet_poll_interval < self.poll_interval:
            object.__setattr__(self, "quiet_poll_interval", self.poll_interval)

    def poll_every(self, watching_pulse: bool) -> float:
        """Seconds between polls: twice as often while a pulsed door is awaited."""
        return self.poll_interval / 2 if watching_pulse else self.poll_interval
