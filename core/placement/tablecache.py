"""The shipped device table, parsed once: a marshal cache beside it, in `__pycache__`.

Parsing `quirks.toml` costs every `check`, `place` and explorer start ~5 ms (importing
`tomllib`, parsing, checking each entry), for a file that changes only with capslot. So the
entries parsed from it are kept in `__pycache__/quirks.toml.<cache tag>.table`, written the
first time the table is parsed (as Python writes a .pyc: not when bytecode writing is off,
silently not where the folder cannot be written) and replaced atomically.

The TOML stays the one source of truth: the cache holds a copy of the text it was made from
and is used only when that copy equals the file's text just read (so an edit of any byte, at
any mtime, is seen), for the same file path, cache format and entry fields, and when its
entries' checksum holds. Anything else (a stale, truncated or damaged cache, another Python's)
is ignored and the text is parsed. Only the shipped table is cached: a user's overlay and
`--quirks` files are parsed on every run.
"""

from __future__ import annotations

import marshal
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .quirks import QuirkEntry

FORMAT = 1  # raise when what a cached entry holds changes meaning


def cache_path(source: str) -> str:
    folder, name = os.path.split(source)
    return os.path.join(folder, "__pycache__", f"{name}.{sys.implementation.cache_tag}.table")


def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in cls.__record_fields__)  # type: ignore[attr-defined]


def _header(source: str, text: str, order_base: int, cls: type) -> tuple:
    return (FORMAT, _names(cls), source, order_base, text)


def load(source: str, text: str, order_base: int, cls: type[QuirkEntry]) -> list[QuirkEntry] | None:
    """The cached entries (made by `cls`) of `source` when the cache was made from `text`
    with `order_base` and `cls`'s fields; else None."""
    try:
        with open(cache_path(source), "rb") as f:
            header, crc, body = marshal.loads(f.read())
        if header != _header(source, text, order_base, cls):
            return None
        import zlib

        if zlib.crc32(body) != crc:
            return None
        rows = marshal.loads(body)
        return [cls(*row) for row in rows]
    except Exception:  # noqa: BLE001 - missing, stale or damaged: parse the TOML instead
        return None


def store(source: str, text: str, order_base: int, entries: list[QuirkEntry], cls: type,
          force: bool = False) -> bool:
    """Write the cache of `source`'s entries (atomically; nothing when it cannot be, or when
    bytecode writing is off, unless `force`). Whether it was written."""
    if sys.dont_write_bytecode and not force:
        return False
    import zlib

    names = _names(cls)
    body = marshal.dumps(tuple(tuple(getattr(e, n) for n in names) for e in entries))
    data = marshal.dumps((_header(source, text, order_base, cls), zlib.crc32(body), body))
    path = cache_path(source)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:  # a folder not writable (a system install), a full disk: parsed next time
        import contextlib

        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False
    return True

