"""`systemd-analyze verify` as the tests run it: on unit files outside /etc, with what a
CI machine lacks (cage, installed on the Pi by tools/install.sh) stood in by /bin/true."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest

ON_THE_PI_ONLY = ("/usr/bin/cage",)


def verify(paths: list[pathlib.Path], scratch: pathlib.Path) -> None:
    """Fail the test unless ``systemd-analyze verify`` accepts the units together."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: `make test` installs Debian's systemd")
    copies = []
    for path in paths:
        text = path.read_text()
        for exe in ON_THE_PI_ONLY:
            if not pathlib.Path(exe).exists():
                text = text.replace(exe, "/bin/true")
        copy = scratch / path.name
        copy.write_text(text)
        copies.append(str(copy))
    result = subprocess.run([analyze, "verify", "--man=no", *copies], capture_output=True, text=True)
    problems = [l for l in result.stderr.splitlines()
                if "Failed to" in l or "Unknown" in l or "is not executable" in l or "bad" in l.lower()]
    assert result.returncode == 0 and not problems, result.stderr
