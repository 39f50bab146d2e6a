"""The drivers by name, each with the facts that belong to it (like gpiozero's pin factories).

A driver class carries its ``kind`` (the name stored with a cabinet), its ``baudrate``
(None for GPIO), the address of its ``first_board`` and the last address a bus scan
tries, its default sensor polarity, and ``from_settings`` (how it is built from a
cabinet's settings).  Nothing outside this package repeats those facts.
"""

from __future__ import annotations

from .base import LockDriver
from .errors import ConfigError
from .gpio import Gpio
from .kerong import Kerong
from .rs485_8a import Rs485_8A

#: Every driver, by its kind.
DRIVERS: dict[str, type[LockDriver]] = {cls.kind: cls for cls in (Rs485_8A, Kerong, Gpio)}


#: The serial drivers by the protocol name their simulator speaks.
BY_PROTOCOL: dict[str, type[LockDriver]] = {cls.simulator_protocol: cls for cls in DRIVERS.values()
                                            if cls.simulator_protocol}


def driver_class(kind: str) -> type[LockDriver]:
    """The driver class of ``kind``, or :class:`ConfigError` listing the known ones."""
    try:
        return DRIVERS[kind]
    except KeyError:
        raise ConfigError(f"unknown driver {kind!r}; use one of {', '.join(DRIVERS)}") from None


def make_driver(kind: str, port: str = "", settings: dict | None = None, *, boards=None,
                door_open_when_set: bool | None = None, trace=None, pin_factory=None
                ) -> LockDriver:
    """A ready driver of ``kind``; see each class's ``from_settings`` for its settings.

    ``door_open_when_set`` None takes the driver's own default polarity.
    """
    cls = driver_class(kind)
    if door_open_when_set is None:
        door_open_when_set = cls.default_door_open_when_set
    return cls.from_settings(port, dict(settings or {}), boards=boards,
                             door_open_when_set=door_open_when_set, trace=trace,
                             pin_factory=pin_factory)
