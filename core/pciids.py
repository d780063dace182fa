"""Names from the PCI ID database (`pci.ids`), and the name line lspci prints.

The file is the one pciutils reads (`/usr/share/misc/pci.ids` on Debian,
`/usr/share/hwdata/pci.ids` on Fedora, ...), or one named with `--pci-ids FILE`. It is
untrusted text: its size is bounded, a line lspci would reject is skipped (lspci stops
with "Parse error"), and nothing in it can raise past this module.

Speed: the whole file (1.3 MB, 36,000 lines) is never parsed. Opening it reads the bytes
and finds the start of every top-level line (one regular-expression pass, about 2 ms);
a lookup parses only the one vendor or class block it needs. Measured on the project's
machine: about 4 ms from nothing to the first name, against about 40 ms for a full parse.

The name rules and line formats follow pciutils 3.9.0 (`lib/names.c`, `lib/names-parse.c`,
`lspci.c` show_terse): the same fallbacks ("Device 10ec:8168", "Class 0200",
"Unassigned class [ffff]"), the same 127-character cut with "...". pciutils can also ask
udev's hwdb for names pci.ids lacks; capslot does not.
"""

from __future__ import annotations

import bisect
import io
import os

from .lazyre import LazyPattern
from .record import record
from .space import ConfigSpace, DumpError

SEARCH_PATHS = tuple(f"{d}/pci.ids{gz}" for d in ("/usr/share/misc", "/usr/share/hwdata",
                                                   "/usr/share") for gz in ("", ".gz"))
MAX_FILE = 64 << 20  # bytes read (or decompressed) at most: pci.ids is about 1.4 MB
MAX_LINE = 1022  # pciutils reads lines into 1024 bytes; a longer one is "Line too long"
NAME_BUF = 128  # lspci's classbuf/devbuf: longer names are cut to 127 chars ending "..."
SUBSYS_BUF = 256  # lspci's ssnamebuf for the Subsystem line

_TOP = LazyPattern(rb"\n(?=[^\t\r\n #])")  # where every top-level line starts
# What a top-level line is: a vendor (`10ec  Realtek ...`), a class (`C 02  Network ...`),
# a generic subsystem block (`S 10ec`); anything else only ends the block before it.
_KIND = LazyPattern(rb"([0-9A-Fa-f]{4})[ \t]|C ([0-9A-Fa-f]{2})[ \t]|S ([0-9A-Fa-f]{4})[ \t]?[\r\n]")
_NEXT_LEVEL1 = LazyPattern(rb"\n\t(?!\t)")  # the next line indented by exactly one tab
_LEVEL2 = {4: LazyPattern(rb"\t\t([0-9A-Fa-f]{4})[ \t]([0-9A-Fa-f]{4})[ \t]"),
           2: LazyPattern(rb"\t\t([0-9A-Fa-f]{2})[ \t]")}


def _hex_pattern(value: int, digits: int) -> bytes:
    """`value` as pciutils reads it: hex digits in either case."""
    return b"".join(b"[%s%s]" % (c.encode(), c.upper().encode()) if c.isalpha() else c.encode()
                    for c in f"{value:0{digits}x}")


def _line_text(raw: bytes) -> bytes | None:
    """A line as pciutils keeps it: cut at the first CR/LF, one trailing blank dropped;
    None for a line pciutils would reject as too long."""
    cut = len(raw)
    for ch in (b"\r", b"\n"):
        i = raw.find(ch, 0, MAX_LINE + 2)
        if i != -1:
            cut = min(cut, i)
    raw = raw[:cut]
    if len(raw) > MAX_LINE:
        return None
    if raw[-1:] in (b" ", b"\t"):
        raw = raw[:-1]
    return raw


def _name(rest: bytes | None) -> str | None:
    name = rest.lstrip(b" \t") if rest is not None else b""
    return name.decode("utf-8", "replace") if name else None


class _Block:
    """One top-level block (a vendor or a class). A nested entry is found by searching the
    block for its line (a C-speed scan), so a 4,000-device vendor is never parsed whole."""

    def __init__(self, data: bytes, start: int, end: int, digits: int) -> None:
        self.data, self.start, self.end, self.digits = data, start, end, digits
        self._lines: dict[int, int | None] = {}  # ID -> position of its line (None: absent)
        self._level2: dict[int, dict[int, str]] = {}

    def _find(self, ident: int) -> int | None:
        if ident not in self._lines:
            import re  # a name looked up: no `re` (~3 ms) for a run that shows none

            pattern = re.compile(rb"\n\t" + _hex_pattern(ident, self.digits) + rb"[ \t]")
            m = pattern.search(self.data, self.start, self.end)  # the first wins, as in pciutils
            self._lines[ident] = m.start() + 1 if m else None
        return self._lines[ident]

    def name(self, ident: int) -> str | None:
        pos = self._find(ident)
        if pos is None:
            return None
        line = _line_text(self.data[pos:min(self.end, pos + MAX_LINE + 2)])
        return _name(line[2 + self.digits:]) if line is not None else None

    def nested(self, ident: int) -> dict[int, str]:
        """The level-2 entries under `ident` (subsystems of a device, prog-ifs of a subclass)."""
        found = self._level2.get(ident)
        if found is not None:
            return found
        found = {}
        pos = self._find(ident)
        if pos is not None:
            m = _NEXT_LEVEL1.search(self.data, pos, self.end)
            stop = m.start() if m else self.end
            for raw in self.data[pos:stop].split(b"\n")[1:]:
                line = _line_text(raw)
                m2 = _LEVEL2[self.digits].match(line) if line is not None else None
                entry = _name(line[m2.end():]) if m2 else None
                if m2 is not None and entry is not None:
                    key = (int(m2.group(1), 16) << 16 | int(m2.group(2), 16)
                           if self.digits == 4 else int(m2.group(1), 16))
                    found.setdefault(key, entry)
        self._level2[ident] = found
        return found


class PciIds:
    """The PCI ID database of one file, indexed lazily."""

    def __init__(self, data: bytes, source: str = "pci.ids") -> None:
        self.source = source
        self._data = data = b"\n" + data  # every line, the first too, follows a newline
        self._starts: list[int] = []
        self._vendors: dict[int, int] = {}
        self._classes: dict[int, int] = {}
        self._generic: dict[int, int] = {}  # `S vvvv` generic subsystem blocks
        if len(data) > 1:  # NO_NAMES (made at import, empty) compiles no pattern
            kind = _KIND.match
            for top in _TOP.finditer(data):
                pos = top.end()
                self._starts.append(pos)
                m = kind(data, pos)
                if m is None:
                    continue
                vendor, cls, generic = m.groups()
                if vendor is not None:
                    self._vendors.setdefault(int(vendor, 16), pos)
                elif cls is not None:
                    self._classes.setdefault(int(cls, 16), pos)
                elif generic is not None:
                    self._generic.setdefault(int(generic, 16), pos)
        self._blocks: dict[int, _Block] = {}

    @property
    def empty(self) -> bool:
        return not self._vendors and not self._classes

    def _block(self, table: dict[int, int], ident: int, digits: int) -> _Block | None:
        pos = table.get(ident)
        if pos is None:
            return None
        block = self._blocks.get(pos)
        if block is None:
            i = bisect.bisect_right(self._starts, pos)
            end = self._starts[i] - 1 if i < len(self._starts) else len(self._data)
            block = self._blocks[pos] = _Block(self._data, pos, end, digits)
        return block

    def _head(self, pos: int | None, skip: int) -> str | None:
        if pos is None:
            return None
        line = _line_text(self._data[pos:pos + MAX_LINE + 2])
        return _name(line[skip:]) if line is not None else None

    # ------------------------------------------------------------ lookups

    def vendor(self, vendor: int) -> str | None:
        return self._head(self._vendors.get(vendor), 5)

    def device(self, vendor: int, device: int) -> str | None:
        block = self._block(self._vendors, vendor, 4)
        return block.name(device) if block else None

    def subsystem(self, vendor: int, device: int, sub_vendor: int, sub_device: int) -> str | None:
        """The subsystem's own entry under the device (not the fallbacks lspci adds)."""
        block = self._block(self._vendors, vendor, 4)
        return block.nested(device).get(sub_vendor << 16 | sub_device) if block else None

    def generic_subsystem(self, sub_vendor: int, sub_device: int) -> str | None:
        if sub_vendor not in self._vendors:  # pciutils: "Vendor does not exist"
            return None
        block = self._block(self._generic, sub_vendor, 4)
        return block.name(sub_device) if block else None

    def class_name(self, base: int) -> str | None:
        return self._head(self._classes.get(base), 5)

    def subclass_name(self, base: int, sub: int) -> str | None:
        block = self._block(self._classes, base, 2)
        return block.name(sub) if block else None

    def progif_name(self, base: int, sub: int, progif: int) -> str | None:
        block = self._block(self._classes, base, 2)
        return block.nested(sub).get(progif) if block else None


NO_NAMES = PciIds(b"", "(no pci.ids)")  # lspci's output when no database can be read


# ---------------------------------------------------------------- loading

def read(path: str) -> PciIds:
    """The database in `path` (plain or gzip), read by the one bounded reader of every input
    (core.sources.inputs: at most MAX_FILE bytes; a FIFO or device waits at most its
    WAIT_SECONDS for data). Raises DumpError for a file that cannot be read or holds no
    entries."""
    from .sources.inputs import read_limited

    data = read_limited(path, MAX_FILE, "pci.ids file",
                        missing="no such file (--pci-ids wants a pci.ids file)",
                        directory="is a directory (--pci-ids wants a pci.ids file)")
    if data[:2] == b"\x1f\x8b":
        import gzip  # here: only a compressed pci.ids needs it

        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
                data = unzipped.read(MAX_FILE + 1)
        except (OSError, EOFError, ValueError) as exc:  # gzip.BadGzipFile is an OSError
            raise DumpError(path, f"not a readable gzip file: {exc}") from None
    if len(data) > MAX_FILE:
        raise DumpError(path, f"larger than {MAX_FILE >> 20} MiB: not a pci.ids file")
    ids = PciIds(data, path)
    if ids.empty:
        raise DumpError(path, "no vendor or class entries: not a pci.ids file")
    return ids


def find() -> str | None:
    """The first pci.ids of the usual places that exists."""
    return next((p for p in SEARCH_PATHS if os.path.isfile(p)), None)


_chosen: list[PciIds | None] = [None]  # the --pci-ids file's database, when one was given


def configure(path: str | None) -> None:
    """Use `path` (read now, once: a bad file is an input error, and a FIFO is not read
    twice) instead of the usual places."""
    _chosen[0] = read(path) if path is not None else None  # DumpError before anything shows
    default.cache_clear()


_DEFAULT: list[PciIds] = []  # the one default() made (a list: no functools at start-up)


def default() -> PciIds:
    """The configured database, else the system's, else no names (as lspci without one);
    found once (`default.cache_clear()` forgets it, as functools.lru_cache's would)."""
    if not _DEFAULT:
        _DEFAULT.append(_default())
    return _DEFAULT[0]


default.cache_clear = _DEFAULT.clear  # type: ignore[attr-defined]


def _default() -> PciIds:
    if _chosen[0] is not None:
        return _chosen[0]
    path = find()
    if path is None:
        return NO_NAMES
    try:
        return read(path)
    except DumpError:
        return NO_NAMES  # a broken system file: lspci would stop; capslot shows numbers


# ---------------------------------------------------------------- lspci's wording

def _fit(text: str, size: int = NAME_BUF) -> str:
    """pciutils' snprintf into `size` bytes: a longer name keeps size-1 bytes, the last
    three turned into dots."""
    raw = text.encode("utf-8", "replace")
    if len(raw) < size:
        return text
    raw = raw[:size - 4] + b"..."
    return raw.decode("utf-8", "replace")


def class_text(ids: PciIds, class16: int) -> str:
    """`Ethernet controller`, `Unassigned class [ffff]` (class known, subclass not), or
    `Class 1234` (neither)."""
    base, sub = class16 >> 8 & 0xFF, class16 & 0xFF
    name = ids.subclass_name(base, sub)
    if name is not None:
        return _fit(name)
    name = ids.class_name(base)
    if name is not None:
        return _fit(f"{name} [{class16:04x}]")
    return _fit(f"Class {class16:04x}")


def _pair(vendor_name: str | None, device_name: str | None, first: int, second: int,
          size: int = NAME_BUF) -> str:
    if vendor_name is not None and device_name is not None:
        return _fit(f"{vendor_name} {device_name}", size)
    if vendor_name is None:
        return _fit(f"Device {first:04x}:{second:04x}", size)
    return _fit(f"{vendor_name} Device {second:04x}", size)


def device_text(ids: PciIds, vendor: int, device: int) -> str:
    """`Realtek Semiconductor Co., Ltd. RTL8111/8168/8411 ...`, with lspci's fallbacks."""
    return _pair(ids.vendor(vendor), ids.device(vendor, device), vendor, device)


def subsystem_text(ids: PciIds, vendor: int, device: int, sub_vendor: int,
                   sub_device: int) -> str:
    """The text of lspci -v's `Subsystem:` line."""
    name = None
    if vendor > 0 and device > 0:
        name = ids.subsystem(vendor, device, sub_vendor, sub_device)
    if name is None:
        name = ids.generic_subsystem(sub_vendor, sub_device)
    if name is None and vendor == sub_vendor and device == sub_device:
        name = ids.device(vendor, device)
    return _pair(ids.vendor(sub_vendor), name, sub_vendor, sub_device, SUBSYS_BUF)


def lspci_slot(slot: str) -> str:
    """lspci's slot: `08:00.0`, with the domain only when it is not 0."""
    domain, rest = slot.split(":", 1)
    return slot if int(domain, 16) else rest


@record(slots=False)
class Identity:
    """What lspci's name line is made of (from sysfs attributes or config bytes)."""

    vendor: int
    device: int
    class_code: int  # 24 bits: base, sub, prog-if
    revision: int
    subsystem_vendor: int | None = None
    subsystem_device: int | None = None

    @classmethod
    def from_config(cls, cs: ConfigSpace) -> Identity | None:
        """From the first 64 bytes; None when the IDs were not captured."""
        if not cs.has(0, 0x10):
            return None
        subsystem = (None, None)
        if cs.header_type == 0 and cs.has(0x2C, 4):
            subsystem = (cs.u16(0x2C), cs.u16(0x2E))
        elif cs.header_type == 2 and cs.has(0x40, 4):
            subsystem = (cs.u16(0x40), cs.u16(0x42))
        return cls(cs.u16(0), cs.u16(2), cs.u32(8) >> 8, cs.u8(8), *subsystem)


def progif_text(ids: PciIds, class16: int, progif: int) -> str | None:
    """The name lspci -v puts after `prog-if XX`, or None (IDE controllers, 0x0101, get
    their mode bits spelled out when pci.ids has no entry, as pciutils does)."""
    name = ids.progif_name(class16 >> 8 & 0xFF, class16 & 0xFF, progif)
    if name is None and class16 == 0x0101 and not progif & 0x70:
        bits = ((0x80, "Master"), (0x08, "SecP"), (0x04, "SecO"), (0x02, "PriP"), (0x01, "PriO"))
        name = " ".join(word for bit, word in bits if progif & bit)
    return None if name is None else _fit(name)


def name_line(ids: PciIds, ident: Identity, slot: str | None, verbose: bool = False) -> str:
    """The line `lspci` prints for a device: `08:00.0 Ethernet controller: Realtek ...
    (rev 15)` (without the slot when there is none); `verbose` adds what `lspci -v` adds,
    ` (prog-if 02 [NVM Express])`."""
    text = f"{class_text(ids, ident.class_code >> 8)}: {device_text(ids, ident.vendor, ident.device)}"
    if ident.revision:
        text += f" (rev {ident.revision:02x})"
    if verbose:
        progif = ident.class_code & 0xFF
        name = progif_text(ids, ident.class_code >> 8, progif)
        if progif or name is not None:
            text += f" (prog-if {progif:02x}" + (f" [{name}]" if name is not None else "") + ")"
    return f"{lspci_slot(slot)} {text}" if slot else text
