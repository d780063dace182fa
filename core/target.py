"""What a verdict is about: the target a device is judged for.

A verdict on a placement only means something for a named target: the layer whose chain the
virtual capability joins (the guest, normally), the kernel flavour underneath (which decides
what vfio-pci hides) and the VMM on top (what it drops, and whether it can create the virtual
capability at all). Every command and the explorer judge against `TargetSpec()` unless told
otherwise, and print `describe()` in their first lines.

`VMMS` is table-driven knowledge of what each VMM can synthesize and how its offset is chosen
(../shared/reference/vfio-qemu.md, vmm-guest-views.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .views import PROFILES, QemuOptions


@dataclass(frozen=True, slots=True)
class Realize:
    """How a VMM creates one virtual capability."""

    property: str | None  # the option that sets its offset (None: the VMM picks it)
    offsets: tuple[int, ...] = ()  # the only offsets it can use, when it picks them itself
    how: str = ""  # in words, with the option to set


@dataclass(frozen=True, slots=True)
class Vmm:
    name: str
    label: str
    creates: dict[str, Realize] = field(default_factory=dict)  # vcap name -> how


VMMS: dict[str, Vmm] = {v.name: v for v in (
    Vmm("qemu", "QEMU", {
        # hw/vfio/pci.c vfio_pci_add_vpasid_cap(): x-vpasid-cap-offset, 0 meaning 0xff8
        "pasid": Realize("x-vpasid-cap-offset", (), "x-vpasid-cap-offset=OFFSET (QEMU 11; "
                         "0 or unset means 0xff8)"),
        # vfio_add_nv_gpudirect_cap(): 0xc8, else 0xd4 when MSI-X or another cap is there
        "std:gpudirect": Realize(None, (0xC8, 0xD4), "x-nv-gpudirect-clique=N; QEMU puts it "
                                 "at 0xc8, or 0xd4 when 0xc8 is taken"),
        # vfio_add_vmd_shadow_cap(): Intel VMD devices, at 0xe8
        "std:vmd": Realize(None, (0xE8,), "added by QEMU itself for Intel VMD devices, at 0xe8"),
    }),
)}

NO_VMM = "no VMM property: for a custom VMM"

VIEW_WORDS = {"hardware": "hardware (the bytes as read, no passthrough layer)",
              "vfio": "vfio-pci user space"}


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """The layer placements are judged for, and the options that shape it."""

    view: str = "guest"  # hardware | vfio | guest
    kernel: str = "upstream"  # a kernel profile (core.views.PROFILES)
    vmm: str = "qemu"
    qemu: QemuOptions = field(default_factory=QemuOptions)

    @property
    def vmm_facts(self) -> Vmm:
        return VMMS[self.vmm]

    def describe(self) -> str:
        """In words, for the first lines of every output: 'QEMU guest, upstream kernel'."""
        if self.view == "hardware":
            return VIEW_WORDS["hardware"]
        kernel = f"{self.kernel} kernel"
        if self.view == "vfio":
            return f"{VIEW_WORDS['vfio']}, {kernel}"
        extra = "" if self.qemu.ats else ", ats=off"
        return f"{self.vmm_facts.label} guest, {kernel}{extra}"

    def to_json(self) -> dict[str, object]:
        return {"view": self.view, "kernel": self.kernel, "vmm": self.vmm,
                "qemu_ats": "on" if self.qemu.ats else "off", "text": self.describe()}

    def realize(self, vcap_name: str, offset: int | None) -> Realize | None:
        """How the target's VMM creates this virtual capability at this offset, or None when
        it cannot (no such capability, or not at that offset): then only a custom VMM can."""
        if self.view != "guest":
            return None
        how = self.vmm_facts.creates.get(vcap_name)
        if how is None or (how.offsets and offset is not None and offset not in how.offsets):
            return None
        return how


def check_names(view: str, kernel: str, vmm: str) -> None:
    """Raise ValueError naming the first unknown option (the fronts turn it into exit 2)."""
    from .views import VIEWS

    for what, value, known in (("view", view, VIEWS), ("kernel profile", kernel, PROFILES),
                               ("VMM", vmm, VMMS)):
        if value not in known:
            raise ValueError(f"unknown {what} {value!r} (one of {', '.join(known)})")
