"""The device table: what is known about particular devices' config space.

Files, each overriding the earlier entry by entry (docs/spec/cli.md): the shipped
`quirks.toml` beside this module, the user's `$XDG_CONFIG_HOME/capslot/quirks.toml`, and
`--quirks FILE`. An entry matches vendor and device (a number, a list, or "*"), and
optionally subsystem_vendor, subsystem_device, revision and class (base class, or base
and subclass as 0xBBSS, or the full 0xBBSSPP). The most specific matching entry wins;
among equally specific ones, the one read last.
"""

from __future__ import annotations

import os
from functools import cached_property

from ..lazyre import MULTILINE, LazyPattern
from ..record import field, record, replace
from ..space import ConfigSpace, DumpError

SHIPPED = os.path.join(os.path.dirname(__file__), "quirks.toml")  # a str: no pathlib (~3 ms) for `check`
KEYS = {"vendor", "device", "subsystem_vendor", "subsystem_device", "revision", "class",
        "reserved", "available", "sizes", "source", "offsets", "name"}
_RANGE = LazyPattern(r"^\s*(0x[0-9a-fA-F]+|[0-9a-fA-F]+)\s*-\s*(0x[0-9a-fA-F]+|[0-9a-fA-F]+)\s*$")
_SIZE_KEY = LazyPattern(r"^\s*(0x[0-9a-fA-F]+)\s*@\s*(0x[0-9a-fA-F]+)\s*$")


def parse_range(text: str, source: str, line: int | None = None) -> tuple[int, int]:
    """'0xe00-0xeff' -> (0xe00, 0xf00): END is inclusive in the text, exclusive here."""
    m = _RANGE.match(text)
    if not m:
        raise DumpError(source, f"range {text!r} is not START-END in hex, like 0xe00-0xeff", line)
    start, end = int(m.group(1), 16), int(m.group(2), 16)
    if end < start or end >= 0x1000:
        raise DumpError(source, f"range {text!r} must run forwards inside 0x000-0xfff", line)
    return start, end + 1


def parse_ranges(text: str, source: str = "--ranges") -> tuple[tuple[int, int], ...]:
    return tuple(parse_range(part, source) for part in text.split(",") if part.strip())


@record(slots=False)
class QuirkEntry:
    vendor: int
    devices: tuple[int, ...] | None  # None: any device
    subsystem_vendor: int | None = None
    subsystem_device: int | None = None
    revision: int | None = None
    class_code: int | None = None  # as written: 0xBB, 0xBBSS or 0xBBSSPP
    reserved: tuple[tuple[int, int], ...] = ()
    available: tuple[tuple[int, int], ...] = ()
    sizes: tuple[tuple[int, int, int], ...] = ()  # (id, offset, size)
    offsets: tuple[tuple[str, int], ...] = ()  # (vcap name, offset)
    source: str = ""
    name: str = ""
    origin: str = ""  # the file it came from
    order: int = field(default=0, compare=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)  # said once, then ignored

    @property
    def key(self) -> tuple:
        return (self.vendor, self.devices, self.subsystem_vendor, self.subsystem_device,
                self.revision, self.class_code)

    @property
    def specificity(self) -> int:
        return (self.devices is not None) + sum(x is not None for x in (
            self.subsystem_vendor, self.subsystem_device, self.revision, self.class_code))

    def offset_for(self, vcap: str) -> int | None:
        return next((off for name, off in self.offsets if name == vcap), None)

    def matches(self, cs: ConfigSpace) -> bool:
        if cs.vendor_id != self.vendor:
            return False
        if self.devices is not None and cs.device_id not in self.devices:
            return False
        if self.subsystem_vendor is not None and (not cs.has(0x2C, 2) or cs.u16(0x2C) != self.subsystem_vendor):
            return False
        if self.subsystem_device is not None and (not cs.has(0x2E, 2) or cs.u16(0x2E) != self.subsystem_device):
            return False
        if self.revision is not None and (not cs.has(0x08) or cs.u8(0x08) != self.revision):
            return False
        if self.class_code is not None:
            if not cs.has(0x09, 3):
                return False
            full = cs.u8(0x0B) << 16 | cs.u8(0x0A) << 8 | cs.u8(0x09)
            digits = 2 if self.class_code <= 0xFF else 4 if self.class_code <= 0xFFFF else 6
            if full >> (24 - 4 * digits) != self.class_code:
                return False
        return True



MAX_BYTES = 32 << 20  # bytes of one device-table file: MAX_ENTRIES of 512 bytes (the shipped ones average 325)
MAX_ENTRIES = 65_536  # [[device]] entries in one file
_DEVICE_HEADER = LazyPattern(r"^[ \t]*\[\[[ \t]*device[ \t]*\]\]", MULTILINE)
_U16, _U8, _CLASS = 0xFFFF, 0xFF, 0xFFFFFF


def _int(value, what: str, source: str, line: int | None, top: int | None = None,
         low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DumpError(source, f"{what} must be a number, not {_clip(value)}", line)
    if top is not None and not low <= value <= top:
        raise DumpError(source, f"{what} {value:#x} is outside {low:#x}-{top:#x}", line)
    return value


def _clip(value, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width] + "..."


def _entry_lines(text: str) -> list[int]:
    """The line of each `[[device]]` header, in one pass over the text."""
    lines, line, last = [], 1, 0
    for m in _DEVICE_HEADER.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        lines.append(line)
    return lines


def _read(source: str) -> str:
    from ..sources.inputs import read_limited

    data = read_limited(source, MAX_BYTES, "quirks file", missing="no such quirks file",
                        directory="is a directory, not a quirks file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DumpError(source, "not UTF-8 text (a quirks file is TOML, which is UTF-8)",
                        data.count(b"\n", 0, exc.start) + 1) from None


def load_file(path: str | os.PathLike[str], order_base: int = 0,
              cached: bool = False) -> list[QuirkEntry]:
    """The entries of one device-table file, in one pass (O(size)); at most MAX_BYTES and
    MAX_ENTRIES, and every value checked: what cannot be used is a DumpError with its line.
    `cached` (the shipped table): the entries are taken from the table cache when it was
    made from this very text (see `tablecache`), and the cache is written after a parse."""
    source = str(path)
    text = _read(source)
    if cached:
        from . import tablecache

        entries = tablecache.load(source, text, order_base, QuirkEntry)
        if entries is None:
            entries = _parse(source, text, order_base)
            tablecache.store(source, text, order_base, entries, QuirkEntry)
        return entries
    return _parse(source, text, order_base)


def prepare_cache(source: str | None = None) -> str | None:
    """Parse the shipped table (or `source`) and write its cache, as `make install` does
    (whatever PYTHONDONTWRITEBYTECODE says: it compiles the package's bytecode too). The
    cache's path, or None when it could not be written."""
    from . import tablecache

    source = SHIPPED if source is None else source
    text = _read(source)
    entries = _parse(source, text, 0)
    ok = tablecache.store(source, text, 0, entries, QuirkEntry, force=True)
    return tablecache.cache_path(source) if ok else None


def _parse(source: str, text: str, order_base: int) -> list[QuirkEntry]:
    import tomllib  # here: its parser and regexes cost start-up before any table is read

    lines = _entry_lines(text)
    if len(lines) > MAX_ENTRIES:
        raise DumpError(source, f"more than {MAX_ENTRIES} [[device]] entries ({len(lines)})",
                        lines[MAX_ENTRIES])
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        import re  # an error message's line number (tomllib has imported re already)

        m = re.search(r"line (\d+)", str(exc))
        raise DumpError(source, f"not valid TOML: {str(exc).split(' (at')[0]}",
                        int(m.group(1)) if m else None) from None
    except RecursionError:
        raise DumpError(source, "not valid TOML: nested too deeply") from None
    devices = doc.get("device", [])
    unknown_top = set(doc) - {"device"}
    if unknown_top or not isinstance(devices, list):
        raise DumpError(source, "a quirks file holds [[device]] tables only "
                        f"(found {', '.join(sorted(unknown_top)) or 'device = ...'})")
    if len(devices) > MAX_ENTRIES:
        raise DumpError(source, f"more than {MAX_ENTRIES} [[device]] entries ({len(devices)})")
    return [_entry(entry, source, lines[n] if n < len(lines) else None, n, order_base + n)
            for n, entry in enumerate(devices)]


def _entry(entry: dict, source: str, line: int | None, n: int, order: int) -> QuirkEntry:
    where = f"[[device]] #{n + 1}"
    if not isinstance(entry, dict):
        raise DumpError(source, f"{where} is {_clip(entry)}, not a table of keys", line)
    unknown = set(entry) - KEYS
    if unknown:
        raise DumpError(source, f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                                f"(known: {', '.join(sorted(KEYS))})", line)
    if "vendor" not in entry or "device" not in entry:
        raise DumpError(source, f"{where}: vendor and device are required", line)
    vendor = _int(entry["vendor"], f"{where}: vendor", source, line, _U16)
    dev = entry["device"]
    devices: tuple[int, ...] | None
    if dev == "*":
        devices = None
    elif isinstance(dev, list):
        devices = tuple(_int(d, f"{where}: device", source, line, _U16) for d in dev)
    else:
        devices = (_int(dev, f"{where}: device", source, line, _U16),)

    def table(key: str) -> dict:
        value = entry.get(key, {})
        if not isinstance(value, dict):
            raise DumpError(source, f"{where}: {key} must be a table, not {_clip(value)}", line)
        return value

    def ranges(key: str) -> tuple[tuple[int, int], ...]:
        values = entry.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise DumpError(source, f"{where}: {key} must be a list of \"START-END\" strings, "
                                    f"not {_clip(values)}", line)
        return tuple(parse_range(v, source, line) for v in values)

    sizes = [_size(k, v, f"{where}: sizes", source, line) for k, v in table("sizes").items()]
    offsets = tuple((str(k).lower(), _int(v, f"{where}: offset of {k}", source, line, 0xFFF, 0x40))
                    for k, v in table("offsets").items())
    tops = {"subsystem_vendor": _U16, "subsystem_device": _U16, "revision": _U8, "class": _CLASS}
    opt = {k: _int(entry[k], f"{where}: {k}", source, line, top) if k in entry else None
           for k, top in tops.items()}
    return QuirkEntry(vendor, devices, opt["subsystem_vendor"], opt["subsystem_device"],
                      opt["revision"], opt["class"], ranges("reserved"), ranges("available"),
                      tuple(sizes), offsets, str(entry.get("source", "")), str(entry.get("name", "")),
                      source, order, _offset_warnings(offsets, where, source, line))


_RAW_VCAP = LazyPattern(r"0x[0-9a-f]{1,4}")  # a raw extended ID, as `--add 0x1f:10` names it


def _offset_warnings(offsets: tuple[tuple[str, int], ...], where: str, source: str,
                     line: int | None) -> tuple[str, ...]:
    """A line for each [device.offsets] key no virtual capability is named by (a typo such
    as `pasdi`): the entry is still used, that key never matches."""
    from .vcaps import TEMPLATES

    return tuple(str(DumpError(source, f"warning: {where}: [device.offsets] key {name!r} is "
                                       "not a virtual capability, ignored (one of "
                                       f"{', '.join(TEMPLATES)}, or 0xID)", line))
                 for name, _ in offsets if name not in TEMPLATES and not _RAW_VCAP.fullmatch(name))


def _size(key: str, value, where: str, source: str, line: int | None) -> tuple[int, int, int]:
    """One `sizes` item: (capability id, offset, size), each inside what the config space
    allows. A capability starts DWORD-aligned at 0x40-0xfc (standard, a 2-byte header, ID up
    to 0xff, ending by 0x100) or 0x100-0xffc (extended, a 4-byte header, ID up to 0xffff)."""
    m = _SIZE_KEY.match(key)
    if not m:
        raise DumpError(source, f"{where} key {key!r} is not \"0xID@0xOFFSET\"", line)
    cap_id, offset = int(m.group(1), 16), int(m.group(2), 16)
    extended = offset >= 0x100
    header, end, top_id = (4, 0x1000, 0xFFFF) if extended else (2, 0x100, 0xFF)
    if offset < 0x40 or offset >= 0x1000 or offset % 4:
        raise DumpError(source, f"{where} key {key!r}: a capability starts at a DWORD-aligned "
                                "offset inside 0x40-0xffc", line)
    if cap_id > top_id:
        raise DumpError(source, f"{where} key {key!r}: an {'extended' if extended else 'standard'} "
                                f"capability ID is at most {top_id:#x}", line)
    size = _int(value, f"{where} {key!r}", source, line)
    if size < header or offset + size > end:
        raise DumpError(source, f"{where} {key!r} = {size:#x}: the size must be at least the "
                                f"{header}-byte header and end by {end:#x}", line)
    return cap_id, offset, size


def user_overlay() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "capslot", "quirks.toml")


def _present(path: str) -> bool:
    """Whether the user overlay exists; one that exists but cannot be reached (a folder
    without permission, a symlink loop) is an error, not silently skipped."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise DumpError(str(path), f"cannot read the user device table: "
                                   f"{(exc.strerror or str(exc)).lower()}") from None
    return True


@record(slots=False)
class DeviceTable:
    entries: tuple[QuirkEntry, ...]

    @cached_property
    def by_vendor(self) -> dict[int, tuple[QuirkEntry, ...]]:
        out: dict[int, list[QuirkEntry]] = {}
        for e in self.entries:
            out.setdefault(e.vendor, []).append(e)
        return {k: tuple(v) for k, v in out.items()}

    @classmethod
    def load(cls, extra: str | None = None, use_overlay: bool = True) -> DeviceTable:
        """Shipped table < user overlay < --quirks; later entries replace equal keys."""
        files: list[str] = [SHIPPED]
        overlay = user_overlay()
        if use_overlay and _present(overlay):
            files.append(overlay)
        if extra:
            files.append(extra)
        by_key: dict[tuple, QuirkEntry] = {}
        order = 0
        for n, f in enumerate(files):
            for e in load_file(f, order, cached=n == 0):  # the shipped table: its cache
                by_key[e.key] = e
            order += MAX_ENTRIES
        return cls(tuple(sorted(by_key.values(), key=lambda e: e.order)))

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the table's files hold that is ignored, one line each (file:line: warning: ...)."""
        return tuple(w for e in self.entries for w in e.warnings)

    def match(self, cs: ConfigSpace) -> QuirkEntry | None:
        """Every matching entry, merged: ranges add up; for preferred offsets and sizes the
        more specific (then the later) entry wins."""
        candidates = self.by_vendor.get(cs.vendor_id, ()) if cs.vendor_id is not None else ()
        hits = sorted((e for e in candidates if e.matches(cs)), key=lambda e: (e.specificity, e.order))
        if not hits:
            return None
        if len(hits) == 1:
            return hits[0]
        offsets: dict[str, int] = {}
        sizes: dict[tuple[int, int], int] = {}
        reserved: list[tuple[int, int]] = []
        available: list[tuple[int, int]] = []
        for e in hits:
            offsets.update(e.offsets)
            sizes.update({(i, o): n for i, o, n in e.sizes})
            reserved += [r for r in e.reserved if r not in reserved]
            available += [r for r in e.available if r not in available]
        last = hits[-1]
        return replace(last, reserved=tuple(reserved), available=tuple(available),
                       offsets=tuple(offsets.items()),
                       sizes=tuple((i, o, n) for (i, o), n in sizes.items()),
                       name=" + ".join(e.name for e in hits if e.name),
                       source="; ".join(e.source for e in hits if e.source),
                       origin=", ".join(dict.fromkeys(e.origin for e in hits)))
