"""Exporters: what capslot writes for other tools. `dumps` writes config-space bytes in the
formats other tools read (lspci -xxxx text, raw binary, xxd, hexdump -C, pcileech .coe);
`vmconfig` writes the VM configuration (QEMU's command line, libvirt's XML) a placed PASID
needs. Which of them a plan may write is the plan's policy (core.plan.exports)."""

from .dumps import binary, coe_text, hexdump_text, lspci_text, xxd_text

__all__ = ["binary", "coe_text", "hexdump_text", "lspci_text", "xxd_text"]
