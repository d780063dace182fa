"""What a verdict is about: the target a device is judged for.

A verdict on a placement only means something for a named target: the layer whose chain the
virtual capability joins (the guest, normally), the kernel flavour underneath (which decides
what vfio-pci hides), the VMM on top (what it removes, and whether it can create the virtual
capability at all) and where the dump itself was read (a dump read inside a guest already is
that guest's view). Every command and the explorer judge against `TargetSpec()` unless told
otherwise, and print `describe()` in their first lines.

What each VMM removes and synthesizes is table-driven knowledge in `core.views.vmms.VMMS`.
"""

from __future__ import annotations

from .record import field, record
TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker

from .views import QemuOptions

if TYPE_CHECKING:  # the VMM table is imported when a VMM is asked about: `show` of the bytes
    #                alone never pays for it
    from .views.vmms import Creates as Realize
    from .views.vmms import Vmm

NO_VMM = "no VMM property: for a custom VMM"
CAPTURED = ("host", "guest")
VIEW_WORDS = {"hardware": "hardware (the bytes as read, no passthrough layer)",
              "vfio": "vfio-pci user space"}


def __getattr__(name: str) -> object:
    if name == "Realize":  # how a VMM creates a virtual capability (core.views.vmms.Creates)
        from .views.vmms import Creates

        return Creates
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class TargetSpec(metaclass=record):
    """The layer placements are judged for, and the options that shape it."""

    view: str = "guest"  # hardware | vfio | guest
    kernel: str = "upstream"  # a kernel profile (core.views.PROFILES)
    vmm: str = "qemu"  # core.views.vmms.VMMS
    qemu: QemuOptions = field(default_factory=QemuOptions)
    captured: str | None = None  # where the dump was read: host | guest | None (decide from bytes)
    arch: str = field(default_factory=lambda: host_arch())  # the guest's: which vIOMMU (x86_64 | aarch64)

    @property
    def vmm_facts(self) -> Vmm:
        from .views.vmms import VMMS

        return VMMS[self.vmm]

    def describe(self, guest_dump: bool = False) -> str:
        """In words, for the first lines of every output: 'QEMU guest, upstream kernel'."""
        if guest_dump:
            return "the guest that read this dump (its bytes as read: no second vfio/VMM pass)"
        if self.view == "hardware":
            return VIEW_WORDS["hardware"]
        kernel = f"{self.kernel} kernel"
        if self.view == "vfio":
            return f"{VIEW_WORDS['vfio']}, {kernel}"
        extra = f", ats={self.qemu.ats}" if self.vmm == "qemu" and self.qemu.ats != "auto" else ""
        return f"{self.vmm_facts.label} guest, {kernel}{extra}"

    def to_json(self, guest_dump: bool = False) -> dict[str, object]:
        return {"view": "captured" if guest_dump else self.view, "kernel": self.kernel,
                "vmm": self.vmm, "qemu_ats": self.qemu.ats, "captured": self.captured,
                "arch": self.arch, "text": self.describe(guest_dump)}

    def realize(self, vcap_name: str, offset: int | None) -> Realize | None:
        """How the target's VMM creates this virtual capability at this offset, or None when
        it cannot (no such capability, or not at that offset): then only a custom VMM can."""
        if self.view != "guest":
            return None
        how = self.vmm_facts.creates.get(vcap_name)
        if how is None or how.state == "proposed" or (
                how.offsets and offset is not None and offset not in how.offsets):
            return None
        return how


ARCHES = ("x86_64", "aarch64")


def host_arch() -> str:
    """This machine's architecture as QEMU names it: the default guest architecture."""
    import os

    return "aarch64" if os.uname().machine.lower() in ("aarch64", "arm64") else "x86_64"
