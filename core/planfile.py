"""Plan files: the placements of one device kept on disk (the `place --json` shape plus
`plan_version`), read as untrusted input and written atomically.

Reading validates everything before anything is used: the JSON itself (no NaN/Infinity, a
bounded size and depth), the version, the device it is for, and every placement (a known
virtual capability, a size it can have, an offset inside 0x000-0xfff). One clear refusal, as a
DumpError naming the file, is all a bad plan gives.

Writing checks first that the file is still what this session last read or wrote (another
explorer on the same plan, an editor): if not, `PlanConflict` is raised and nothing is written,
so neither side's work is lost silently.
"""

from __future__ import annotations

import os

from .atomic import write_output
from .plan import MAX_PLACEMENTS, Plan
from .placement.vcaps import VcapRequest, parse_vcap
from .record import record
from .space import ConfigSpace, DumpError
from .text import printable

TYPE_CHECKING = False  # `typing` costs start-up: it is for the type checker alone here
if TYPE_CHECKING:
    from typing import Any

# `json` and `hashlib` are imported where a plan is read or written: the explorer starts
# without either (~3 ms) when no plan file is named.

PLAN_VERSION = 1
MAX_PLAN_BYTES = 4 << 20  # a plan of 1024 placements is about 1 MiB


class PlanConflict(DumpError):
    """The plan file changed on disk since this session read or wrote it."""


@record
class Pinned:
    """A placement from a plan file: the request at its offset, and who chose the offset."""

    request: VcapRequest
    chosen_by: str
    rule: str


def fingerprint(data: bytes | None) -> str | None:
    import hashlib

    return hashlib.sha256(data).hexdigest() if data is not None else None


def current(path: str) -> bytes | None:
    """The file's bytes now, at most MAX_PLAN_BYTES + 1 (None when it does not exist), by the
    one bounded reader of every input: a plan file is a regular file, and anything else (a
    FIFO) is a DumpError at once, never waited on."""
    from .sources.inputs import read_head

    if not os.path.exists(path):
        return None
    data, error = read_head(path, MAX_PLAN_BYTES + 1)
    if error is not None:
        raise error
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a plan can hold")


def read(path: str, device: ConfigSpace) -> tuple[list[Pinned], str]:
    """The placements of a plan file for `device`, and the file's fingerprint."""
    try:
        if not os.path.isfile(path):
            raise DumpError(path, "not a regular file" if os.path.exists(path) else "no such plan file")
        data = current(path)
    except OSError as exc:
        raise DumpError(path, f"cannot read the plan: {exc.strerror or exc}") from None
    if data is None:
        raise DumpError(path, "no such plan file")
    if len(data) > MAX_PLAN_BYTES:
        raise DumpError(path, f"larger than {MAX_PLAN_BYTES >> 20} MiB: not a capslot plan")
    import json

    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise DumpError(path, "not a capslot plan: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise DumpError(path, f"not a capslot plan: {exc.msg}", exc.lineno) from None
    except (ValueError, RecursionError) as exc:
        what = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise DumpError(path, f"not a capslot plan: {what}") from None
    return _placements(path, doc, device), fingerprint(data) or ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _placements(path: str, doc: Any, device: ConfigSpace) -> list[Pinned]:
    if not isinstance(doc, dict) or not isinstance(doc.get("placements"), list):
        raise DumpError(path, "not a capslot plan: no placements list")
    version = doc.get("plan_version", 1)
    if _int(version) is None or version < 1:
        raise DumpError(path, f"plan_version {printable(repr(version))} is not a version number")
    if version > PLAN_VERSION:
        raise DumpError(path, f"plan version {version} is newer than this capslot understands "
                        f"({PLAN_VERSION})")
    dev = doc.get("device") if isinstance(doc.get("device"), dict) else {}
    want = (device.vendor_id, device.device_id)
    if (dev.get("vendor_id"), dev.get("device_id")) != want:
        def hex_id(v: Any) -> str:
            return f"{v:04x}" if _int(v) is not None else printable(str(v))[:20]

        raise DumpError(path, f"the plan is for device {hex_id(dev.get('vendor_id'))}:"
                        f"{hex_id(dev.get('device_id'))}, not {device.vendor_id or 0:04x}:"
                        f"{device.device_id or 0:04x} ({printable(device.label())})")
    items = doc["placements"]
    if len(items) > MAX_PLACEMENTS:
        raise DumpError(path, f"{len(items)} placements: at most {MAX_PLACEMENTS} fit in one "
                        "config space")
    out = []
    for n, item in enumerate(items, 1):
        where = f"placement #{n}"
        if not isinstance(item, dict):
            raise DumpError(path, f"{where} is not an object")
        name, size, offset = item.get("vcap"), _int(item.get("size")), _int(item.get("offset"))
        if not isinstance(name, str) or size is None or offset is None:
            raise DumpError(path, f"{where} needs vcap (a name), size and offset (numbers)")
        if not 0 <= offset < 0x1000:
            raise DumpError(path, f"{where}: offset {offset:#x} outside 0x000-0xfff")
        try:
            req = parse_vcap(f"{name}:{size:#x}@{offset:#x}", f"{path}: {where}")
        except DumpError as exc:
            raise DumpError(path, f"{where}: {exc.what}") from None
        chosen_by, rule = item.get("chosen_by") or "user", item.get("rule") or "pinned"
        out.append(Pinned(req, printable(str(chosen_by))[:40], printable(str(rule))[:40]))
    return out


def names(path: str, device: ConfigSpace) -> bool | None:
    """Whether the plan file at `path` is `device`'s: the vendor and device IDs it names, and
    its slot when both it and the device have one (two identical cards in one dump are two
    devices). None when there is no file, or it names no device (it is no plan: `read` says
    why)."""
    import json

    try:
        data = current(path)
        doc = json.loads(data.decode("utf-8"), parse_constant=_no_constant) if data is not None else None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    dev = doc.get("device") if isinstance(doc, dict) else None
    if not isinstance(dev, dict):
        return None
    if (dev.get("vendor_id"), dev.get("device_id")) != (device.vendor_id, device.device_id):
        return False
    slot = dev.get("slot")
    return not (slot and device.provenance.slot and slot != device.provenance.slot)


def document(plan: Plan) -> dict[str, Any]:
    """What a plan file holds: the `place --json` shape, versioned."""
    out = plan.to_json()
    out["plan_version"] = PLAN_VERSION
    return out


def write(path: str, plan: Plan, expected: str | None) -> str:
    """Write the plan unless the file changed since `expected` (its fingerprint when this
    session last read or wrote it; None: it must not exist yet). Returns the new fingerprint."""
    now = current(path)
    if fingerprint(now) != expected:
        raise PlanConflict(path, "the plan file changed on disk since this session read it "
                           "(another explorer or an editor): not overwritten")
    import json

    data = (json.dumps(document(plan), indent=1) + "\n").encode()
    write_output(path, data)
    return fingerprint(data) or ""
