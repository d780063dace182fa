"""Reading config-space dumps: the format is detected from content, never from the name.

Formats: `lspci -x/-xxx/-xxxx` text (one or many devices, with or without `-v` lines and
domain prefixes), raw binary of 64, 256 or 4096 bytes (a sysfs `config` file),
`hexdump -C` and `xxd` text, pcileech `.coe`, and a live device (`sysfs:BDF`).

Everything here streams: a multi-device text file is read line by line and yields one
`ConfigSpace` per device, so memory stays flat whatever the file's size; `load_slot`
(`--slot`) parses only the wanted device. Nothing hangs or reads without end: FIFOs and
devices wait at most `inputs.WAIT_SECONDS` for data, and streams give at most
`inputs.STREAM_LIMIT` bytes. Text is UTF-8 (bad bytes replaced) in every reader. Input
that cannot be read raises `DumpError` with the file and line.
"""

from __future__ import annotations

import io
TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import BinaryIO

from ..space import ConfigSpace, DumpError, Provenance
from . import inputs, lspci  # hexdump, sysfs and coe: imported for their inputs alone

RAW_SIZES = (64, 256, 4096)
SNIFF = 64 * 1024  # bytes looked at to decide the format


def _lspci_parse(lines: Iterable[tuple[int, str]], source: str, fmt: str) -> Iterator[ConfigSpace]:
    from .lspci_lines import parse  # the line-by-line reader: canonical text is read whole

    return parse(lines, source, fmt)


def _coe_parse(lines: Iterable[tuple[int, str]], source: str, fmt: str) -> Iterator[ConfigSpace]:
    from . import coe  # imported for a .coe dump only: its patterns cost every other run

    return coe.parse(lines, source, fmt)


def _hexdump_parse(lines: Iterable[tuple[int, str]], source: str, fmt: str) -> Iterator[ConfigSpace]:
    from . import hexdump  # for hexdump -C and xxd text only

    return hexdump.parse(lines, source, fmt)


TEXT_PARSERS = {"lspci": _lspci_parse, "hexdump": _hexdump_parse, "xxd": _hexdump_parse, "coe": _coe_parse}

__all__ = ["DumpError", "load", "load_one", "load_slot", "iter_devices", "detect", "select",
           "stream_slot", "RAW_SIZES"]


def _looks_binary(head: bytes) -> bool:
    if b"\0" in head:
        return True
    if not head:
        return False
    # Text dumps are ASCII (device names may carry a little UTF-8); control bytes other
    # than tab/CR/LF/FF are not text. Most text holds none: each is looked for (memchr, a
    # few hundred instructions a 64 KiB head) before any is counted (a pass over every byte).
    if not any(map(head.__contains__, _CONTROLS)):
        return False
    controls = len(head) - len(head.translate(None, _CONTROLS))  # counted in C: 1 ms a file in Python
    return controls > len(head) // 100


_CONTROLS = bytes(b for b in range(0x20) if b not in (9, 10, 12, 13))


def detect(head: bytes) -> str | None:
    """The text format of a dump from its first bytes, or None if it is no known text."""
    if _looks_binary(head):
        return None
    text = head.decode("utf-8", "replace")
    # (no case of the name lacks its underscores: most text is not lowered to look for it)
    if "_" in text and "memory_initialization_vector" in text.lower():
        return "coe"
    for raw_line in _first_lines(text, 200):
        line = raw_line.rstrip()
        if not line.strip():
            continue
        # both hex rows start with 7 hex digits: other lines never compile their patterns
        hex_row = len(line) > 7 and not line[:7].strip("0123456789abcdefABCDEF")
        if hex_row:
            from . import hexdump

            for name, probe in (("xxd", hexdump.XXD_ROW), ("hexdump", hexdump.HEXDUMP_ROW)):
                if probe.match(line):
                    return name
        if lspci.match_row(line) or lspci.match_device(line):
            return "lspci"
        if line.startswith((" ", "\t", "*")):
            continue
        return None  # the first significant line is none of ours
    return None


def _first_lines(text: str, most: int) -> Iterator[str]:
    """`text.splitlines()[:most]`, split a piece at a time: the first line decides most
    dumps, and splitting the whole of a 64 KiB head was half of `detect`."""
    start, step = 0, 512
    while most > 0 and start < len(text):
        end = start + step
        step *= 2  # each piece twice the last: few pieces for 200 lines, however long
        pieces = text[start:end].splitlines(keepends=True)
        if end < len(text):
            if len(pieces) < 2:  # one line longer than the piece: a larger piece
                continue
            pieces.pop()  # the last line may go on past the piece
        taken = sum(map(len, pieces))
        lines = text[start:start + taken].splitlines()[:most]
        yield from lines
        most -= len(lines)
        start += taken


MAX_LINE = 1 << 16  # no line of a dump is longer; a longer one is hostile or not a dump


def _lines(stream: BinaryIO, head: bytes, source: str) -> Iterator[tuple[int, str]]:
    """Numbered text lines of a stream whose first bytes were already read into `head`.
    Lines are read with a length limit, so one endless line cannot exhaust memory."""
    from .streams import Prepend  # the line-by-line readers only: not canonical lspci text

    buffered = io.BufferedReader(Prepend(head, stream), 1 << 16)
    number = 0
    while True:
        raw = buffered.readline(MAX_LINE + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            raise DumpError(source, f"line longer than {MAX_LINE} bytes: not a config-space dump", number)
        yield number, raw.decode("utf-8", "replace").rstrip("\r\n")


def _from_stream(stream: BinaryIO, source: str, size: int | None) -> Iterator[ConfigSpace]:
    head = stream.read(SNIFF)
    if not head:
        raise DumpError(source, "empty input: no config-space dump")
    fmt = detect(head)
    if fmt == "lspci" and size is not None and len(head) == size:  # the whole file, read
        devices = lspci.parse_whole(head, source)  # canonical lspci -x text, read at once
        if devices is not None:
            yield from devices
            return
    if fmt is not None:
        yield from TEXT_PARSERS[fmt](_lines(stream, head, source), source, fmt)
        return
    if size is None:  # standard input: the whole of it decides
        rest = stream.read(4096 + 1 - len(head)) if len(head) <= 4096 else b""
        head += rest
        size = len(head) if len(head) <= 4096 else None
    if size in RAW_SIZES:
        yield ConfigSpace.from_prefix(head[:size], Provenance(source, "binary"))
        return
    if _looks_binary(head):
        what = f"{size} bytes of binary data" if size is not None else "binary data"
        raise DumpError(source, f"{what}: not a config-space dump (raw dumps are 64, 256 or "
                                "4096 bytes; text dumps are lspci -x, hexdump -C, xxd or .coe)")
    first = next((i for i, l in enumerate(head.decode("utf-8", "replace").splitlines(), 1)
                  if l.strip()), 1)
    raise DumpError(source, "not a config-space dump: expected lspci -x, hexdump -C, xxd or "
                            ".coe text", first)


def _open(spec: str, stdin: BinaryIO | None) -> tuple[BinaryIO, int | None]:
    """The stream of a path or of `-`, and its size when known. Both are bounded
    (inputs.py): a FIFO or device never hangs, a stream is never read without end."""
    if spec == "-":
        if stdin is not None:
            return inputs.bounded(stdin, "-"), None
        return inputs.standard_input(inputs.STREAM_LIMIT), None
    return inputs.open_input(spec, directory="is a directory (survey reads directories; "
                                             "show takes one dump)")


def iter_devices(spec: str, stdin: BinaryIO | None = None) -> Iterator[ConfigSpace]:
    """Every device of one input: a path, `-` (standard input) or `sysfs:BDF`."""
    if spec.startswith("sysfs:"):
        from . import sysfs

        yield sysfs.read(spec[len("sysfs:"):])
        return
    stream, size = _open(spec, stdin)
    try:
        yield from _from_stream(stream, spec, size)
    except IsADirectoryError:
        raise DumpError(spec, "is a directory") from None
    except OSError as exc:
        raise DumpError(spec, f"read failed: {exc.strerror or exc}") from None
    finally:
        if spec != "-":
            stream.close()


def load(spec: str, stdin: BinaryIO | None = None) -> list[ConfigSpace]:
    """All devices of one input, read fully (for `show`; survey streams instead)."""
    devices = list(iter_devices(spec, stdin))
    if not devices:
        raise DumpError(spec, "no device found in the dump")
    return devices


def _want(slot: str, source: str) -> str:
    from ..space import normalize_slot

    want = normalize_slot(slot)
    if want is None:
        raise DumpError(source, f"--slot {slot!r} is not a PCI address like 0000:01:00.0")
    return want


def _no_device(source: str, want: str, slots: list[str]) -> DumpError:
    have = ", ".join(slots[:8]) if slots else "no slot named"
    return DumpError(source, f"no device at {want} (the dump has: {have})")


def select(devices: Iterable[ConfigSpace], slot: str | None, source: str) -> list[ConfigSpace]:
    """The devices matching `--slot` (all of them without one)."""
    devices = list(devices)
    if slot is None:
        return devices
    want = _want(slot, source)
    found = [d for d in devices if d.provenance.slot == want]
    if not found:
        raise _no_device(source, want, [d.provenance.slot or "?" for d in devices[:8]])
    return found


def load_slot(spec: str, slot: str | None, stdin: BinaryIO | None = None) -> list[ConfigSpace]:
    """The devices of one input that `--slot` picks; all of them without one (`load`).

    With a slot only that device is parsed: lspci text is searched for its device line
    (one pass over the bytes, no line splitting, memory a window: as fast as `lspci -F
    FILE -s`), and the other formats, which name no slot, are read device by device
    without keeping any but the wanted one. Faults in other devices are not reported."""
    if slot is None:
        return load(spec, stdin)
    want = _want(slot, spec)
    if spec.startswith("sysfs:"):
        return select(load(spec), slot, spec)
    stream, size = _open(spec, stdin)
    try:
        head = stream.read(SNIFF)
        if detect(head) == "lspci":
            from .lspci_slot import scan_slot

            found, slots = scan_slot(stream, head, spec, want, MAX_LINE)
        else:
            found, slots = [], []
            from .streams import Prepend

            replay = io.BufferedReader(Prepend(head, stream), 1 << 16)
            for cs in _from_stream(replay, spec, size):  # type: ignore[arg-type] - a BufferedReader is a BinaryIO
                if len(slots) < 8:
                    slots.append(cs.provenance.slot or "?")
                if cs.provenance.slot == want:
                    found.append(cs)
    except OSError as exc:
        raise DumpError(spec, f"read failed: {exc.strerror or exc}") from None
    finally:
        if spec != "-":
            stream.close()
    if not found:
        raise _no_device(spec, want, slots)
    return found


def load_one(spec: str, slot: str | None, stdin: BinaryIO | None = None) -> ConfigSpace:
    """The one device a command works on: the one `--slot` picks, or the dump's only one.
    Decided while streaming: without a slot, a second device stops the read at once (a file
    of a whole machine is not parsed only to say that a slot is needed)."""
    if slot is not None:
        found = load_slot(spec, slot, stdin)
        if len(found) > 1:
            raise DumpError(spec, f"{len(found)} devices at {found[0].provenance.slot} in the "
                                  "dump: capslot cannot tell which one is meant")
        return found[0]
    first: ConfigSpace | None = None
    devices = iter_devices(spec, stdin)
    try:
        for cs in devices:
            if first is not None:
                slots = ", ".join(d.provenance.slot or "?" for d in (first, cs))
                raise DumpError(spec, f"more than one device in the dump ({slots}, ...): pick "
                                      "one with --slot")
            first = cs
    finally:
        devices.close()
    if first is None:
        raise DumpError(spec, "no device found in the dump")
    return first


def stream_slot(spec: str, slot: str, keep, devices: Iterable[ConfigSpace] | None = None
                ) -> tuple[list[ConfigSpace], list[int], int]:
    """One pass over a dump (`devices`, else iter_devices) for the devices at `slot` and
    those `keep(cs)` wants beside them (the bridges a path is made of), every other device
    dropped as soon as it is read: (the kept devices in the dump's order, where the ones at
    `slot` are among them, how many devices the dump held). Memory is what is kept."""
    want = _want(slot, spec)
    kept: list[ConfigSpace] = []
    wanted: list[int] = []
    slots: list[str] = []
    count = 0
    for cs in iter_devices(spec) if devices is None else devices:
        count += 1
        if len(slots) < 8:
            slots.append(cs.provenance.slot or "?")
        if cs.provenance.slot == want:
            wanted.append(len(kept))
            kept.append(cs)
        elif keep(cs):
            kept.append(cs)
    if not wanted:
        raise _no_device(spec, want, slots)
    return kept, wanted, count
