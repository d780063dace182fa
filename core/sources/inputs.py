"""Opening untrusted input paths so that no read can hang or grow without bound: the one
reader of every file capslot reads (dumps, plans, device tables, pci.ids, sysfs attributes).

A regular file is read as it is: its size is known and the readers stream it. Anything
else named by a path (a FIFO, a character or block device) is opened non-blocking, every
read waits at most `WAIT_SECONDS` for data (poll), and at most `STREAM_LIMIT` bytes are
taken from it: a FIFO nobody writes to is refused after the wait, `/dev/zero` after the
limit. Standard input is read blocking (a slow producer such as `ssh host lspci -xxxx`
is the user's choice) but with the same byte limit.

Why 64 MiB: one device of `lspci -xxxx -vvv` text is about 14-20 KB, so 64 MiB is some
3,000-4,500 devices, more than the largest single machine lists; `show` holds every
device of a stream, so the limit also bounds its memory. Larger inputs belong in a
file (read streaming, no limit) or in `survey`.
"""

from __future__ import annotations

import io
import os
import stat
import sys
TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from typing import BinaryIO

from ..space import DumpError

STREAM_LIMIT = 64 << 20  # bytes taken from a pipe, FIFO or device
WAIT_SECONDS = 10.0  # longest wait for the next bytes of a FIFO or device named by path
SLICE_SECONDS = 0.5  # a wait is polled in slices this long (signals are answered between)
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    return "special file"


def _size_text(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 and not limit % (1 << 20) else f"{limit} bytes"


def open_input(path: str, limit: int | None = None, wait: float | None = None,
               directory: str = "is a directory", missing: str = "no such file",
               regular_only: bool = False) -> tuple[BinaryIO, int | None]:
    """A binary stream of `path` and its size (None when it is not a regular file).
    Whatever cannot be opened is a DumpError naming the path; so is a directory, and with
    `regular_only` (a sysfs attribute, which is never anything else) a FIFO or device."""
    try:
        fd = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise DumpError(path, missing) from None
    except PermissionError:
        raise DumpError(path, "permission denied") from None
    except OSError as exc:
        raise DumpError(path, exc.strerror or str(exc)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise DumpError(path, directory)
        if stat.S_ISREG(st.st_mode):
            os.set_blocking(fd, True)
            return os.fdopen(fd, "rb"), st.st_size
        if regular_only:
            raise DumpError(path, f"not a regular file (a {_kind(st.st_mode)})")
        raw = _Waiting(fd, path, _kind(st.st_mode), STREAM_LIMIT if limit is None else limit,
                       WAIT_SECONDS if wait is None else wait)
    except BaseException:
        os.close(fd)
        raise
    return io.BufferedReader(raw, 1 << 16), None


def bounded(stream: BinaryIO, source: str, limit: int | None = None) -> BinaryIO:
    """A stream the caller gives (in place of standard input) read through a byte limit."""
    return io.BufferedReader(_Counted(stream, source, STREAM_LIMIT if limit is None else limit),
                             1 << 16)


def standard_input(limit: int | None) -> BinaryIO:
    """capslot's standard input (`-`), with a byte limit (None: none, for survey, which
    streams). A pipe or terminal is read with poll in slices (no wait limit: a slow
    producer is the user's choice), so SIGTERM is answered while it is silent."""
    stdin = sys.stdin
    if stdin is None:
        raise DumpError("-", "standard input is closed")
    try:
        fd = stdin.fileno()
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError, AttributeError):
        raise DumpError("-", "standard input is closed") from None
    if stat.S_ISREG(mode):  # `< file`: reads end
        return stdin.buffer if limit is None else bounded(stdin.buffer, "-", limit)
    if stat.S_ISDIR(mode):
        raise DumpError("-", "standard input is a directory")
    return io.BufferedReader(_Waiting(fd, "-", "standard input", limit, None, own=False), 1 << 16)


def read_limited(path: str, limit: int, what: str, **messages: str) -> bytes:
    """The whole of a small file (a device table): at most `limit` bytes are read, and a
    larger file, or an endless device, is refused without holding more than that.
    `messages`: `missing` and `directory` texts for open_input."""
    stream, size = open_input(path, limit, **messages)
    with stream:
        if size is not None and size > limit:
            raise DumpError(path, f"{what} is larger than {_size_text(limit)} ({size} bytes)")
        data: bytes | None
        try:
            data = stream.read(limit + 1)
        except TooMuch:  # a FIFO or device gave more than the limit
            data = None
        except OSError as exc:
            raise DumpError(path, f"read failed: {exc.strerror or exc}") from None
    if data is None or len(data) > limit:
        raise DumpError(path, f"{what} is larger than {_size_text(limit)}")
    return data


def read_head(path: str, limit: int) -> tuple[bytes, OSError | None]:
    """The first `limit` bytes of a regular file whose size says nothing (a sysfs attribute
    or config file: sysfs gives them out in pieces), and the error that stopped the read
    early, if one did (a device removed mid-read). Anything but a regular file (a FIFO in a
    fake tree) is a DumpError at once, never waited on."""
    stream, _ = open_input(path, regular_only=True)
    with stream:
        return read_fd(stream.fileno(), limit)


def read_fd(fd: int, limit: int) -> tuple[bytes, OSError | None]:
    """Up to `limit` bytes from `fd` (sysfs hands them out in pieces), and the error that
    stopped the read early, if one did (a device removed mid-read)."""
    chunks: list[bytes] = []
    total = 0
    try:
        while total < limit:
            chunk = os.read(fd, limit - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        return b"".join(chunks), exc
    return b"".join(chunks), None


class TooMuch(DumpError):
    """More bytes than the limit came from a stream."""


def _too_much(source: str, limit: int, kind: str) -> DumpError:
    return TooMuch(source, f"{kind}: more than {_size_text(limit)}: not one dump "
                             "(save it to a file, or read a fleet with capslot survey)")


class _Counted(io.RawIOBase):
    """Reads on from a stream given by the caller, refusing more than `limit` bytes."""

    def __init__(self, stream: BinaryIO, source: str, limit: int) -> None:
        self._stream, self._source, self._limit, self._total = stream, source, limit, 0
        self._kind = "standard input"

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:  # type: ignore[override] - RawIOBase types buf as a buffer
        if self._total > self._limit:
            raise _too_much(self._source, self._limit, self._kind)
        try:
            data = self._stream.read(min(len(buf), self._limit + 1 - self._total))
        except OSError as exc:
            raise DumpError(self._source, f"read failed: {exc.strerror or exc}") from None
        self._total += len(data)
        if self._total > self._limit:
            raise _too_much(self._source, self._limit, self._kind)
        buf[:len(data)] = data
        return len(data)


class _Waiting(io.RawIOBase):
    """A FIFO, device or pipe read with poll: each read waits at most `wait` seconds for
    data (None: as long as it takes), and no more than `limit` bytes (None: any number)
    are read in all. The wait is cut in slices so that a signal's Python handler runs
    within a slice even when the signal came just before the process sat down to wait."""

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
            raise _too_much(self._source, limit, self._kind)
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
            raise _too_much(self._source, limit, self._kind)
        buf[:len(data)] = data
        return len(data)
