"""ConfigSpace: the bytes of one function's config space, which of them were captured,
and where they came from."""

from __future__ import annotations

from .record import record

CONFIG_SIZE = 0x1000
STD_SIZE = 0x100
STD_HEADER_SIZE = 0x40


class DumpError(Exception):
    """Input that cannot be read. Reported as one line: `capslot: file[:line]: what`."""

    def __init__(self, source: str, what: str, line: int | None = None) -> None:
        super().__init__(what)
        self.source, self.what, self.line = source, what, line

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.what}"


class Provenance(metaclass=record):
    """Where a device's bytes came from."""

    source: str  # a path, "-" for standard input, or "sysfs:BDF"
    format: str  # lspci, binary, hexdump, xxd, coe, sysfs
    line: int | None = None  # line of the device's first line in a text source
    slot: str | None = None  # normalized "dddd:bb:dd.f", when the source names one
    device_line: str | None = None  # lspci's description line, verbatim
    index: int = 0  # position of the device in a multi-device source


_HEX = frozenset("0123456789abcdefABCDEF")


def _hex(part: str, most: int) -> bool:
    return 1 <= len(part) <= most and _HEX.issuperset(part)


def normalize_slot(text: str) -> str | None:
    """'7:0.0', '07:00.0' and '0000:07:00.0' all become '0000:07:00.0': [DOMAIN:]BUS:DEV.FN,
    1-8, 1-2 and 1-2 hex digits and a function 0-7 (read without a regex: every dump's
    device lines pass here, and compiling one is a start-up cost)."""
    head, dot, fn = text.strip().rpartition(".")
    parts = head.split(":")
    if not dot or len(fn) != 1 or fn not in "01234567" or len(parts) not in (2, 3):
        return None
    domain = parts[0] if len(parts) == 3 else "0"
    bus, dev = parts[-2], parts[-1]
    if not (_hex(domain, 8) and _hex(bus, 2) and _hex(dev, 2)):
        return None
    return f"{int(domain, 16):04x}:{int(bus, 16):02x}:{int(dev, 16):02x}.{fn}"


class ConfigSpace(metaclass=record):
    """4096 bytes and the ranges of them that were captured.

    Bytes outside `available` were not in the dump; they read as 0 here, and every
    analysis asks `has()` before trusting them.
    """

    data: bytes
    available: tuple[tuple[int, int], ...]  # sorted, disjoint [start, end) ranges
    provenance: Provenance

    @classmethod
    def from_prefix(cls, raw: bytes, provenance: Provenance) -> ConfigSpace:
        """A dump holding the first len(raw) bytes (64, 256, 4096, ...)."""
        n = min(len(raw), CONFIG_SIZE)
        data = bytes(raw[:n]) + bytes(CONFIG_SIZE - n)
        return cls(data, ((0, n),) if n else (), provenance)

    @property
    def captured(self) -> int:
        return sum(end - start for start, end in self.available)

    @property
    def complete(self) -> bool:
        return self.available == ((0, CONFIG_SIZE),)

    def has(self, start: int, length: int = 1) -> bool:
        """True when every byte of [start, start+length) was captured."""
        end = start + length
        available = self.available
        if len(available) == 1:  # the usual case: one prefix of the space
            return available[0][0] <= start and end <= available[0][1]
        return any(a <= start and end <= b for a, b in available)

    def u8(self, pos: int) -> int:
        return self.data[pos] if 0 <= pos < CONFIG_SIZE else 0

    def u16(self, pos: int) -> int:
        return int.from_bytes(self.data[pos:pos + 2], "little") if 0 <= pos <= CONFIG_SIZE - 2 else 0

    def u32(self, pos: int) -> int:
        return int.from_bytes(self.data[pos:pos + 4], "little") if 0 <= pos <= CONFIG_SIZE - 4 else 0

    @property
    def vendor_id(self) -> int | None:
        return self.u16(0) if self.has(0, 2) else None

    @property
    def device_id(self) -> int | None:
        return self.u16(2) if self.has(2, 2) else None

    @property
    def header_type(self) -> int:
        """Header layout: 0 endpoint, 1 PCI-PCI bridge, 2 CardBus bridge."""
        return self.u8(0x0E) & 0x7F

    def label(self) -> str:
        """A short human name: slot and IDs, for messages and titles."""
        p = self.provenance
        ids = ""
        if self.vendor_id is not None and self.device_id is not None:
            ids = f"{self.vendor_id:04x}:{self.device_id:04x}"
        return " ".join(x for x in (p.slot or "", ids) if x) or p.source
