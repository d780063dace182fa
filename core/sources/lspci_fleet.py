"""The recovering reader of lspci text, for `capslot survey`: fast in the common case
(`lspci.fast_device`), line by line (`lspci_lines`) for the rest, and a device with a bad
line is yielded as its DumpError while the reader carries on at the next device line."""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from collections.abc import Iterator

from ..space import ConfigSpace, DumpError, Provenance
from .lspci import fast_device
from .lspci_lines import DEVICE_AT, parse


def parse_recovering(data: bytes, source: str, first_line: int = 1, first_index: int = 0
                     ) -> Iterator[ConfigSpace | DumpError]:
    """Every device of a block of lspci text, fast in the common case: devices separated
    by a blank line, each a device line and the canonical rows of `lspci -x/-xxx/-xxxx`,
    checked and decoded with a handful of C-level string operations. Anything else goes
    through the line-by-line reader. A device with a bad line yields its DumpError and the
    reader carries on at the next device line: a survey never stops on one device."""
    text = data.decode("utf-8", "replace")  # as every reader: device names may be UTF-8
    line, index = first_line, first_index
    for chunk in _device_chunks(text):
        stripped = chunk.lstrip("\n")
        line += len(chunk) - len(stripped)
        chunk = stripped
        if chunk.strip():
            fast = fast_device(chunk, source, line, index)
            if fast is not None:
                yield fast
                index += 1
            else:
                for item in _careful(chunk, source, line, index):
                    yield item
                    index += 1
        line += chunk.count("\n") + 2


def _device_chunks(text: str) -> Iterator[str]:
    """The text cut at blank lines that are followed by a device line (a blank line inside
    a device's rows does not end it, as for the line-by-line reader)."""
    pending: str | None = None
    for chunk in text.split("\n\n"):
        if pending is not None and not DEVICE_AT.match(chunk.lstrip("\n")):
            pending += "\n\n" + chunk
            continue
        if pending is not None:
            yield pending
        pending = chunk
    if pending is not None:
        yield pending


def _careful(chunk: str, source: str, line: int, index: int) -> Iterator[ConfigSpace | DumpError]:
    """The line-by-line reader over one chunk, device by device, errors yielded."""
    starts = [m.start() for m in DEVICE_AT.finditer(chunk)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(chunk)
        piece = chunk[start:end]
        first = line + chunk.count("\n", 0, start)
        try:
            for cs in parse(((i, l.rstrip("\r")) for i, l in enumerate(piece.split("\n"), first)), source):
                p = cs.provenance
                yield ConfigSpace(cs.data, cs.available,
                                  Provenance(source, "lspci", p.line, p.slot, p.device_line, index + n))
        except DumpError as exc:
            yield exc
