"""Driver for a cabinet wired straight to the Pi: one relay per lock, one reed switch per door.

Safety, in order of importance:

* relay outputs are created with ``initial_value=False`` and switched off in
  :meth:`all_off`, and relay pins must be GPIO 9-27, which the Pi pulls *down* at
  reset, so a relay stays off while the Pi boots or after the service crashed;
* an unlock is a bounded pulse (default 300 ms, 100-1000 ms allowed) switched off in a
  ``finally``: a solenoid is never held energised, even if the pulse is interrupted;
* :meth:`open_lock` blocks for the pulse length; the agent calls it from its own loop,
  never from a web request.

Any gpiozero pin factory works: lgpio on a Pi 5 (it writes notification pipes into the
working directory, so the service needs a writable one), or gpiozero's ``MockFactory``
in tests, whose pins keep a state history the tests assert on.

Sensors: ``DigitalInputDevice(pin, pull_up=True)``; with a normally-open reed switch to
ground that closes when the door is shut, the input is *active* when the door is closed,
so such a cabinet has ``door_open_when_set=False`` ("open when clear").
"""

from __future__ import annotations

import threading
import time

from .base import LockDriver
from .errors import ConfigError, PortError

SAFE_RELAY_PINS = range(9, 28)
MIN_PULSE_MS, MAX_PULSE_MS, DEFAULT_PULSE_MS = 100, 1000, 300
BOARD = 1  # a GPIO cabinet is one "board"; its cells are board 1, locks 1..N


def _pin_map(value, what: str) -> dict[int, int]:
    """Accept [17, 27, ...] (lock 1, 2, ...) or {"1": 17, ...}."""
    if value is None:
        return {}
    if isinstance(value, (list, tuple)):
        return {i + 1: int(pin) for i, pin in enumerate(value)}
    if isinstance(value, dict):
        return {int(lock): int(pin) for lock, pin in value.items()}
    raise ConfigError(f"{what}: give a list of GPIO numbers or a {{lock: pin}} mapping")


class Gpio(LockDriver):
    kind = "gpio"
    first_board = last_board = BOARD
    #: A reed switch to ground with the internal pull-up is *active* when the door is shut.
    default_door_open_when_set = False

    @classmethod
    def from_settings(cls, port, settings, *, boards, door_open_when_set, trace=None,
                      pin_factory=None):
        """Settings: ``relay_pins``, ``sensor_pins``, ``active_high``, ``pulse_ms``, ``sensor_pull_up``."""
        return cls(settings.get("relay_pins"), settings.get("sensor_pins"),
                   active_high=bool(settings.get("active_high", True)),
                   pulse_ms=int(settings.get("pulse_ms", DEFAULT_PULSE_MS)),
                   sensor_pull_up=bool(settings.get("sensor_pull_up", True)),
                   door_open_when_set=door_open_when_set, pin_factory=pin_factory)

    def __init__(self, relay_pins, sensor_pins=None, *, active_high: bool = True,
                 pulse_ms: int = DEFAULT_PULSE_MS, door_open_when_set: bool = False,
                 sensor_pull_up: bool = True, pin_factory=None):
        from gpiozero import DigitalInputDevice, DigitalOutputDevice
        from gpiozero.exc import GPIOZeroError

        relays = _pin_map(relay_pins, "relay_pins")
        sensors = _pin_map(sensor_pins, "sensor_pins")
        if not relays:
            raise ConfigError("a GPIO cabinet needs relay_pins")
        bad = sorted(p for p in relays.values() if p not in SAFE_RELAY_PINS)
        if bad:
            raise ConfigError(f"relay pins {bad} are outside GPIO 9-27: only those are pulled "
                              "down at boot, so only they keep a relay off while the Pi starts")
        if not MIN_PULSE_MS <= int(pulse_ms) <= MAX_PULSE_MS:
            raise ConfigError(f"pulse_ms must be {MIN_PULSE_MS}-{MAX_PULSE_MS}, not {pulse_ms}")
        if len(set(relays.values()) | set(sensors.values())) != len(relays) + len(sensors):
            raise ConfigError("a GPIO pin is used twice")
        self.pulse = int(pulse_ms) / 1000
        self.door_open_when_set = door_open_when_set
        self._lock = threading.Lock()
        self.relays = {}
        self.sensors = {}
        try:
            for lock, pin in relays.items():
                self.relays[lock] = DigitalOutputDevice(pin, active_high=active_high,
                                                        initial_value=False,
                                                        pin_factory=pin_factory)
            for lock, pin in sensors.items():
                self.sensors[lock] = DigitalInputDevice(pin, pull_up=sensor_pull_up,
                                                        pin_factory=pin_factory)
        except (GPIOZeroError, OSError, RuntimeError) as exc:
            self.close()
            raise PortError(f"cannot claim GPIO pins: {exc}") from None

    def _check(self, board: int, lock: int | None = None) -> None:
        if board != BOARD:
            raise ConfigError(f"a GPIO cabinet has only board {BOARD}")
        if lock is not None and lock not in self.relays:
            raise ConfigError(f"no relay configured for lock {lock}")

    def open_lock(self, board: int, lock: int) -> None:
        """Energise the lock's relay for exactly one pulse (blocks ``pulse_ms``)."""
        self._check(board, lock)
        relay = self.relays[lock]
        with self._lock:  # one solenoid at a time: limits the supply's peak current
            try:
                relay.on()
                time.sleep(self.pulse)
            finally:
                relay.off()

    def read_doors(self, board: int) -> dict[int, bool]:
        self._check(board)
        return {lock: bool(dev.is_active) == self.door_open_when_set
                for lock, dev in self.sensors.items()}

    def read_door(self, board: int, lock: int) -> bool:
        self._check(board)
        if lock not in self.sensors:
            raise ConfigError(f"lock {lock} has no door sensor")
        return bool(self.sensors[lock].is_active) == self.door_open_when_set

    def all_off(self) -> dict[int, str | None]:
        error = None
        for relay in self.relays.values():
            try:
                relay.off()
            except Exception as exc:  # best effort: switch off every other relay anyway
                error = str(exc)
        return {BOARD: error}

    def health(self) -> dict:
        return {"driver": self.kind, "relays": len(self.relays), "sensors": len(self.sensors),
                "pulse_ms": int(self.pulse * 1000)}

    def close(self) -> None:
        self.all_off()
        for dev in list(self.relays.values()) + list(self.sensors.values()):
            try:
                dev.close()
            except Exception:  # closing is best effort; the pins are released with the process
                pass
