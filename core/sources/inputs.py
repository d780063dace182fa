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
file (read streaming, no limit) or in `survey`. (The streams that poll and count are
`streams.py`'s, imported by the first input that is not a regular file, or too large.)
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
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    return "special file"


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
        from .streams import Waiting  # a FIFO or device: not a dump file's run

        raw = Waiting(fd, path, _kind(st.st_mode), STREAM_LIMIT if limit is None else limit,
                      WAIT_SECONDS if wait is None else wait)
    except BaseException:
        os.close(fd)
        raise
    return io.BufferedReader(raw, 1 << 16), None


def bounded(stream: BinaryIO, source: str, limit: int | None = None) -> BinaryIO:
    """A stream the caller gives (in place of standard input) read through a byte limit."""
    from .streams import Counted

    return io.BufferedReader(Counted(stream, source, STREAM_LIMIT if limit is None else limit),
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
    from .streams import Waiting

    return io.BufferedReader(Waiting(fd, "-", "standard input", limit, None, own=False), 1 << 16)


def read_limited(path: str, limit: int, what: str, **messages: str) -> bytes:
    """The whole of a small file (a device table): at most `limit` bytes are read, and a
    larger file, or an endless device, is refused without holding more than that.
    `messages`: `missing` and `directory` texts for open_input."""
    stream, size = open_input(path, limit, **messages)
    with stream:
        if size is not None and size > limit:
            from .streams import size_text

            raise DumpError(path, f"{what} is larger than {size_text(limit)} ({size} bytes)")
        data: bytes | None
        try:
            data = stream.read(limit + 1)
        except DumpError as exc:
            from .streams import TooMuch

            if not isinstance(exc, TooMuch):
                raise
            data = None  # a FIFO or device gave more than the limit
        except OSError as exc:
            raise DumpError(path, f"read failed: {exc.strerror or exc}") from None
    if data is None or len(data) > limit:
        from .streams import size_text

        raise DumpError(path, f"{what} is larger than {size_text(limit)}")
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
