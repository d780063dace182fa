"""Reading and writing the files the explorer's dialogs name, off the UI thread.

A path typed into a dialog may be anything: a FIFO nobody writes to, /dev/zero, a huge file,
a directory. Each job here runs in a Textual thread worker (tui/screens/dialogs.py `Dialog`)
and takes a `threading.Event`: set, the job stops within `SLICE` seconds (Escape in the
dialog, the dialog closing, the explorer quitting; the process cannot end while a worker
thread still runs). Dumps that are not regular files are read through core.sources' bounded
readers (non-blocking open, a byte limit), polled here in short slices, with `wait` seconds
at most for the next bytes. What cannot be read is a DumpError, shown in the dialog.
"""

from __future__ import annotations

import contextlib
import os
import select
import stat
import threading
import time

from capslot.core import planfile
from capslot.core.record import replace
from capslot.core.sources import inputs, iter_devices, load
from capslot.core.space import ConfigSpace, DumpError

TYPE_CHECKING = False  # `typing` is for the type checker alone here
if TYPE_CHECKING:
    from typing import BinaryIO

SLICE = 0.1  # seconds between two looks at the cancel flag
WAIT = inputs.WAIT_SECONDS  # the longest wait for the next bytes of a FIFO or device


class Cancelled(Exception):
    """The job was cancelled: its result is not wanted."""


def check(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise Cancelled


class _Interruptible:
    """A FIFO's or device's bounded stream (inputs.open_input), read one poll slice at a
    time: each read waits for data at most `wait` seconds in all, and stops at `cancel`."""

    def __init__(self, stream: BinaryIO, source: str, cancel: threading.Event, wait: float) -> None:
        self._stream, self._source, self._cancel, self._wait = stream, source, cancel, wait
        self._poll = select.poll()
        self._poll.register(stream.fileno(), select.POLLIN)

    def read(self, size: int = -1) -> bytes:
        start = time.monotonic()
        while not self._poll.poll(int(SLICE * 1000)):
            check(self._cancel)
            if time.monotonic() - start >= self._wait:
                raise DumpError(self._source, f"no data after {self._wait:g} s (is anything "
                                              "writing to it?)")
        check(self._cancel)
        # ready: one read of the bounded raw stream (its own poll returns at once; its byte
        # limit refuses an endless device)
        return self._stream.raw.read(size if size >= 0 else 1 << 16) or b""  # type: ignore[attr-defined]


def read_dump(path: str, cancel: threading.Event, wait: float = WAIT) -> list[ConfigSpace]:
    """Every device of `path` (a file, a FIFO or device, or sysfs:BDF), as `capslot tui
    PATH` reads it."""
    if path == "-":  # core reads standard input for "-": here that is the terminal's keys
        raise DumpError(path, "standard input is where the explorer reads its keys: name a file "
                              "(./- for a file called -)")
    if path.startswith("sysfs:"):
        return load(path)
    stream, size = inputs.open_input(path, directory="is a directory (open takes one dump)")
    if size is not None:  # a regular file: read as the commands read it, device by device
        stream.close()
        devices: list[ConfigSpace] = []
        with contextlib.closing(iter_devices(path)) as each:
            for cs in each:
                check(cancel)
                devices.append(cs)
        if not devices:
            raise DumpError(path, "no device found in the dump")
        return devices
    with stream:
        try:
            # core reads a stream the caller gives as standard input ("-"): named back here
            devices = load("-", _Interruptible(stream, path, cancel, wait))  # type: ignore[arg-type]
        except DumpError as exc:
            if exc.source != "-":
                raise
            raise type(exc)(path, exc.what, exc.line) from None
    return [replace(cs, provenance=replace(cs.provenance, source=path)) for cs in devices]


def regular_or_absent(path: str) -> bool:
    """True when `path` is a regular file; False when nothing is there. Anything else (a
    FIFO, a device, a directory) is refused: planfile opens plan files blocking."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise DumpError(path, f"cannot read the plan: {(exc.strerror or str(exc)).lower()}") from None
    if stat.S_ISDIR(mode):
        raise DumpError(path, "is a directory, not a plan file")
    if not stat.S_ISREG(mode):
        raise DumpError(path, "not a regular file: a plan file is one")
    return True


def read_plan(path: str, device: ConfigSpace, cancel: threading.Event
              ) -> tuple[list[planfile.Pinned], str] | None:
    """The placements of plan file `path` for `device` and its fingerprint (planfile.read);
    None when there is no such file yet (it will be created)."""
    if not regular_or_absent(path):
        return None
    check(cancel)
    return planfile.read(path, device)
