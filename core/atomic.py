"""Files the user saves are written atomically: a temporary file beside the target, flushed
to disk, then renamed over it. A crash mid-write leaves the old file as it was.

A new file gets the mode the user's umask gives (0666 less the umask, as `>` in a shell);
a file written over keeps its mode. What cannot be written is a DumpError naming the path
(one line, exit 2), never a traceback.
"""

from __future__ import annotations

import os
import secrets
import stat

from .space import DumpError
import contextlib


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
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
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


def write_atomic(path: str, data: bytes) -> None:
    fd, tmp = create_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            try:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            except OSError as exc:
                raise _cannot(path, exc) from None
        commit(tmp, path)
    except BaseException:
        discard(tmp)
        raise
