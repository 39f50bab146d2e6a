"""Building a driver from a cabinet's settings (as stored in the database or given on the CLI)."""

from __future__ import annotations

from . import protocol_8a, protocol_kerong
from .errors import ConfigError
from .serial_bus import DEFAULT_SILENCE, DEFAULT_TIMEOUT, SerialBus

DRIVERS = ("rs485-8a", "kerong", "gpio")


def make_driver(kind: str, port: str = "", settings: dict | None = None, *, boards=None,
                door_open_when_set: bool = True, trace=None, pin_factory=None):
    """A ready driver.  ``settings`` keys (all optional):

    serial: ``baudrate``, ``timeout`` (s), ``silence`` (s), ``status_bytes`` (8A),
    ``unlock_reply`` (Kerong: status|none);
    gpio: ``relay_pins``, ``sensor_pins``, ``active_high``, ``pulse_ms``, ``sensor_pull_up``.
    """
    settings = dict(settings or {})
    if kind == "gpio":
        from .gpio import Gpio
        return Gpio(settings.get("relay_pins"), settings.get("sensor_pins"),
                    active_high=bool(settings.get("active_high", True)),
                    pulse_ms=int(settings.get("pulse_ms", 300)),
                    sensor_pull_up=bool(settings.get("sensor_pull_up", True)),
                    door_open_when_set=door_open_when_set, pin_factory=pin_factory)
    if kind not in DRIVERS:
        raise ConfigError(f"unknown driver {kind!r}; use one of {', '.join(DRIVERS)}")
    if not port:
        raise ConfigError(f"the {kind} driver needs a port (a device path or a pyserial URL)")
    default_baud = protocol_8a.BAUDRATE if kind == "rs485-8a" else protocol_kerong.BAUDRATE
    bus = SerialBus(port, int(settings.get("baudrate", default_baud)),
                    timeout=float(settings.get("timeout", DEFAULT_TIMEOUT)),
                    silence=float(settings.get("silence", DEFAULT_SILENCE)), trace=trace)
    if kind == "rs485-8a":
        from .rs485_8a import Rs485_8A
        return Rs485_8A(bus, boards or (1,), door_open_when_set=door_open_when_set,
                        status_bytes=int(settings.get("status_bytes", protocol_8a.DEFAULT_STATUS_BYTES)))
    from .kerong import Kerong
    return Kerong(bus, boards or (0,), door_open_when_set=door_open_when_set,
                  unlock_reply=settings.get("unlock_reply", "status"))
