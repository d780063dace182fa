"""Will it work? Every gate between a placed virtual capability and a guest that uses it.

A free offset is necessary, not sufficient: the user asks "will my guest get a working PASID
if I put it at 0xff8?". Each gate below can make the answer "no" at every offset; each is
`pass | fail | unknown` with its evidence (the register and bit, or the source rule), and the
first gate that fails decides the answer:

- `works`: every gate passes;
- `not-synthesized`: the VMM will not create the capability (the guest never sees it);
- `blocked`: the device cannot be assigned, or the capability is created but PASID cannot
  flow (the host cannot enable PASID on the function, or the placement collides);
- `unknown`: nothing fails, but some gate cannot be known from this input (what to check,
  and how, is said).

The rules, from the source (docs/reference/pasid-feasibility.md summarizes them; where it
and the source disagree, the source wins):
- Linux drivers/pci/ats.c pci_enable_pasid(): a VF follows its PF (`pasid_enabled` of the PF);
  `if (!pdev->eetlp_prefix_max && !pdev->pasid_no_tlp) return -EINVAL;` and
  `if (!pci_acs_path_enabled(pdev, NULL, PCI_ACS_RR | PCI_ACS_UF)) return -EINVAL;`
  (drivers/pci/probe.c pci_configure_eetlp_prefix(): DevCap2 bit 21, a chain from a Root Port
  or an RCiEP; the path and ACS are `core.topology`'s); pasid_no_tlp is set only by
  drivers/pci/quirks.c quirk_huawei_pcie_sva().
- iommufd IOMMU_GET_HW_INFO `out_max_pasid_log2` is 0 when pci_max_pasids() finds no PASID
  capability (drivers/iommu/iommufd/device.c, drivers/iommu/iommu.c
  dev_iommu_get_max_pasids()); QEMU's iommufd get_pasid_info() then returns false and
  vfio_pci_synthesize_pasid_cap() (hw/vfio/pci.c, legoater/qemu 0bdfd542, QEMU 11) adds none.
  It is also skipped when the kernel shows a PASID itself (a kernel that exposes it), when
  the device is not PCI Express on a PCIe bus, when the kernel shows no extended capability
  at 0x100, and without a vIOMMU that sets VIOMMU_FLAG_PASID_SUPPORTED.
- vfio-pci binds only header type 0 (drivers/vfio/pci/vfio_pci_core.c
  vfio_pci_core_register_device(): `if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)`);
  QEMU refuses PCIe types other than Endpoint, Legacy Endpoint and RCiEP
  (vfio_setup_pcie_cap(): "assignment of PCIe type 0x%x devices is not currently supported").
- Each VMM: what it creates is `core.views.vmms` (`Creates`), what makes it refuse or hang at
  device start is a problem of its guest view (`vmm_refuses`, `vmm_hang`, ...).
"""

from __future__ import annotations

from .ids import CAP_ID_EXP, EXT_PASID
from .record import record
from .registry import Space
from .topology import BLOCKED as PATH_BLOCKED
from .topology import OK as PATH_OK
from .topology import WARNING as PATH_WARNING
from .verdicts import Verdict
from .topology import PCI_EXP_DEVCAP2, PCI_EXP_DEVCAP2_EE_PREFIX

TYPE_CHECKING = False  # `typing` costs start-up: it is for the type checker alone here
if TYPE_CHECKING:
    from typing import Any

    from .placement.auto import Placement
    from .plan import Plan

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
WORKS, NOT_SYNTHESIZED, BLOCKED = "works", "not-synthesized", "blocked"
STATES = (WORKS, NOT_SYNTHESIZED, BLOCKED, UNKNOWN)  # the survey counts each
REFUSED_STATES = (NOT_SYNTHESIZED, BLOCKED)  # refused like a collision (exit 1)
STATE_WORDS = {  # (the state, what it means)
    WORKS: ("works", "every gate passes"),
    NOT_SYNTHESIZED: ("NOT SYNTHESIZED", "the guest will not get it at any offset"),
    BLOCKED: ("BLOCKED", "it cannot work here"),
    UNKNOWN: ("UNKNOWN", "nothing rules it out, but not everything can be known from this input"),
}
LAYOUT_ONLY = ("layout only: the offset is judged, not whether a VMM creates the capability or "
               "whether it works (--layout-only)")
NOT_A_GUEST = ("layout only: the target is the {view} view, not a guest: the offset is judged, "
               "not whether a guest gets the capability")
HOST_CHECK = "capslot path sysfs:BDF on the host"

# PCI Express port types QEMU's vfio_setup_pcie_cap() assigns
PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_LEG_END, PCI_EXP_TYPE_RC_END = 0x0, 0x1, 0x9
QEMU_ASSIGNS = (PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_LEG_END, PCI_EXP_TYPE_RC_END)
# drivers/pci/quirks.c quirk_huawei_pcie_sva(): PASID without TLP prefixes (pasid_no_tlp)
HUAWEI, HUAWEI_SVA = 0x19E5, frozenset({0xA250, 0xA251, 0xA255, 0xA256, 0xA258, 0xA259})
HUAWEI_SVA_REVISIONS = frozenset({0x21, 0x30})
VF_ID = 0xFFFF  # an SR-IOV VF's Vendor and Device ID registers read 0xffff
START_FAILURES = ("vmm_hang", "vmm_refuses", "qemu_abort", "qemu_start_fails")


@record
class Gate:
    """One gate's answer: its name, pass/fail/unknown, and why (the register and bit, or
    the source rule); for `unknown`, `check` says what to look at and how."""

    gate: str
    state: str
    evidence: str
    check: str = ""

    def to_json(self) -> dict[str, str]:
        out = {"gate": self.gate, "state": self.state, "evidence": self.evidence}
        if self.check:
            out["check"] = self.check
        return out


@record
class Feasibility:
    """The answer for one placement: the state that leads, and every gate behind it."""

    state: str
    gates: tuple[Gate, ...]

    @property
    def deciding(self) -> Gate | None:
        """The gate that decides a state other than `works`: the first that fails, else the
        first unknown."""
        return next((g for g in self.gates if g.state == FAIL),
                    next((g for g in self.gates if g.state == UNKNOWN), None))

    @property
    def refused(self) -> bool:
        return self.state in REFUSED_STATES

    def headline(self, name: str, offset: int | None) -> str:
        """The answer in words, before any offset talk: 'pasid at 0xff8: NOT SYNTHESIZED
        (device): the guest will not get it at any offset; no PASID capability ...'."""
        where = f"{name} at {offset:#05x}" if offset is not None else name
        g = self.deciding
        state, meaning = STATE_WORDS[self.state]
        if g is None:
            return f"{where}: {state}: {meaning}"
        return f"{where}: {state} ({g.gate}): {meaning}; {g.evidence}"

    def summary(self) -> str:
        """Every gate in one line: 'assign pass, vmm pass, device FAIL, path unknown'."""
        return ", ".join(f"{g.gate} {g.state.upper() if g.state == FAIL else g.state}"
                         for g in self.gates)

    def checks(self) -> list[str]:
        """What to check for each unknown gate."""
        return [f"{g.gate}: {g.check or g.evidence}" for g in self.gates if g.state == UNKNOWN]

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "gates": [g.to_json() for g in self.gates]}


# ---------------------------------------------------------------- the gates

def _assign(plan: Plan, p: Placement) -> Gate:
    cs = plan.device
    if not cs.has(0x0E):
        return Gate("assign", UNKNOWN, "the header type (0x0e) is not in the dump",
                    "the function's header type: vfio-pci binds only type 0")
    if cs.header_type != 0:
        kind = {1: "a PCI-to-PCI bridge (a switch or root port)", 2: "a CardBus bridge"}.get(
            cs.header_type, f"header type {cs.header_type}")
        return Gate("assign", FAIL, f"header type {cs.header_type} at 0x0e: {kind}; vfio-pci "
                    "binds only type-0 functions (vfio_pci_core_register_device(): hdr_type != "
                    "PCI_HEADER_TYPE_NORMAL)")
    return Gate("assign", PASS, "header type 0: vfio-pci can bind it")


def _vmm_accepts(plan: Plan, p: Placement) -> Gate:
    layout = plan.view()
    facts = plan.target.vmm_facts
    starts = [pr for pr in layout.problems if pr.kind in START_FAILURES]
    if starts:
        return Gate("vmm-accepts", FAIL, starts[0].message)
    pcie = plan.hardware.pcie
    if facts.name == "qemu" and pcie is not None and pcie.port_type not in QEMU_ASSIGNS:
        return Gate("vmm-accepts", FAIL, f"PCI Express port type {pcie.port_type:#x}: QEMU "
                    "assigns only Endpoints, Legacy Endpoints and RCiEPs (vfio_setup_pcie_cap(): "
                    f"\"assignment of PCIe type {pcie.port_type:#x} devices is not currently "
                    "supported\")")
    return Gate("vmm-accepts", PASS, f"nothing in the bytes makes {facts.label} refuse or hang on "
                "this device")


def _vmm_creates(plan: Plan, p: Placement) -> Gate:
    facts = plan.target.vmm_facts
    how = facts.creates.get(p.vcap.name)
    if how is None:
        return Gate("vmm", FAIL, f"{facts.label} has no synthesis of {p.vcap.name} "
                    f"({facts.source}); only a custom VMM can add it (--layout-only judges the "
                    "offset alone)")
    if how.state == "proposed":
        return Gate("vmm", FAIL, f"{facts.label} does not create it: {how.how}")
    if how.offsets and p.offset is not None and p.offset not in how.offsets:
        at = ", ".join(f"{o:#05x}" for o in how.offsets)
        return Gate("vmm", FAIL, f"{facts.label} puts it only at {at}, not at {p.offset:#05x}: "
                    f"{how.how}")
    if how.state == "unverified":
        return Gate("vmm", UNKNOWN, how.how, f"that your {facts.label} has it, and how to ask "
                    "for it")
    if how.property is not None and p.offset is not None:
        from .placement.validate import qemu_accepts

        ok, why = qemu_accepts(plan.ground.layout, p.offset, p.vcap.size)
        if not ok:
            qemu_words = ("QEMU adds no extended capability to this device"
                          if why.startswith("the kernel view has no") else
                          f"QEMU's insertion check refuses {p.offset:#05x}")
            return Gate("vmm", FAIL, f"{qemu_words} ({why})")
        return Gate("vmm", PASS, f"{facts.label} creates it: {how.property}={p.offset:#x}")
    return Gate("vmm", PASS, f"{facts.label} creates it: {how.how}")


def _kernel(plan: Plan, p: Placement) -> Gate:
    from .views import PROFILES

    profile = PROFILES[plan.target.kernel]
    if profile.exposes_pasid:
        where = _pasid_offset(plan)
        at = f" (the physical one at {where:#05x})" if where is not None else ""
        return Gate("kernel", FAIL, f"the {profile.name} kernel's vfio-pci exposes PASID: QEMU "
                    f"sees the device's own PASID{at} and synthesizes none "
                    "(vfio_add_ext_cap() adds the visible one instead)")
    return Gate("kernel", PASS, "upstream vfio-pci hides the physical PASID "
                "(pci_ext_cap_length[PCI_EXT_CAP_ID_PASID] = 0), so QEMU may synthesize one")


def _pasid_offset(plan: Plan) -> int | None:
    return next((c.offset for c in plan.hardware.capabilities
                 if c.space is Space.EXTENDED and c.id == EXT_PASID), None)


def _device(plan: Plan, p: Placement) -> Gate:
    cs = plan.device
    where = _pasid_offset(plan)
    if plan.guest_dump:
        if where is not None:
            return Gate("device", PASS, f"the guest already shows a PASID at {where:#05x}: a "
                        "layer below gave it one, so the host reports a PASID width")
        return Gate("device", UNKNOWN, "read inside a guest: vfio-pci hides the host's PASID "
                    "capability from it", "that the host function has a PASID capability: "
                    "capslot show sysfs:BDF on the host")
    if where is not None:
        width = (cs.u16(where + 4) >> 8) & 0x1F if cs.has(where + 4, 2) else None
        bits = f", Max PASID Width {width}" if width is not None else ""
        return Gate("device", PASS, f"PASID capability at {where:#05x}{bits}: the host IOMMU "
                    "reports a PASID width (iommufd out_max_pasid_log2)")
    if cs.vendor_id == VF_ID and cs.device_id == VF_ID:
        return Gate("device", UNKNOWN, "an SR-IOV VF (IDs read 0xffff): its PF's PASID "
                    "capability decides (pci_max_pasids() reads the PF's)",
                    "that the PF has a PASID capability: capslot show on the PF")
    return Gate("device", FAIL, "no PASID capability (extended ID 0x001b) in the function's "
                "chain: pci_max_pasids() finds none, iommufd reports out_max_pasid_log2 = 0, and "
                "vfio_pci_synthesize_pasid_cap() adds nothing")


def _express(plan: Plan, p: Placement) -> Gate:
    if not any(c.space is Space.STANDARD and c.id == CAP_ID_EXP for c in plan.hardware.capabilities):
        return Gate("express", FAIL, "no PCI Express capability: QEMU adds extended "
                    "capabilities only to a PCI Express device (vfio_add_ext_cap())")
    from .views.vfio import config_region_size

    hw = plan.hardware
    size = config_region_size(hw.space, hw.capabilities)  # what vfio's view is built with
    if size <= 0x100:
        return Gate("express", FAIL, f"the kernel's config region is {size} bytes "
                    "(pci_cfg_space_size()): there is no extended space to add it to")
    if any(f.kind == "qemu-device" for f in p.findings):
        return Gate("express", FAIL, "the kernel shows no extended capability at 0x100: QEMU's "
                    "vfio_add_ext_cap() returns before synthesizing")
    return Gate("express", PASS, "a PCI Express device with a 4 KiB config region (QEMU needs it "
                "on a PCIe machine bus too: the export puts it on pcie.0)")


def _eetlp(plan: Plan, p: Placement) -> Gate:
    cs = plan.device
    if (cs.vendor_id == HUAWEI and cs.device_id in HUAWEI_SVA and cs.has(0x08)
            and cs.u8(0x08) in HUAWEI_SVA_REVISIONS):
        return Gate("eetlp", PASS, "a Huawei SVA device the kernel marks pasid_no_tlp "
                    "(quirk_huawei_pcie_sva()): PASID without End-End TLP Prefixes")
    pcie = plan.hardware.pcie
    if pcie is None:
        return Gate("eetlp", FAIL, "no PCI Express capability: TLP prefixes are PCI Express only")
    if pcie.version < 2:
        return Gate("eetlp", FAIL, "PCI Express capability version 1: no Device Capabilities 2, "
                    "so no End-End TLP Prefix support (pci_enable_pasid() needs it)")
    at = pcie.offset + PCI_EXP_DEVCAP2
    if not cs.has(at, 4):
        return Gate("eetlp", UNKNOWN, f"Device Capabilities 2 at {at:#05x} is not in the dump",
                    "End-End TLP Prefix Supported (DevCap2 bit 21): lspci -vvv shows EETLPPrefix")
    cap2 = cs.u32(at)
    if not cap2 & PCI_EXP_DEVCAP2_EE_PREFIX:
        return Gate("eetlp", FAIL, f"Device Capabilities 2 at {at:#05x} = {cap2:#010x}, bit 21 "
                    "(End-End TLP Prefix Supported) clear: pci_enable_pasid() refuses the "
                    "function (eetlp_prefix_max = 0)")
    return Gate("eetlp", PASS, f"Device Capabilities 2 at {at:#05x} = {cap2:#010x}, bit 21 set")


def _path(plan: Plan, p: Placement) -> Gate:
    path = plan.upstream
    if plan.guest_dump:
        return Gate("path", UNKNOWN, "read inside a guest: the host's ports are not in it",
                    f"End-End TLP Prefix and ACS up to the root port: {HOST_CHECK}")
    if path is None or path.source == "one device":
        return Gate("path", UNKNOWN, "a dump of one device does not show the ports above it",
                    f"End-End TLP Prefix and ACS up to the root port: {HOST_CHECK}, or give a "
                    "dump of the whole machine with --slot")
    state, why = path.verdict()
    if state == PATH_BLOCKED:
        return Gate("path", FAIL, why)
    if state == PATH_OK:
        return Gate("path", PASS, why)
    if state == PATH_WARNING:
        return Gate("path", UNKNOWN, why, "clear End-End TLP Prefix Blocking on that port")
    return Gate("path", UNKNOWN, why, HOST_CHECK)


IOMMU_CHECK = ("the host IOMMU supports PASID (Intel: ECAP bit 40 in "
               "/sys/class/iommu/dmar*/intel-iommu/ecap; ARM SMMUv3: SSIDSIZE > 0)")


def _iommu(plan: Plan, p: Placement) -> Gate:
    cs = plan.device
    if cs.provenance.format == "sysfs" and cs.provenance.slot:
        from . import host

        state, why = host.iommu_pasid(cs.provenance.slot)
        if state is None:
            return Gate("iommu", UNKNOWN, why, IOMMU_CHECK)
        return Gate("iommu", PASS if state else FAIL, why + (
            "" if state else ": the host IOMMU reports no PASID width (out_max_pasid_log2 = 0)"))
    return Gate("iommu", UNKNOWN, "the host IOMMU's PASID support is not in a config dump",
                IOMMU_CHECK)


def _config(plan: Plan, p: Placement) -> Gate:
    from .export.vmconfig import config_gate

    state, evidence, check = config_gate(plan.target)
    return Gate("config", state, evidence, check)


def _layout(plan: Plan, p: Placement) -> Gate:
    if p.offset is None:
        return Gate("layout", FAIL, "no safe slot: " + (p.rejected[-1].reason if p.rejected
                                                        else "no candidate"))
    bad = [f for f in p.findings if f.severity != Verdict.INFO]
    if p.verdict == Verdict.COLLISION:
        return Gate("layout", FAIL, f"{p.offset:#05x}: collision ({bad[0].message})")
    if p.verdict == Verdict.WARNING:
        return Gate("layout", UNKNOWN, f"{p.offset:#05x}: warning ({bad[0].message})",
                    "each warning of the placement")
    return Gate("layout", PASS, f"{p.offset:#05x}: no collision, no live register")


@record
class Rule:
    """One gate: what it is called, which capabilities it concerns (None: every one), what a
    failure means, and how it is judged."""

    name: str
    pasid_only: bool
    fails_as: str  # not-synthesized | blocked
    judge: Any  # (Plan, Placement) -> Gate
    what: str  # the question it answers, for the README and the explorer's help


# In the order that decides: the first gate that fails gives the state.
RULES: tuple[Rule, ...] = (
    Rule("assign", False, BLOCKED, _assign, "does vfio-pci bind it? (header type 0 only)"),
    Rule("vmm-accepts", False, BLOCKED, _vmm_accepts, "does the VMM take the device? (QEMU: "
         "Endpoints and RCiEPs; openvmm: no I/O BAR; Firecracker: MSI-X; no looping chain)"),
    Rule("vmm", False, NOT_SYNTHESIZED, _vmm_creates, "does the VMM create this capability, at "
         "this offset? (QEMU 11: x-vpasid-cap-offset; Firecracker, crosvm, openvmm: no)"),
    Rule("kernel", True, NOT_SYNTHESIZED, _kernel, "does vfio-pci hide the physical PASID? "
         "(upstream yes; a kernel that exposes it makes QEMU add none)"),
    Rule("device", True, NOT_SYNTHESIZED, _device, "does the function have a PASID capability "
         "(a VF: its PF)? without one the host reports no PASID width"),
    Rule("express", True, NOT_SYNTHESIZED, _express, "PCI Express, a 4 KiB config region and an "
         "extended capability for QEMU to add to?"),
    Rule("config", True, NOT_SYNTHESIZED, _config, "iommufd and a vIOMMU with PASID support in "
         "the VM (the qemu-cmdline and libvirt exports write them)"),
    Rule("eetlp", True, BLOCKED, _eetlp, "does the function support End-End TLP Prefixes "
         "(DevCap2 bit 21)? pci_enable_pasid() needs it"),
    Rule("path", True, BLOCKED, _path, "do the ports up to the root support them, and pass "
         "Linux's ACS check? (known live, or from a dump of the whole machine)"),
    Rule("iommu", True, NOT_SYNTHESIZED, _iommu, "does the host IOMMU support PASID? (known "
         "live on Intel: ECAP bit 40)"),
    Rule("layout", False, BLOCKED, _layout, "is the offset free of collisions and live "
         "registers? (the validator)"),
)
GATE_NAMES = tuple(r.name for r in RULES)


def judge(plan: Plan, p: Placement) -> Feasibility:
    """Every gate for one placement of `plan` (a guest target), and the state that leads."""
    pasid = p.vcap.space is Space.EXTENDED and p.vcap.cap_id == EXT_PASID
    gates: list[Gate] = []
    state = None
    for rule in RULES:
        if rule.pasid_only and not pasid:
            continue
        g = rule.judge(plan, p)
        gates.append(g)
        if g.state == FAIL and state is None:
            state = rule.fails_as
    if state is None:
        state = UNKNOWN if any(g.state == UNKNOWN for g in gates) else WORKS
    return Feasibility(state, tuple(gates))


def gates_text() -> list[str]:
    """The gates in a few lines, in the order that decides (README, the explorer's help)."""
    return [f"{r.name}: {r.what}" + (" [PASID]" if r.pasid_only else "") for r in RULES]
