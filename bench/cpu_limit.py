"""A Raspberry Pi's core for a benchmark's services: a share of one of this machine's.

A Raspberry Pi 4's Cortex-A72 core does about a third of what one core of the 2-core
development machine does on this project's work (the README's figures), so
``kioskctl bench production --pi`` gives every service process (each kiosk app and each
agent; not the board simulators nor the load, which stand for the hardware and the
people) a CPU quota of :data:`PI_SHARE` of one core, as ``systemd-run --scope -p
CPUQuota=33%`` does: a cgroup of its own with the CFS bandwidth limit, 33.3 ms of CPU in
every 100 ms period.

Where the limit is set, in the order tried:

- cgroup v2 (``/sys/fs/cgroup/cgroup.controllers`` lists ``cpu``): ``cpu.max``;
- cgroup v1 (``/sys/fs/cgroup/cpu``): ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``.

Both need root (or a delegated subtree).  Without either, :func:`limiter` raises
:class:`CpuLimitUnavailable` naming why: a run that only claimed to be Pi-shaped would
print figures of this machine under the Pi's name.
"""

from __future__ import annotations

import contextlib
import os
import pathlib

PI_SHARE = 1 / 3
PERIOD_US = 100_000
ROOT = pathlib.Path("/sys/fs/cgroup")


class CpuLimitUnavailable(RuntimeError):
    """No cgroup this process may limit others' CPU with."""


class Limiter:
    """Puts processes into cgroups of their own, each limited to ``share`` of one core."""

    def __init__(self, base: pathlib.Path, v2: bool, share: float = PI_SHARE):
        self.base, self.v2, self.share = base, v2, share
        self.groups: list[pathlib.Path] = []

    @property
    def quota_us(self) -> int:
        return round(PERIOD_US * self.share)

    def describe(self) -> str:
        where = "cpu.max" if self.v2 else "cpu.cfs_quota_us"
        return (f"each service limited to {100 * self.share:.0f} % of one core "
                f"(cgroup {'v2' if self.v2 else 'v1'} {where}: {self.quota_us} us of CPU every {PERIOD_US} us)")

    def limit(self, pid: int, name: str) -> None:
        group = self.base / f"attestation-bench-{os.getpid()}-{name}"
        group.mkdir()
        self.groups.append(group)
        if self.v2:
            (group / "cpu.max").write_text(f"{self.quota_us} {PERIOD_US}")
        else:
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(self.quota_us))
        (group / "cgroup.procs").write_text(str(pid))  # every thread of the process, and its children

    def close(self) -> None:
        """Remove the groups (their processes have ended: an empty group can go)."""
        for group in self.groups:
            try:
                group.rmdir()
            except OSError:
                pass
        self.groups.clear()


def limiter(share: float = PI_SHARE, root: pathlib.Path = ROOT) -> Limiter:
    """The first cgroup hierarchy here that can limit a process's CPU; see the module."""
    reasons = []
    controllers = root / "cgroup.controllers"
    if controllers.exists():
        if "cpu" in controllers.read_text().split():
            if (root / "cgroup.subtree_control").exists() and "cpu" not in (root / "cgroup.subtree_control").read_text().split():
                try:
                    (root / "cgroup.subtree_control").write_text("+cpu")
                except OSError as exc:
                    reasons.append(f"cgroup v2: cannot enable the cpu controller ({exc})")
            if not reasons:
                return _writable(Limiter(root, True, share), reasons)
        else:
            reasons.append("cgroup v2 without the cpu controller")
    v1 = root / "cpu"
    if (v1 / "cpu.cfs_quota_us").exists():
        return _writable(Limiter(v1, False, share), reasons)
    reasons.append(f"no cgroup v1 cpu hierarchy at {v1}")
    raise CpuLimitUnavailable("cannot limit the services' CPU: " + "; ".join(reasons))


def _writable(lim: Limiter, reasons: list[str]) -> Limiter:
    probe = lim.base / f"attestation-bench-{os.getpid()}-probe"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        reasons.append(f"{lim.base} is not writable ({exc}; run as root)")
        raise CpuLimitUnavailable("cannot limit the services' CPU: " + "; ".join(reasons)) from None
    return lim


@contextlib.contextmanager
def pi_shaped(pi: bool, out, label: str = "Pi-shaped"):
    """A :class:`Limiter` for the run if ``pi`` (its setting told through ``out``), else
    None; its groups are removed when the run ends."""
    lim = limiter() if pi else None
    if lim is not None:
        out(f"{label}: {lim.describe()}")
    try:
        yield lim
    finally:
        if lim is not None:
            lim.close()
