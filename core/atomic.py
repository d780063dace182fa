"""Every output capslot writes goes through `Output` (below): a regular file is written
atomically, `-` and /dev/std* are the descriptors they name, a device or FIFO is written in
place. Files the user saves are written atomically: a temporary file beside the target, flushed
to disk, then renamed over it. A crash mid-write leaves the old file as it was.

A new file gets the mode the user's umask gives (0666 less the umask, as `>` in a shell);
a file written over keeps its mode. What cannot be written is a DumpError naming the path
(one line, exit 2), never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import sys

from .lazyre import LazyPattern
from .space import DumpError


class WriteError(DumpError, OSError):
    """A file that cannot be written: reported as one line like bad input (a DumpError),
    and still an OSError for callers that catch those."""


def _cannot(path: str, exc: OSError) -> WriteError:
    return WriteError(path, f"cannot write: {(exc.strerror or str(exc)).lower()}")


def create_temp(path: str) -> tuple[int, str]:
    """A new hidden file beside `path` (`.NAME.XXXXXXXX.tmp`), open for writing, with the
    mode the saved file is to have: the existing file's, else what the umask gives."""
    directory = os.path.dirname(os.path.abspath(path))
    keep: int | None = None
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _cannot(path, exc) from None
    else:
        if stat.S_ISDIR(mode):
            raise WriteError(path, "cannot write: is a directory")
        keep = stat.S_IMODE(mode)
    for _ in range(100):
        # os.urandom(4).hex() is secrets.token_hex(4), without importing secrets (and with
        # it hmac and hashlib) at start-up
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.urandom(4).hex()}.tmp")
        try:
            # 0o666: the kernel takes the umask off, as for any file the user creates
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise _cannot(path, exc) from None
        if keep is not None:
            try:
                os.fchmod(fd, keep)
            except OSError as exc:
                os.close(fd)
                discard(tmp)
                raise _cannot(path, exc) from None
        return fd, tmp
    raise WriteError(path, "cannot write: no free temporary name beside it")


def commit(tmp: str, path: str) -> None:
    """Renames the complete temporary file (flushed to disk by the caller) over `path`."""
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise _cannot(path, exc) from None


def discard(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


# ---------------------------------------------------------------- the one output writer

_FD_ALIAS = LazyPattern(r"/(?:dev/(stdout|stderr|fd/(\d+))|proc/self/fd/(\d+))")
_IN_PLACE_FLAGS = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | os.O_CLOEXEC


def fd_alias(path: str) -> int | None:
    """The descriptor a name such as /dev/stdout, /dev/fd/3 or /proc/self/fd/3 stands for
    (written through a copy of the descriptor, as the shell does for these names), else None."""
    m = _FD_ALIAS.fullmatch(os.path.normpath(path))
    if m is None:
        return None
    name, dev_fd, proc_fd = m.groups()
    return {"stdout": 1, "stderr": 2}[name] if name else int(dev_fd or proc_fd)


class _Borrowed:
    """sys.stdout or sys.stderr written as bytes (whatever they are now: a test may have
    put a text buffer there); flushed, never closed."""

    def __init__(self, stream, path: str) -> None:
        if stream is None:
            raise WriteError(path, "cannot write: it is closed")
        self._stream = stream

    def write(self, data: bytes) -> None:
        binary = getattr(self._stream, "buffer", None)
        if binary is not None:
            binary.write(data)
        else:
            self._stream.write(data.decode("utf-8", "replace"))

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()

    def close(self) -> None:
        self._stream.flush()


class Output:
    """Where one output goes, chosen by what is at the path (one rule for every `-o` and for
    the explorer's export):

    - `-` and /dev/stdout (or /dev/stderr, /dev/fd/1, /proc/self/fd/2, ...): the process's
      own standard output (or error), written as it is, never opened anew; /dev/fd/N for
      another N: a copy of that descriptor;
    - a character device (/dev/null, a terminal) or a FIFO: opened for writing in place,
      never created, truncated or renamed over (a FIFO opening waits for a reader, as a
      shell's `>` does; with `wait_for_reader=False` a FIFO nobody reads is refused);
    - a regular file, or nothing yet (a new file): a temporary file beside it, renamed over
      it by `commit()` (a symbolic link to a regular file stays a link: its target is
      replaced); a new file gets the umask's mode, a replaced one keeps its mode;
    - a directory, a block device, a socket, or a path whose folder is missing: a WriteError
      (one line, exit 2), raised here before anything is written.

    Write with `write()`, then `commit()`; `discard()` (or an exception in a with block)
    leaves a regular file as it was."""

    def __init__(self, path: str, wait_for_reader: bool = True) -> None:
        self.path = path
        self._file: io.BufferedWriter | _Borrowed | None = None
        self._tmp: str | None = None
        self._target = path
        fd = fd_alias(path) if path != "-" else 1
        if fd in (1, 2):  # the process's own standard output or error, as Python holds it
            self._file = _Borrowed(sys.stdout if fd == 1 else sys.stderr, path)
            return
        if fd is not None:
            try:
                self._open(os.dup(fd))
            except OSError as exc:
                raise _cannot(path, exc) from None
            return
        try:
            mode: int | None = os.stat(path).st_mode
        except FileNotFoundError:
            mode = None
        except OSError as exc:
            raise _cannot(path, exc) from None
        if mode is None and path.endswith(("/", os.sep)):
            raise WriteError(path, "cannot write: no such folder")
        if mode is None or stat.S_ISREG(mode):
            self._target = os.path.realpath(path)  # a link to a file: the file is replaced
            folder = os.path.dirname(self._target)
            if not os.path.isdir(folder):
                raise WriteError(path, f"cannot write: no such folder ({folder})")
            fd, self._tmp = create_temp(self._target)
            self._open(fd)
            return
        if stat.S_ISDIR(mode):
            raise WriteError(path, "cannot write: is a directory")
        if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
            raise WriteError(path, "cannot write: not a regular file, a character device or a FIFO")
        flags = _IN_PLACE_FLAGS | (0 if wait_for_reader else os.O_NONBLOCK)
        try:
            fd = os.open(path, flags)  # no O_CREAT, no O_TRUNC: the node stays as it is
        except OSError as exc:
            if exc.errno == errno.ENXIO and stat.S_ISFIFO(mode):
                raise WriteError(path, "cannot write: no process is reading this FIFO") from None
            raise _cannot(path, exc) from None
        if not wait_for_reader:
            os.set_blocking(fd, True)
        self._open(fd)

    def _open(self, fd: int) -> None:
        self._file = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        if self._file is None:
            raise ValueError("write to an output already committed or discarded")
        try:
            self._file.write(data)
        except BrokenPipeError:
            raise  # a reader such as `head` went away: not an error of the output
        except OSError as exc:
            raise _cannot(self.path, exc) from None

    def commit(self) -> None:
        """Everything written: flushed (a temporary file to disk, then renamed over the
        target); a descriptor, device or FIFO is closed."""
        f = self._file
        if f is None:
            return
        try:
            try:
                f.flush()
                if self._tmp is not None:
                    os.fsync(f.fileno())
                self._file = None
                f.close()
            except BrokenPipeError:
                raise
            except OSError as exc:
                raise _cannot(self.path, exc) from None
            if self._tmp is not None:
                commit(self._tmp, self._target)
                self._tmp = None
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Nothing more is kept: the temporary file goes (a device or FIFO keeps what it
        was given)."""
        f, self._file = self._file, None
        if f is not None:
            with contextlib.suppress(OSError):
                f.close()
        if self._tmp is not None:
            tmp, self._tmp = self._tmp, None
            discard(tmp)

    def __enter__(self) -> Output:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def write_output(path: str, data: bytes, wait_for_reader: bool = True) -> None:
    """`data` to `path` by the rule of Output: the one writer of every output capslot makes."""
    with Output(path, wait_for_reader) as out:
        out.write(data)
