"""The device table: what is known about particular devices' config space.

Files, each overriding the earlier entry by entry (../shared/spec/cli.md): the shipped
`quirks.toml` beside this module, the user's `$XDG_CONFIG_HOME/capslot/quirks.toml`, and
`--quirks FILE`. An entry matches vendor and device (a number, a list, or "*"), and
optionally subsystem_vendor, subsystem_device, revision and class (base class, or base
and subclass as 0xBBSS, or the full 0xBBSSPP). The most specific matching entry wins;
among equally specific ones, the one read last.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from ..space import ConfigSpace, DumpError

SHIPPED = Path(__file__).with_name("quirks.toml")
KEYS = {"vendor", "device", "subsystem_vendor", "subsystem_device", "revision", "class",
        "reserved", "available", "sizes", "source", "offsets", "name"}
_RANGE = re.compile(r"^\s*(0x[0-9a-fA-F]+|[0-9a-fA-F]+)\s*-\s*(0x[0-9a-fA-F]+|[0-9a-fA-F]+)\s*$")
_SIZE_KEY = re.compile(r"^\s*(0x[0-9a-fA-F]+)\s*@\s*(0x[0-9a-fA-F]+)\s*$")


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


@dataclass(frozen=True)
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



def _int(value, what: str, source: str, line: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DumpError(source, f"{what} must be a number, not {value!r}", line)
    return value


def load_file(path: str | Path, order_base: int = 0) -> list[QuirkEntry]:
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DumpError(source, "no such quirks file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DumpError(source, f"cannot read quirks file: {exc}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise DumpError(source, f"not valid TOML: {str(exc).split(' (at')[0]}",
                        int(m.group(1)) if m else None) from None
    devices = doc.get("device", [])
    unknown_top = set(doc) - {"device"}
    if unknown_top or not isinstance(devices, list):
        raise DumpError(source, "a quirks file holds [[device]] tables only "
                        f"(found {', '.join(sorted(unknown_top)) or 'device = ...'})")
    out = []
    for n, entry in enumerate(devices):
        out.append(_entry(entry, source, text, n, order_base + n))
    return out


def _entry(entry: dict, source: str, text: str, n: int, order: int) -> QuirkEntry:
    where = f"[[device]] #{n + 1}"
    line = None
    starts = [i for i, l in enumerate(text.splitlines(), 1) if l.strip() == "[[device]]"]
    if n < len(starts):
        line = starts[n]
    unknown = set(entry) - KEYS
    if unknown:
        raise DumpError(source, f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                                f"(known: {', '.join(sorted(KEYS))})", line)
    if "vendor" not in entry or "device" not in entry:
        raise DumpError(source, f"{where}: vendor and device are required", line)
    vendor = _int(entry["vendor"], f"{where}: vendor", source, line)
    dev = entry["device"]
    devices: tuple[int, ...] | None
    if dev == "*":
        devices = None
    elif isinstance(dev, list):
        devices = tuple(_int(d, f"{where}: device", source, line) for d in dev)
    else:
        devices = (_int(dev, f"{where}: device", source, line),)

    def ranges(key: str) -> tuple[tuple[int, int], ...]:
        values = entry.get(key, [])
        if not isinstance(values, list):
            raise DumpError(source, f"{where}: {key} must be a list of \"START-END\" strings", line)
        return tuple(parse_range(str(v), source, line) for v in values)

    sizes = []
    for k, v in entry.get("sizes", {}).items():
        m = _SIZE_KEY.match(k)
        if not m:
            raise DumpError(source, f"{where}: sizes key {k!r} is not \"0xID@0xOFFSET\"", line)
        sizes.append((int(m.group(1), 16), int(m.group(2), 16), _int(v, f"{where}: size", source, line)))
    offsets = tuple((str(k).lower(), _int(v, f"{where}: offset of {k}", source, line))
                    for k, v in entry.get("offsets", {}).items())
    opt = {k: _int(entry[k], f"{where}: {k}", source, line) if k in entry else None
           for k in ("subsystem_vendor", "subsystem_device", "revision", "class")}
    return QuirkEntry(vendor, devices, opt["subsystem_vendor"], opt["subsystem_device"],
                      opt["revision"], opt["class"], ranges("reserved"), ranges("available"),
                      tuple(sizes), offsets, str(entry.get("source", "")), str(entry.get("name", "")),
                      source, order)


def user_overlay() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "capslot" / "quirks.toml"


@dataclass(frozen=True)
class DeviceTable:
    entries: tuple[QuirkEntry, ...]

    @cached_property
    def by_vendor(self) -> dict[int, tuple[QuirkEntry, ...]]:
        out: dict[int, list[QuirkEntry]] = {}
        for e in self.entries:
            out.setdefault(e.vendor, []).append(e)
        return {k: tuple(v) for k, v in out.items()}

    @classmethod
    def load(cls, extra: str | None = None, use_overlay: bool = True) -> "DeviceTable":
        """Shipped table < user overlay < --quirks; later entries replace equal keys."""
        files: list[Path | str] = [SHIPPED]
        overlay = user_overlay()
        if use_overlay and overlay.is_file():
            files.append(overlay)
        if extra:
            files.append(extra)
        by_key: dict[tuple, QuirkEntry] = {}
        order = 0
        for f in files:
            for e in load_file(f, order):
                by_key[e.key] = e
            order += 10_000
        return cls(tuple(sorted(by_key.values(), key=lambda e: e.order)))

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
