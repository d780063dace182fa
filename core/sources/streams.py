"""The raw streams behind the inputs that are not one regular file read at once: a FIFO,
device or pipe read with poll and a byte limit (`Waiting`), a caller's stream read through
a byte limit (`Counted`), and a stream whose first bytes were already read (`Prepend`, for
the line-by-line readers). Each is an `io.RawIOBase` (an ABCMeta class, dear to build), so
they live here, imported by the first input that needs one: a `show` of a dump file never
does (the byte limit and the wait are `inputs`' to set)."""

from __future__ import annotations

import io
import os
TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from typing import BinaryIO

from ..space import DumpError

SLICE_SECONDS = 0.5  # a wait is polled in slices this long (signals are answered between)


def size_text(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 and not limit % (1 << 20) else f"{limit} bytes"


class TooMuch(DumpError):
    """More bytes than the limit came from a stream."""


def too_much(source: str, limit: int, kind: str) -> DumpError:
    return TooMuch(source, f"{kind}: more than {size_text(limit)}: not one dump "
                             "(save it to a file, or read a fleet with capslot survey)")


class Prepend(io.RawIOBase):
    """A raw stream that replays `head` before reading on from `rest`."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head, self._rest = memoryview(head), rest

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:  # type: ignore[override] - RawIOBase types buf as a buffer
        if self._head:
            n = min(len(buf), len(self._head))
            buf[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buf))
        buf[:len(data)] = data
        return len(data)


class Counted(io.RawIOBase):
    """Reads on from a stream given by the caller, refusing more than `limit` bytes."""

    def __init__(self, stream: BinaryIO, source: str, limit: int) -> None:
        self._stream, self._source, self._limit, self._total = stream, source, limit, 0
        self._kind = "standard input"

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:  # type: ignore[override] - RawIOBase types buf as a buffer
        if self._total > self._limit:
            raise too_much(self._source, self._limit, self._kind)
        try:
            data = self._stream.read(min(len(buf), self._limit + 1 - self._total))
        except OSError as exc:
            raise DumpError(self._source, f"read failed: {exc.strerror or exc}") from None
        self._total += len(data)
        if self._total > self._limit:
            raise too_much(self._source, self._limit, self._kind)
        buf[:len(data)] = data
        return len(data)


class Waiting(io.RawIOBase):
    """A FIFO, device or pipe read with poll: each read waits at most `wait` seconds for
    data (None: as long as it takes), and no more than `limit` bytes (None: any number)
    are read in all. The wait is cut in slices (`SLICE_SECONDS`) so that a signal's
    Python handler runs within a slice even when the signal came just before the process
    sat down to wait."""

    def __init__(self, fd: int, source: str, kind: str, limit: int | None, wait: float | None,
                 own: bool = True) -> None:
        self._fd, self._source, self._kind, self._own = fd, source, kind, own
        self._limit, self._wait, self._total = limit, wait, 0
        import select  # only a FIFO, device or pipe is polled: no extension module loaded for a file

        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN)

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        if not self.closed and self._own:
            os.close(self._fd)
        super().close()

    def _ready(self) -> None:
        """Waits until the fd polls readable (data, end of file or error)."""
        waited = 0.0
        while True:
            step = SLICE_SECONDS if self._wait is None else min(SLICE_SECONDS, self._wait - waited)
            if self._poll.poll(max(0, int(step * 1000))):
                return
            waited += step
            if self._wait is not None and waited >= self._wait:
                raise DumpError(self._source, f"{self._kind}: no data after {self._wait:g} s "
                                              "(is anything writing to it?)")

    def readinto(self, buf) -> int:  # type: ignore[override] - RawIOBase types buf as a buffer
        limit = self._limit
        if limit is not None and self._total > limit:
            raise too_much(self._source, limit, self._kind)
        want = len(buf) if limit is None else min(len(buf), limit + 1 - self._total)
        while True:
            # Poll first: a FIFO with no writer yet reads as end of file, but polls as
            # not ready until a writer sends data (or the wait runs out).
            self._ready()
            try:
                data = os.read(self._fd, want)
            except BlockingIOError:
                continue  # woken, but the data went to another reader
            except OSError as exc:
                raise DumpError(self._source, f"read failed: {exc.strerror or exc}") from None
            break
        self._total += len(data)
        if limit is not None and self._total > limit:
            raise too_much(self._source, limit, self._kind)
        buf[:len(data)] = data
        return len(data)
