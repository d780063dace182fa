"""The upstream path of a device picked from an input (the `path` gate of "will it work?"):
from sysfs for a live device (core/host.py), from the bridges of the same file for a dump
(core/topology.py, the file read as survey reads it). Kept apart from core/topology.py, which
knows paths and nothing of inputs, so that neither it nor core/host.py imports the other back.
"""

from __future__ import annotations

import os

from . import host
from .sources import stream_slot
from .space import ConfigSpace
from .topology import DumpTopology, UpstreamPath, is_bridge


def slot_paths(spec: str, slot: str) -> list[tuple[ConfigSpace, UpstreamPath]]:
    """The devices `slot` picks in a dump file, each with its path from the bridges of the
    same file: one streaming pass that keeps only the bridges and those devices (a file is
    read as survey reads it, in blocks)."""
    devices = None
    if os.path.isfile(spec):
        from .survey import stream_devices  # deliberately lazy: only a file is streamed

        devices = stream_devices(spec)
    kept, wanted, count = stream_slot(spec, slot, is_bridge, devices)
    topo = DumpTopology(kept, many=count >= 2)
    return [(kept[i], topo.path(i)) for i in wanted]


def upstream_of(spec: str, cs: ConfigSpace, slot: str | None) -> UpstreamPath | None:
    """The path above one device picked from an input: from sysfs for a live device; from the
    bridges of the same file when a slot was picked from a dump (`slot_paths`); None for a
    dump of one device or standard input, whose ports are not there to look at."""
    if spec.startswith("sysfs:"):
        return host.upstream_path(cs.provenance.slot) if cs.provenance.slot else None
    if slot is None or spec == "-" or cs.provenance.slot is None:
        return None
    found = slot_paths(spec, slot)
    return found[0][1] if found else None


def upstream_in(devices: list[ConfigSpace], index: int) -> UpstreamPath | None:
    """The path above devices[index] of an opened input: from sysfs for a live device, from
    the bridges of the same file for a dump of several devices with bus numbers, else None."""
    cs = devices[index]
    slot = cs.provenance.slot
    if cs.provenance.format == "sysfs" and slot:
        return host.upstream_path(slot)
    if len(devices) < 2 or not all(d.provenance.slot for d in devices):
        return None
    return DumpTopology(devices).path(index)
