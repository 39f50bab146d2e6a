"""A pseudo-terminal standing in for a USB serial adapter, named as udev names one.

A program is never given the pty's own ``/dev/pts/N``: the kernel hands that number to
the next ``openpty`` anywhere on the machine as soon as the last descriptor on it closes,
so a program that reopens a stale ``/dev/pts/N`` writes into a stranger's terminal (in a
test run, another test's simulator).  Instead each device gets a symlink of its own (a
fresh directory unless a name is given), as a udev rule's ``/dev/ttyRS485`` is.  The link
exists only while the device is plugged in: :meth:`PtyDevice.unplug` removes it before the
pty closes, exactly as udev removes the link when the adapter is pulled out, so a program
that reopens the name gets "no such file" and nothing else.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tty


class PtyDevice:
    """One pty and its link.  ``master`` is the device's side (what the "adapter" writes
    and reads), ``path`` is the name to give the program; ``slave`` stays open here so
    the pty lives while nothing else has it open."""

    def __init__(self, link: str | None = None, *, name: str = "ttySIM"):
        self._own_dir = None if link else tempfile.mkdtemp(prefix="pty-device-")
        self.path = link or os.path.join(self._own_dir, name)
        self.master = self.slave = -1
        self.plug()

    @property
    def plugged(self) -> bool:
        return self.master >= 0

    def plug(self) -> None:
        """A new pty appears at :attr:`path` (the old one, if any, is unplugged first)."""
        if self.plugged:
            self.unplug()
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        tmp = f"{self.path}.tmp{os.getpid()}"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.ttyname(self.slave), tmp)
        os.replace(tmp, self.path)  # atomic: the name is never missing while plugged

    def remove_link(self) -> None:
        if os.path.lexists(self.path):
            os.unlink(self.path)

    def unplug(self, *, close: bool = True) -> None:
        """The link goes first, then (with ``close``) both ends of the pty.  A caller
        still using the descriptors (a pump thread) passes ``close=False`` and calls
        :meth:`close_fds` once it has stopped."""
        self.remove_link()
        if close:
            self.close_fds()

    def close_fds(self) -> None:
        for fd in (self.master, self.slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.master = self.slave = -1

    def close(self) -> None:
        """Unplugged for good: the link and the directory made for it are gone."""
        self.unplug()
        if self._own_dir:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
