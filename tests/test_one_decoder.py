"""One decoder, one encoder (core/registry/decode.py, construct), checked against truth from
outside it:

- every register and field of every capability of every real dump, against the raw bytes
  read here with plain bit arithmetic (the registry only says where each register sits);
- MSI, MSI-X and Power Management values against lspci's own decode of the same dumps;
- what `explain` says of each byte, against the same bit arithmetic;
- every virtual capability template, against the bytes QEMU writes (modelled here from
  hw/pci/pcie.c and hw/vfio/pci-quirks.c, without construct);
- the register tables themselves: no field overlaps another or leaves its register.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from capslot.core.explain import explain
from capslot.core.layout import build
from capslot.core.placement.vcaps import TEMPLATES
from capslot.core.registry import Space, entries, lookup
from capslot.core.registry.decode import decode, encode
from capslot.core.registry.model import CapContext
from capslot.core.sources import load
from tests.cli import capslot
from tests.conftest import sample_dumps
from tests.helpers import ctx_for, dw, ext_header

DUMPS = sample_dumps()
INT_WIDTHS = (1, 2, 4, 8)


def le(raw: bytes) -> int:
    return sum(b << 8 * i for i, b in enumerate(raw))


def field_of(value: int, lo: int, hi: int) -> int:
    return (value >> lo) & ((1 << (hi - lo + 1)) - 1)


def independent(spec, ctx: CapContext, size: int) -> dict[tuple[str, str | None], int | bytes]:
    """Every register (and field) of one capability, read from the raw bytes here."""
    out: dict[tuple[str, str | None], int | bytes] = {}
    for r in spec.registers(ctx, size):
        if r.end > max(size, 4):
            continue
        raw = ctx.data[ctx.offset + r.offset:ctx.offset + r.end]
        if r.width not in INT_WIDTHS:
            out[(r.name, None)] = raw
            continue
        out[(r.name, None)] = le(raw)
        for f in r.fields:
            out[(r.name, f.name)] = field_of(le(raw), f.lo, f.hi)
    return out


def decoded(spec, ctx: CapContext, size: int) -> dict[tuple[str, str | None], int | bytes]:
    return {(v.register.name, v.field.name if v.field else None): v.value
            for v in decode(spec, ctx, size)}


def capabilities(dump: Path):
    layout = build(load(str(dump))[0])
    for cap in layout.capabilities:
        yield layout, cap, cap.context(layout.space, layout.pcie)


def test_every_value_of_every_real_capability_matches_the_raw_bits():
    compared = capabilities_seen = 0
    wrong = []
    for dump in DUMPS:
        for _, cap, ctx in capabilities(dump):
            want = independent(cap.spec, ctx, cap.size)
            got = decoded(cap.spec, ctx, cap.size)
            capabilities_seen += 1
            assert got.keys() == want.keys(), (dump.name, cap.name, cap.offset)
            compared += len(want)
            wrong += [(dump.name, cap.name, hex(cap.offset), key, got[key], want[key])
                      for key in want if got[key] != want[key]]
    assert not wrong, wrong[:10]
    # the corpus really was read: at least the header of every capability of every dump
    assert capabilities_seen >= len(DUMPS) and compared >= 2 * capabilities_seen


# ---------------------------------------------------------------- lspci's decode of the same bytes

CAP = re.compile(r"^\tCapabilities: \[([0-9a-f]+)\] (.*)$")
MSI = re.compile(r"MSI: Enable([+-]) Count=(\d+)/(\d+) Maskable([+-]) 64bit([+-])")
MSIX = re.compile(r"MSI-X: Enable([+-]) Count=(\d+) Masked([+-])")
MSIX_WHERE = re.compile(r"^\t\t(Vector table|PBA): BAR=(\d) offset=([0-9a-f]+)")
PM = re.compile(r"Power Management version (\d)")


def lspci_claims(text: str) -> dict[int, dict[tuple[str, str], int]]:
    """Per standard capability offset, the register/field values lspci prints (pciutils
    ls-caps.c: cap_msi, cap_msix, cap_pm)."""
    claims: dict[int, dict[tuple[str, str], int]] = {}
    current: int | None = None
    for line in text.splitlines():
        m = CAP.match(line)
        if m:
            offset, what = int(m.group(1), 16), m.group(2)
            current = None
            if offset >= 0x100:
                continue
            plus = lambda s: int(s == "+")  # noqa: E731 - a one-line mapping, named for the assert below
            if (x := MSI.match(what)):
                claims[offset] = {
                    ("message_control", "enable"): plus(x.group(1)),
                    ("message_control", "multiple_message_enable"): int(x.group(2)).bit_length() - 1,
                    ("message_control", "multiple_message_capable"): int(x.group(3)).bit_length() - 1,
                    ("message_control", "per_vector_masking"): plus(x.group(4)),
                    ("message_control", "addr64"): plus(x.group(5))}
            elif (x := MSIX.match(what)):
                claims[offset] = {("message_control", "enable"): plus(x.group(1)),
                                  ("message_control", "table_size"): int(x.group(2)) - 1,
                                  ("message_control", "function_mask"): plus(x.group(3))}
                current = offset
            elif (x := PM.match(what)):
                claims[offset] = {("pmc", "version"): int(x.group(1))}
            continue
        w = MSIX_WHERE.match(line)
        if w and current is not None:
            register = "table" if w.group(1) == "Vector table" else "pba"
            claims[current][(register, "bir")] = int(w.group(2))
            claims[current][(register, "offset")] = int(w.group(3), 16) >> 3
    return claims


def test_msi_msix_and_power_management_read_as_lspci_reads_them():
    checked = 0
    for dump in DUMPS:
        claims = lspci_claims(dump.with_suffix(".lspci.txt").read_text())
        found = {cap.offset: (cap, ctx) for _, cap, ctx in capabilities(dump) if cap.space is Space.STANDARD}
        for offset, want in claims.items():
            cap, ctx = found[offset]
            got = decoded(cap.spec, ctx, cap.size)
            assert {k: got[k] for k in want} == want, (dump.name, hex(offset))
            checked += len(want)
    assert checked > 300  # 71 MSI, dozens of MSI-X and PM capabilities in the corpus


# ---------------------------------------------------------------- explain: a byte's fields

@pytest.mark.parametrize("name", ["realtek_rtl8168_nic_b", "intel_0d93_cxl_dvsec", "amd_navi21_rx6800_73bf"])
def test_explain_gives_each_byte_the_fields_of_its_register(name):
    layout = build(load(f"sample_dumps/{name}.txt")[0])
    data = layout.space.data
    seen = 0
    for cap in layout.capabilities:
        regs = cap.spec.registers(cap.context(layout.space, layout.pcie), cap.size)
        for offset in range(cap.offset, cap.offset + cap.size):
            facts = explain(layout, offset)
            rel = offset - cap.offset
            owner = next((r for r in regs if r.offset <= rel < r.end), None)
            if owner is None or owner.width not in INT_WIDTHS:
                assert facts.fields == ()
                continue
            whole = le(data[cap.offset + owner.offset:cap.offset + owner.end])
            byte_lo, byte_hi = (rel - owner.offset) * 8, (rel - owner.offset) * 8 + 7
            want = {(f.name, field_of(whole, f.lo, f.hi)) for f in owner.fields
                    if f.lo <= byte_hi and f.hi >= byte_lo}
            assert {(n, v) for n, _, _, v in facts.fields} == want, hex(offset)
            seen += len(want)
    assert seen > 0


# ---------------------------------------------------------------- templates: QEMU's bytes

def qemu_ext_cap(cap_id: int, version: int, next_ptr: int = 0) -> bytes:
    """PCI_EXT_CAP(id, ver, next) as pcie_add_capability() writes it."""
    return (cap_id | version << 16 | next_ptr << 20).to_bytes(4, "little")


def u16(v: int) -> bytes:
    return v.to_bytes(2, "little")


def u32(v: int) -> bytes:
    return v.to_bytes(4, "little")


# QEMU (hw/pci/pcie.c, include/hw/pci/pcie_regs.h, Linux pci_regs.h):
#   pcie_pasid_common_init(): PCI_PASID_CAP (+4) = width << PCI_PASID_CAP_WIDTH_SHIFT (8)
#     | exec 0x2 | priv 0x4; PCI_PASID_CTRL (+6) = 0; PCI_PASID_VER 1. vfio passes the host
#     IOMMU's width; 20 is PCI_EXT_CAP_PASID_MAX_WIDTH, exec and priv off.
#   pcie_pri_init(outstanding_pr_cap, prg_response_pasid_req): PCI_PRI_STATUS (+6) =
#     PCI_PRI_STATUS_STOPPED 0x100 (| 0x8000 with PASID), PCI_PRI_MAX_REQ (+8) = outstanding;
#     PCI_PRI_VER 1. The template models outstanding 32, no PASID.
#   pcie_ats_init(aligned=true): PCI_ATS_CAP (+4) = PCI_ATS_CAP_PAGE_ALIGNED 0x20,
#     PCI_ATS_CTRL (+6) = 0, version 0x1.
# LTR has no QEMU init function: the template is the spec's reset value (latencies 0).
# hw/vfio/pci-quirks.c:
#   vfio_add_nv_gpudirect_cap(): 09 next 08 'P' '2' 'P' (clique << 3) 00
#   vfio_add_vmd_shadow_cap(): 09 next VMD_SHADOW_CAP_LEN(24) VMD_SHADOW_CAP_VER(1),
#     pci_set_long(0x53484457 "SHDW"), then the 16 MEMBAR bytes (the template: zeros).
QEMU_BYTES = {
    "pasid": qemu_ext_cap(0x1B, 1) + u16(20 << 8) + u16(0),
    "pri": qemu_ext_cap(0x13, 1) + u16(0) + u16(0x0100) + u32(32) + u32(0),
    "ats": qemu_ext_cap(0x0F, 1) + u16(0x0020) + u16(0),
    "ltr": qemu_ext_cap(0x18, 1) + u16(0) + u16(0),
    "std:gpudirect": bytes([0x09, 0x00, 0x08]) + b"P2P" + bytes([0 << 3, 0]),
    "std:vmd": bytes([0x09, 0x00, 24, 1]) + u32(0x53484457) + bytes(16),
}


@pytest.mark.parametrize("name", sorted(QEMU_BYTES))
def test_fixed_templates_are_the_bytes_qemu_writes(name):
    t = TEMPLATES[name]
    assert t.build(t.size) == QEMU_BYTES[name]


def sized_bytes(name: str, size: int) -> bytes:
    """The sized templates, from the spec's header layouts (PCIe 6.3 §7.9.5, §7.9.6; PCI 3.0
    §6.8 for the standard vendor capability's length byte at +2)."""
    if name == "vsec":  # VSEC ID 0, rev 1, length
        return qemu_ext_cap(0x0B, 1) + u32(0 | 1 << 16 | size << 20) + bytes(size - 8)
    if name == "dvsec":  # vendor 0xffff, rev 0, length; DVSEC ID 0
        return qemu_ext_cap(0x23, 1) + u32(0xFFFF | size << 20) + u16(0) + bytes(size - 10)
    return bytes([0x09, 0x00, size]) + bytes(size - 3)


@pytest.mark.parametrize("name", ["vsec", "dvsec", "std:vndr"])
def test_sized_templates_at_every_size(name):
    t = TEMPLATES[name]
    for size in range(t.min_size, t.max_size + 1):
        assert t.build(size) == sized_bytes(name, size), size


def test_pasid_template_decodes_to_the_values_it_was_built_from():
    ctx = ctx_for(TEMPLATES["pasid"].build(8))
    got = decoded(lookup(Space.EXTENDED, 0x1B), ctx, 8)
    assert got[("header", "id")] == 0x1B and got[("header", "version")] == 1
    assert got[("pasid_cap", "max_pasid_width")] == 20 and got[("pasid_control", None)] == 0


def test_exported_guest_space_holds_qemus_pasid_bytes():
    """End to end: `export --format binary` writes the template where it was placed (the
    last capability: next pointer 0, so the bytes are exactly QEMU's)."""
    r = subprocess_export("sample_dumps/realtek_rtl8168_nic_b.txt", "pasid@0xff8")
    assert r[0xFF8:0x1000] == QEMU_BYTES["pasid"]


def subprocess_export(dump: str, vcap: str) -> bytes:
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    return subprocess.run([sys.executable, "-m", "capslot", "export", dump, "--add", vcap, "--layout-only",
                           "--format", "binary"], cwd=root, capture_output=True, check=True).stdout


def test_encode_refuses_names_the_layout_does_not_have():
    pasid = lookup(Space.EXTENDED, 0x1B)
    with pytest.raises(KeyError):
        encode(pasid, {"pasid_capability": 1}, 8)
    with pytest.raises(KeyError):
        encode(pasid, {"pasid_cap": {"width": 20}}, 8)


# ---------------------------------------------------------------- the register tables

def tables():
    """Every entry's table on an all-zero instance at its sizes, and every real instance."""
    for spec in entries():
        for size in {spec.min_size, spec.max_size or spec.min_size, 0x40}:
            if size:
                yield f"{spec.short} zero {size:#x}", spec.registers(None, size)
    for dump in DUMPS:
        for _, cap, ctx in capabilities(dump):
            yield f"{dump.stem} {cap.name}@{cap.offset:#x}", cap.spec.registers(ctx, cap.size)


def test_no_register_or_field_overlaps_another_in_the_registry():
    """Overlaps would hide a register or a field from the decoder: a registry error."""
    problems = []
    for where, regs in tables():
        regs = sorted(regs, key=lambda r: r.offset)
        names = [r.name for r in regs]
        if len(set(names)) != len(names):
            problems.append((where, "duplicate register names"))
        for a, b in zip(regs, regs[1:], strict=False):
            if b.offset < a.offset + a.width:
                problems.append((where, a.name, b.name))
        for r in regs:
            if r.fields and r.width not in INT_WIDTHS:
                problems.append((where, r.name, "fields on a byte string"))
            taken = 0
            for f in r.fields:
                mask = ((1 << (f.hi - f.lo + 1)) - 1) << f.lo
                if f.hi >= r.width * 8 or taken & mask:
                    problems.append((where, r.name, f.name))
                taken |= mask
    assert not problems, problems[:10]


def test_a_table_offset_into_the_registers_is_decoded_not_dropped():
    """Arbitration table offsets come from the device: a VC0 Port Arbitration Table offset of
    1 (16 bytes) lands on VC0's own resource registers. Both are decoded, from the same bytes."""
    body = bytearray(0x20)
    body[0:4] = ext_header(0x0002)
    body[0x10:0x14] = dw(1 << 24 | 1 << 3 | 1)  # VC0 Resource Cap: table at 16 * 1, WRR128
    body[0x14:0x18] = dw(0x8000_00FF)  # VC0 Resource Control: enabled, TC0-7
    body[0x1A:0x1C] = (0x0002).to_bytes(2, "little")  # VC0 Resource Status: negotiation pending
    body[0x1C:0x20] = b"\xaa\xbb\xcc\xdd"
    spec, ctx = lookup(Space.EXTENDED, 0x0002), ctx_for(bytes(body))
    size = spec.size(ctx).size
    assert size == 0x20  # the table runs to +0x20
    got = decoded(spec, ctx, size)
    assert got[("vc0_port_arb_table", None)] == bytes(body[0x10:0x20])
    assert got[("vc0_resource_cap", "pat_offset")] == 1
    assert got[("vc0_resource_control", "vc_enable")] == 1
    assert got[("vc0_resource_status", "negotiation_pending")] == 1
    assert got == independent(spec, ctx, size)


def test_the_caps_command_lists_the_registers_the_decoder_reads():
    import json

    r = capslot("caps", "pasid", "--json")
    (pasid,) = json.loads(r.out)["capabilities"]
    spec = lookup(Space.EXTENDED, 0x1B)
    assert [(x["offset"], x["name"]) for x in pasid["registers"]] == [
        (v.register.offset, v.name) for v in decode(spec, ctx_for(bytes(8)), 8) if v.field is None]
