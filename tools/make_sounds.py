"""Write the kiosk's four feedback sounds (kiosk/static/sounds/*.wav): short, distinct tones.

    python tools/make_sounds.py

read     one short high blip: a card or code was read
success  two rising notes: checked in, cell done
staff    three even mid notes: call a staff member
refused  one falling low note: try again

Made here from sine tones (the standard library's ``wave``), so the kiosk needs no
network and no sound library; the files are committed, this script says how.
"""

import math
import pathlib
import struct
import wave

RATE = 16000
OUT = pathlib.Path(__file__).resolve().parent.parent / "kiosk" / "static" / "sounds"

SOUNDS = {
    "read": [(1400, 1400, 0.07)],
    "success": [(660, 660, 0.12), (0, 0, 0.03), (990, 990, 0.18)],
    "staff": [(520, 520, 0.12), (0, 0, 0.08)] * 2 + [(520, 520, 0.12)],
    "refused": [(420, 240, 0.30)],
}


def tone(start_hz: float, end_hz: float, seconds: float) -> list[int]:
    n = int(RATE * seconds)
    fade = max(1, int(RATE * 0.008))  # 8 ms ramps: no click at either end
    out, phase = [], 0.0
    for i in range(n):
        hz = start_hz + (end_hz - start_hz) * i / max(1, n - 1)
        phase += 2 * math.pi * hz / RATE
        envelope = min(1.0, i / fade, (n - 1 - i) / fade)
        out.append(int(0.6 * 32767 * envelope * math.sin(phase)) if hz else 0)
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, parts in SOUNDS.items():
        samples = [s for part in parts for s in tone(*part)]
        with wave.open(str(OUT / f"{name}.wav"), "wb") as f:
            f.setnchannels(1)
            f.setsampwidth(2)
            f.setframerate(RATE)
            f.writeframes(struct.pack(f"<{len(samples)}h", *samples))
        print(f"{name}.wav: {len(samples) / RATE:.2f} s")


if __name__ == "__main__":
    main()
