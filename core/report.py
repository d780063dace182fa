"""The `show --json` device object, exactly as schemas/show.v1.json lists it (docs/spec/cli.md first drew it).

Enum members are str subclasses: json writes them as their values, so they go in as they
are (`.value` costs a descriptor call each, and a survey writes thousands of them).

Pure dictionaries of JSON types (numbers as integers). Keys beyond the contract
(`orphans`, `device_line`, `size_why`, ...) are additions the contract allows.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from typing import Any

from .layout import Layout, is_masked


def device_object(layout: Layout) -> dict[str, Any]:
    cs = layout.space
    p = cs.provenance
    caps = []
    views = layout.cap_views  # empty: every capability visible (the hardware view)
    for i, cap in enumerate(layout.capabilities):
        vis = views[i].visibility if views else "visible"  # layout.visibility(i), inline
        spec = cap.spec
        caps.append({
            "space": cap.space, "id": cap.id, "version": cap.version,
            "name": spec.label, "offset": cap.offset, "size": cap.size,
            "size_certainty": cap.certainty, "next": cap.next,
            # (a masked capability has ID 0: the others are not asked)
            "visibility": "masked" if vis == "visible" and not cap.id and is_masked(cap) else vis,
            "short": spec.short, "size_why": cap.size_why,
        })
        if views:
            caps[-1]["reason"] = views[i].reason
            caps[-1]["exposed"] = views[i].exposed
    regions = []
    for start, end, kind, capability, orphan in layout.regions:  # (a Region, unpacked)
        item = {"start": start, "end": end, "kind": kind, "capability": capability}
        if orphan is not None:
            item["orphan"] = orphan
        regions.append(item)
    return {
        "source": p.source, "slot": p.slot, "vendor_id": cs.vendor_id,
        "device_id": cs.device_id, "available": cs.captured, "view": layout.view,
        "capabilities": caps, "regions": regions,
        "problems": [{"kind": pr.kind, "offset": pr.offset, "message": pr.message,
                      "space": pr.space.value if pr.space else None} for pr in layout.problems],
        "orphans": [{"id": o.id, "version": o.version, "name": o.name, "offset": o.offset,
                     "size": o.size, "size_certainty": o.certainty.value, "next": o.next,
                     "linked_from": o.linked_from} for o in layout.orphans],
        "format": p.format, "line": p.line, "device_line": p.device_line,
        "profile": layout.profile or None,
        "access": _access_runs(layout.access),
    }


def _access_runs(access: bytes) -> list[dict[str, Any]] | None:
    """Per-byte access classes of a view as runs: [{start, end, class}]."""
    if not access:
        return None
    from .views import Access

    runs: list[dict[str, Any]] = []
    start = 0
    for pos in range(1, len(access) + 1):
        if pos == len(access) or access[pos] != access[start]:
            runs.append({"start": start, "end": pos, "class": Access(access[start]).name.lower()})
            start = pos
    return runs
