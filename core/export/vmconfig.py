"""The VM configuration a synthesized PASID needs, per guest architecture: the `config` gate
of core.feasibility, and the QEMU command line and libvirt XML that the exports write.

QEMU 11's vfio_pci_synthesize_pasid_cap() (hw/vfio/pci.c, legoater/qemu 0bdfd542) adds the
PASID only when the device is backed by iommufd (its HostIOMMUDevice's get_pasid_info() is
iommufd's) and the vIOMMU in front of it sets VIOMMU_FLAG_PASID_SUPPORTED:
- aarch64: arm-smmuv3 with accel=on (the flag is set by hw/arm/smmuv3-accel.c when
  smmuv3_pasid_supported(): ssidsize > 0, or auto with the host's SSIDSIZE); accel needs
  iommufd-backed vfio-pci; `primary-bus` names the PCIe root bus.
- x86_64: intel-iommu in the source read (hw/i386/intel_iommu.c, legoater/qemu 0137b0a0)
  never sets the flag (vtd_get_viommu_flags() returns only WANT_NESTING_PARENT); commit
  76aa4381c796 queued on QEMU's pci/next (May 2026) adds it. Its PASID properties there:
  x-scalable-mode, x-flts (needs aw-bits=48), x-pasid-mode; caching-mode=on is required for
  any assigned device. Whether a given QEMU sets the flag is for the user to check: the gate
  says `unknown`.
The device goes on the machine's PCIe root bus (pcie.0): QEMU needs a PCIe bus to add
extended capabilities (vfio_add_ext_cap(): pci_bus_is_express()), and on the root bus it
makes the device an RCiEP (vfio_setup_pcie_cap()), where the guest kernel's End-End TLP
Prefix chain starts (pci_configure_eetlp_prefix()).

libvirt (<qemu:commandline>, and <qemu:override> since 8.2) carries the iommufd object and
the QEMU properties libvirt has no element for; a hostdev's user alias starts with `ua-`.
"""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` costs start-up: it is for the type checker alone here
if TYPE_CHECKING:
    from ..target import TargetSpec

IOMMUFD_ID = "iommufd0"
LIBVIRT_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
LIBVIRT_IOMMU_ALIAS = "iommu0"  # the alias libvirt gives the domain's one <iommu>
PASID_WIDTH = 20  # the PCIe maximum; QEMU clamps to the host's

# (machine, vIOMMU device, its properties) per architecture, QEMU's names (see above)
VIOMMU: dict[str, tuple[str, str, tuple[tuple[str, str, str], ...]]] = {
    "aarch64": ("virt", "arm-smmuv3", (("primary-bus", "string", "pcie.0"),
                                       ("accel", "bool", "on"),
                                       ("ssidsize", "string", str(PASID_WIDTH)))),
    "x86_64": ("q35", "intel-iommu", (("caching-mode", "bool", "on"),
                                      ("x-scalable-mode", "bool", "on"),
                                      ("x-flts", "bool", "on"),
                                      ("x-pasid-mode", "bool", "on"),
                                      ("aw-bits", "unsigned", "48"))),
}
LIBVIRT_MODEL = {"aarch64": "smmuv3", "x86_64": "intel"}


def config_gate(target: TargetSpec) -> tuple[str, str, str]:
    """(state, evidence, what to check) of the VM's configuration for a synthesized PASID."""
    if target.vmm != "qemu":
        return ("unknown", f"how {target.vmm_facts.label} is configured for a PASID is not "
                "modelled", f"{target.vmm_facts.label}'s documentation for PASID")
    written = ("capslot export --format qemu-cmdline or libvirt writes -object iommufd, "
               "iommufd= on vfio-pci, the device on pcie.0 and ")
    if target.arch == "aarch64":
        return ("pass", written + "arm-smmuv3,accel=on,ssidsize=20 (VIOMMU_FLAG_PASID_SUPPORTED "
                "from smmuv3_pasid_supported()); the bare --format qemu property needs them too", "")
    return ("unknown", written + "intel-iommu with scalable and PASID mode; but intel-iommu in "
            "the QEMU source read (0137b0a0) never sets VIOMMU_FLAG_PASID_SUPPORTED, which "
            "commit 76aa4381c796 (pci/next, May 2026) adds",
            "that your QEMU's intel-iommu sets VIOMMU_FLAG_PASID_SUPPORTED (has commit "
            "76aa4381c796); its PASID property names may have lost the x- prefix there")


def qemu_cmdline(arch: str, host: str, props: str) -> str:
    """The options to add to a QEMU command line, one per line, shell-continued."""
    machine, viommu, vprops = VIOMMU[arch]
    parts = [f"-machine {machine}",
             f"-object iommufd,id={IOMMUFD_ID}",
             f"-device {viommu}," + ",".join(f"{k}={v}" for k, _, v in vprops),
             f"-device vfio-pci,host={host},bus=pcie.0,iommufd={IOMMUFD_ID},{props}"]
    return " \\\n".join(parts) + "\n"


def libvirt_xml(arch: str, host: str, props: str, alias: str, target_words: str) -> str:
    """The <hostdev> and <iommu> for <devices>, and the <qemu:commandline> and <qemu:override>
    for the <domain>. Nothing given by the user goes into the comment."""
    from xml.sax.saxutils import quoteattr  # here: it imports urllib (~90 ms), libvirt's alone

    domain, bus, rest = host.split(":")
    slot, function = rest.split(".")
    _, _, vprops = VIOMMU[arch]
    user_alias = alias.startswith("ua-")
    hostdev = [
        "  <hostdev mode='subsystem' type='pci' managed='yes'>",
        "    <source>",
        f"      <address domain='0x{domain}' bus='0x{bus}' slot='0x{slot}' function='0x{function}'/>",
        "    </source>",
        *([f"    <alias name={quoteattr(alias)}/>"] if user_alias else []),
        "  </hostdev>",
    ]

    def prop(name: str, kind: str, value: str) -> str:
        return f"      <qemu:property name={quoteattr(name)} type={quoteattr(kind)} value={quoteattr(value)}/>"

    device_props = [prop("iommufd", "string", IOMMUFD_ID)]
    for item in props.split(","):
        name, _, value = item.partition("=")
        device_props.append(prop(name, "unsigned", str(int(value, 16))))
    bool_words = {"on": "true", "off": "false"}
    return "\n".join([
        f"<!-- capslot, target: {target_words}, {arch}. <hostdev> and <iommu> go inside "
        "<devices> (keep the hostdev on the PCIe root bus, bus 0x00); <qemu:commandline> and "
        "<qemu:override> inside <domain>, which must declare "
        f"xmlns:qemu='{LIBVIRT_NS}'. The override names the hostdev by its alias. -->",
        "<devices>", *hostdev,
        f"  <iommu model='{LIBVIRT_MODEL[arch]}'/>",
        "</devices>",
        f"<qemu:commandline xmlns:qemu='{LIBVIRT_NS}'>",
        "  <qemu:arg value='-object'/>",
        f"  <qemu:arg value='iommufd,id={IOMMUFD_ID}'/>",
        "</qemu:commandline>",
        f"<qemu:override xmlns:qemu='{LIBVIRT_NS}'>",
        f"  <qemu:device alias={quoteattr(alias)}>",
        "    <qemu:frontend>", *device_props, "    </qemu:frontend>",
        "  </qemu:device>",
        f"  <qemu:device alias='{LIBVIRT_IOMMU_ALIAS}'>",
        "    <qemu:frontend>",
        *[prop(k, kind, bool_words.get(v, v)) for k, kind, v in vprops],
        "    </qemu:frontend>",
        "  </qemu:device>",
        "</qemu:override>", ""])
