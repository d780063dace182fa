"""The chain the host most likely had behind a guest-read dump (`capslot show
--host-layout`): every capability the guest sees, each masked or placeholder span with the IDs
whose spec size fits it, each unlinked run linked back where its next pointer lands, each row
saying how sure it is and why. Where the dump was read is core/capture.py's; this is only
imported when the host's chain is asked for.
"""

from __future__ import annotations

from .capture import E, _u32, _vfio_hides, detect
from .ids import EXT_ARI, EXT_PASID, EXT_REBAR, EXT_SRIOV, EXT_VF_REBAR
from .layout import Layout, is_masked, masked_guess
from .record import record, replace
from .registry import CapContext, Certainty, lookup
from .space import STD_SIZE
from .views.removals import REMOVED

ARI, SRIOV = EXT_ARI, EXT_SRIOV

@record
class HostRow:
    """One row of the chain the host most likely had behind a guest-read dump."""

    offset: int
    what: str  # the capability the host most likely had here
    size: int
    certainty: str  # seen | guess | unknown
    reason: str


def host_layout(hw: Layout) -> tuple[HostRow, ...]:
    """The chain the host most likely had behind a guest-read dump: every capability the
    guest sees, each masked or placeholder span with the IDs whose spec size fits it, and
    each unlinked run linked back where its next pointer lands. Every inferred row says how
    sure it is and why."""
    cs = hw.space
    rows: list[HostRow] = []
    masked = any(is_masked(c) and c.version for c in hw.capabilities)
    for _i, c in enumerate(hw.capabilities):
        if c.space is not E:
            continue
        if is_masked(c):
            rows.append(_masked_row(hw, c.offset, c.version or 0, c.size))
        elif c.id == EXT_PASID and (masked or detect(hw).layer == "guest"):
            rows.append(HostRow(c.offset, "PASID (synthesized)", c.size, "guess",
                                "synthesized by the VMM, most likely: upstream vfio-pci hides "
                                "PASID (no length in pci_ext_cap_length[]), so a PASID linked in "
                                "a guest's chain is the VMM's virtual one (or the host's at its "
                                "physical offset, under a kernel that exposes PASID)"))
        else:
            rows.append(HostRow(c.offset, c.name, c.size, "seen", "linked in the dump"))
    rows = _eliminate(hw, rows)
    chained = {c.offset for c in hw.capabilities if c.space is E}
    for o in hw.orphans:
        lands = f"{o.next:#05x}" if o.next else "the end"
        where = ("its next pointer leads back into the chain at " + lands
                 if o.next in chained else f"unlinked; its next pointer leads to {lands}")
        rows.append(HostRow(o.offset, o.name, o.size, "guess",
                            f"a well-formed header no chain reaches ({where}): the host most "
                            "likely linked it there, and a VMM or vfio-pci unlinked it"))
    if not hw.capabilities and _u32(cs, STD_SIZE) == 0:
        rows.append(HostRow(STD_SIZE, "nothing visible", 0, "unknown", "0x100 reads 0: the host "
                            "may have extended capabilities that the guest cannot see at all"))
    return tuple(sorted(rows, key=lambda r: r.offset))


# What a VMM's masked span can be, one of each per function (a VF Resizable BAR is taken as a
# Resizable BAR): the name and the smallest size of each, from the one table of removals.
ONE_EACH = (ARI, SRIOV, EXT_REBAR)
REMOVED_NAMES = {i: REMOVED[i].name for i in ONE_EACH}
REMOVED_SIZES = {i: REMOVED[i].smallest for i in ONE_EACH}


def _eliminate(hw: Layout, rows: list[HostRow]) -> list[HostRow]:
    """Decide VMM-masked spans by elimination: a function has at most one ARI, one SR-IOV and
    one Resizable BAR (each is a per-function structure, PCIe 6.3 §7.8.7, §9.3.3, §7.8.6), so
    a capability decided at one span (by its size, or seen linked) is not another span's, and
    what is left may decide it. Repeated until nothing changes."""
    cs = hw.space
    masked = {c.offset: c for c in hw.capabilities if is_masked(c) and c.version}
    cands: dict[int, set[int]] = {}
    for r in rows:
        if r.offset not in masked:
            continue
        guess = masked_guess(cs.data, r.offset, masked[r.offset].size)
        if guess is not None:
            cands[r.offset] = {EXT_REBAR if guess[0] == EXT_VF_REBAR else guess[0]}
        else:
            cands[r.offset] = {i for i, size in REMOVED_SIZES.items()
                               if size <= masked[r.offset].size}
    taken = {c.id: c.offset for c in hw.capabilities
             if c.space is E and not is_masked(c) and c.id in REMOVED_NAMES}
    gone_from: dict[int, list[int]] = {}
    changed = True
    while changed:
        changed = False
        for off, ids in cands.items():
            if len(ids) == 1:
                (only,) = ids
                taken.setdefault(only, off)
        for off, ids in cands.items():
            gone = {i for i in ids if i in taken and taken[i] != off}
            if gone and len(ids) > 1 and ids - gone:
                ids -= gone
                gone_from.setdefault(off, []).extend(sorted(gone))
                changed = True
    why = {off: ", ".join(f"{REMOVED_NAMES[i]} is at {taken[i]:#05x}" for i in ids)
           for off, ids in gone_from.items()}
    out = []
    for r in rows:
        ids = cands.get(r.offset)
        if r.offset in why and ids is not None and len(ids) == 1:
            (only,) = ids
            name = REMOVED_NAMES[only]
            size = REMOVED[only].smallest if REMOVED[only].fixed else r.size
            r = HostRow(r.offset, f"likely {name}", size, "guess",
                        f"ID 0 with version {masked[r.offset].version}: a VMM masked it; by "
                        f"elimination ({why[r.offset]}, and a function has one of each), only "
                        f"{name} is left")
        elif r.offset in why and ids:
            r = replace(r, what="one of " + ", ".join(REMOVED_NAMES[i] for i in sorted(ids)),
                        reason=r.reason + f" (not {why[r.offset]})")
        out.append(r)
    return out


def _masked_row(hw: Layout, offset: int, version: int, span: int) -> HostRow:
    """A masked header: which removed or hidden capability fits its span."""
    cs = hw.space
    guess = masked_guess(cs.data, offset, span)
    if guess is not None and version:
        known = REMOVED.get(guess[0])
        size = (known.smallest if known is not None and known.fixed
                else 4 + 8 * ((cs.u32(offset + 8) >> 5) & 7))
        return HostRow(offset, f"likely {guess[1]}", size, "guess", f"ID 0 with version "
                       f"{version}: a VMM masked it; of the capabilities VMMs remove, only "
                       f"{guess[1]} ({size:#x} bytes) fits its {span:#x}-byte span")
    if version:  # a VMM's removal: ARI, SR-IOV or (VF) Resizable BAR, by size
        fits = [REMOVED_NAMES[i] for i in ONE_EACH if REMOVED_SIZES[i] <= span]
        return HostRow(offset, "one of " + ", ".join(fits) if fits else "unknown (masked)", span,
                       "unknown", f"ID 0 with version {version}: a VMM masked it, and its "
                       f"{span:#x} bytes (a zeroed body, or more than one fits) do not say which")
    fits = []
    for cap_id in _hidden_candidates(hw.pcie):
        spec = lookup(E, cap_id)
        size = spec.size(CapContext(cs.data, offset, E, cs.header_type, hw.pcie))
        if size.certainty is Certainty.EXACT and size.size == span:
            fits.append(f"{spec.short} ({size.why})")
    if len(fits) == 1:
        return HostRow(offset, f"likely {fits[0].split(' (')[0]}", span, "guess",
                       f"a [100 v0] placeholder: of the capabilities vfio-pci hides, only "
                       f"{fits[0]}, sized by the spec on these bytes, fills its {span:#x} bytes")
    if fits:
        return HostRow(offset, "one of " + ", ".join(f.split(" (")[0] for f in fits[:6]), span,
                       "unknown", f"a [100 v0] placeholder: its {span:#x} bytes fit several "
                       "capabilities' spec sizes")
    return HostRow(offset, "unknown (placeholder)", span, "unknown", "a [100 v0] placeholder: "
                   "no capability vfio-pci hides fills its span by the spec; its registers are live")


# Capabilities only some functions have (PCIe 6.3 §7.8/7.9, each capability's "applies to"):
# a hidden span is not guessed as one the function cannot carry.
ROOT_COMPLEX_ONLY = {0x05, 0x06, 0x07, 0x0A}  # RC link/internal link/event collector, RCRB
DOWNSTREAM_ONLY = {0x1D, 0x2C}  # DPC, SFI
FLIT_ONLY = {0x32, 0x33, 0x34, 0x37}  # Flit logging, performance, error injection, NOP Flit
ROOT_TYPES, DOWNSTREAM_TYPES = {0x4, 0x9, 0xA}, {0x4, 0x6}


def _hidden_candidates(pcie) -> list[int]:
    """Extended IDs a layer removes (vfio-pci's no-length IDs and the VMMs' removals) that
    this function could carry, by its port type and flit mode."""
    ids = {i for i in range(1, 0x40) if _vfio_hides(i)} | set(REMOVED)
    port = pcie.port_type if pcie is not None else None
    if port not in ROOT_TYPES:
        ids -= ROOT_COMPLEX_ONLY
    if port not in DOWNSTREAM_TYPES:
        ids -= DOWNSTREAM_ONLY
    if pcie is None or not pcie.flit_mode_supported:
        ids -= FLIT_ONLY
    return sorted(ids)
