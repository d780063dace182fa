"""Standard capability registry entries (IDs 0x00-0x15): size rules, layouts, decode.

Every expected size below is a literal derived from the rule in
docs/reference/capabilities.md (derivation in the comment next to it), never a value
computed by calling the registry.
"""

from __future__ import annotations

import re
import struct

import pytest

from capslot.core.registry import lookup
from capslot.core.registry.model import Certainty, Space
from tests.helpers import SpyContext, ctx_for, spy_context

S = Space.STANDARD
EXACT, MINIMUM, UNKNOWN = Certainty.EXACT, Certainty.MINIMUM, Certainty.UNKNOWN
FIELD_NAME = re.compile(r"[a-z0-9][a-z0-9_]*")  # snake_case; the PCIe entry has "10bit_..." fields


def cap(cap_id: int, *body: bytes) -> bytes:
    """ID, next = 0, then the body bytes from +2."""
    return bytes((cap_id, 0)) + b"".join(body)


def w16(v: int) -> bytes:
    return struct.pack("<H", v)


def w32(*v: int) -> bytes:
    return struct.pack(f"<{len(v)}I", *v)


def size_of(cap_id: int, body: bytes, header_type: int = 0):
    ctx = ctx_for(body, S, header_type=header_type)
    return lookup(S, cap_id).size(ctx)


def check(cap_id: int, body: bytes, size: int, certainty: Certainty, header_type: int = 0) -> None:
    got = size_of(cap_id, body, header_type)
    assert (got.size, got.certainty) == (size, certainty), got.why
    assert got.why


# ------------------------------------------------------------------ fixed and unknown sizes

@pytest.mark.parametrize("cap_id, expected", [
    (0x00, 2),     # Null: ID + Next only
    (0x03, 8),     # VPD: Address (+2, 16 bit) + Data (+4, 32 bit)
    (0x04, 4),     # Slot ID: ESR (+2) + Chassis (+3)
    (0x06, 4),     # CompactPCI Hot Swap: CSR byte at +2, DWORD slot
    (0x0A, 4),     # Debug port: word at +2
    (0x0C, 8),     # SHPC: DWORD Select (+2), pending (+3), DWORD Data (+4)
    (0x0D, 8),     # SSVID: SSVID (+4), SSID (+6)
    (0x11, 12),    # MSI-X: Message Control, Table, PBA
    (0x13, 6),     # AF: Length, Cap, Control, Status at +2..+5
    (0x15, 0x24),  # FPB: last register (Vector Access Data) at +0x20
])
def test_fixed_sizes(cap_id: int, expected: int) -> None:
    for body in (cap(cap_id), cap(cap_id, b"\xff" * 0x30)):
        check(cap_id, body, expected, EXACT)


@pytest.mark.parametrize("cap_id", [0x0B, 0x0E])
def test_unknown_layouts_report_the_header_only(cap_id: int) -> None:
    check(cap_id, cap(cap_id, b"\x5a" * 0x20), 2, UNKNOWN)


# ------------------------------------------------------------------ 0x02 AGP

def test_agp_sizes() -> None:
    check(0x02, cap(0x02, b"\x20\x00", w32(0)), 0x0C, EXACT)       # 2.0: Rev/Status/Command -> 12
    check(0x02, cap(0x02, b"\x30\x00", w32(0)), 0x24, EXACT)       # 3.0: NICMD 0x20+2 = 0x22 -> 0x24
    check(0x02, cap(0x02, b"\x35\x00", w32(1 << 3)), 0x24, EXACT)  # 3.5, AGP3 mode
    check(0x02, cap(0x02, b"\x20\x00", w32(1 << 3)), 0x0C, MINIMUM)  # 2.0 claiming AGP3 mode


def test_agp_layout_and_version() -> None:
    spec = lookup(S, 0x02)
    ctx = ctx_for(cap(0x02, b"\x35\x00"), S)
    names = [r.name for r in spec.registers(ctx, 0x24)]
    assert names[-1] == "nicmd" and "gart_hi" in names
    assert "nistat" not in [r.name for r in spec.registers(ctx, 0x0C)]
    assert spec.version(ctx) == 3


# ------------------------------------------------------------------ 0x07 PCI-X

@pytest.mark.parametrize("version, header_type, expected, certainty", [
    (0, 0, 0x08, EXACT),    # type 0, v0: Command + Status -> 8
    (1, 0, 0x18, EXACT),    # type 0, v1: + 4 ECC DWORDs at +8 -> 24
    (2, 0, 0x18, EXACT),    # type 0, v2: same -> 24
    (3, 0, 0x08, MINIMUM),  # reserved version: at least 8
    (0, 1, 0x10, EXACT),    # bridge, v0: Sec Status, Bridge Status, 2 split controls -> 16
    (1, 1, 0x20, EXACT),    # bridge, v1: + 4 ECC DWORDs at +0x10 -> 32
    (2, 1, 0x20, EXACT),    # bridge, v2 -> 32
    (3, 1, 0x10, MINIMUM),  # bridge, reserved version: at least 16
])
def test_pcix_sizes(version: int, header_type: int, expected: int, certainty: Certainty) -> None:
    check(0x07, cap(0x07, w16(version << 12 | 0x0073)), expected, certainty, header_type)


def test_pcix_layouts_and_version() -> None:
    spec = lookup(S, 0x07)
    bridge = ctx_for(cap(0x07, w16(2 << 12)), S, header_type=1)
    regs = {r.name: r.offset for r in spec.registers(bridge, 0x20)}
    assert regs["downstream_split_control"] == 0x0C and regs["ecc_attribute"] == 0x1C
    device = ctx_for(cap(0x07, w16(1 << 12)), S)
    regs = {r.name: r.offset for r in spec.registers(device, 0x18)}
    assert regs["ecc_csr"] == 0x08 and "upstream_split_control" not in regs
    assert spec.version(bridge) == 2 and spec.version(device) == 1


# ------------------------------------------------------------------ 0x08 HyperTransport

@pytest.mark.parametrize("command, expected, certainty", [
    (0x0000, 0x1C, EXACT),    # 000b Slave/Primary: PCI_HT_PRI_SIZEOF 28
    (0x1F3F, 0x1C, EXACT),    # 000b with command bits set: still 28
    (0x2000, 0x18, EXACT),    # 001b Host/Secondary: 24
    (0x4000, 0x18, EXACT),    # 01000b Switch: 24
    (0x8000, 0x08, EXACT),    # 10000b Interrupt Discovery & Config: 8
    (0x8800, 0x04, EXACT),    # 10001b Revision ID: 4
    (0x9000, 0x0C, EXACT),    # 10010b UnitID Clumping: 12
    (0x9800, 0x0C, EXACT),    # 10011b Ext. Config Space Access: 12
    (0xA000, 0x0C, EXACT),    # 10100b Address Mapping, 40-bit, NDMA 0: 12 + 8*0
    (0xA003, 0x24, EXACT),    # 40-bit, NDMA 3: 12 + 8*3 = 36
    (0xA00F, 0x84, EXACT),    # 40-bit, NDMA 15: 12 + 8*15 = 132 (the maximum)
    (0xA205, 0x10, EXACT),    # 64-bit map type: 16, NDMA ignored
    (0xA400, 0x0C, MINIMUM),  # reserved map type: at least the 12-byte base
    (0xA800, 0x0C, EXACT),    # 10101b MSI Mapping: 12
    (0xB000, 0x0C, EXACT),    # 10110b DirectRoute: 12
    (0xB800, 0x10, EXACT),    # 10111b VCSet: 16
    (0xC000, 0x0C, EXACT),    # 11000b Retry Mode: 12
    (0xC800, 0x04, MINIMUM),  # 11001b X86 (reserved): unknown layout
    (0xD000, 0x04, MINIMUM),  # 11010b Gen3: unknown layout
    (0xE000, 0x04, MINIMUM),  # 11100b Power management: unknown layout
    (0x4800, 0x04, MINIMUM),  # 01001b: unassigned
])
def test_ht_sizes(command: int, expected: int, certainty: Certainty) -> None:
    check(0x08, cap(0x08, w16(command)), expected, certainty)


def test_ht_layouts() -> None:
    spec = lookup(S, 0x08)
    am = ctx_for(cap(0x08, w16(0xA002)), S)
    regs = {r.name: r for r in spec.registers(am, 0x1C)}
    assert regs["dma1_secondary_base"].offset == 0x1A  # 0x0C + 8 + 6
    primary = ctx_for(cap(0x08, w16(0)), S)
    assert max(r.end for r in spec.registers(primary, 0x1C)) == 0x1B  # Bus Number at +0x1A
    assert spec.version is None


@pytest.mark.parametrize("command", [0x0000, 0x2000, 0x4000, 0x8000, 0x8800, 0x9000, 0x9800,
                                     0xA800, 0xB000, 0xB800, 0xC000])
def test_every_fixed_ht_block_decodes_its_registers_within_its_size(command: int) -> None:
    """The block sizes (walked for every run) and their registers (loaded for a decode only)
    live apart: each block the size rule names has its registers, the Command word first,
    all within the block's size."""
    from capslot.core.registry.standard_tables import HT_BLOCK_REGS

    spec = lookup(S, 0x08)
    ctx = ctx_for(cap(0x08, w16(command)), S)
    size = spec.size(ctx)
    block = size.why.removesuffix(f" block: fixed {size.size} bytes")
    regs = spec.registers(ctx, size.size)
    assert [r.name for r in regs[:3]] == ["cap_id", "next", "command"]
    assert regs[2:] == HT_BLOCK_REGS[block]  # every register of the block, none past its end


# ------------------------------------------------------------------ 0x09 Vendor Specific

@pytest.mark.parametrize("length, expected, certainty", [
    (0x14, 0x14, EXACT),   # the Length byte itself
    (0x03, 0x03, EXACT),   # header only
    (0xFF, 0xFF, EXACT),   # largest a byte can say
    (0x02, 0x03, MINIMUM),  # below the 3-byte header
    (0x00, 0x03, MINIMUM),
])
def test_vendor_specific_sizes(length: int, expected: int, certainty: Certainty) -> None:
    check(0x09, cap(0x09, bytes((length,)), b"\x11" * 0x20), expected, certainty)


# ------------------------------------------------------------------ 0x0F Secure device

def test_secure_sizes() -> None:
    check(0x0F, cap(0x0F, w16(0x0003)), 0x14, EXACT)        # base, range, Misc 0 -> 0x14
    check(0x0F, cap(0x0F, w16(0x1003)), 0x18, EXACT)        # + Misc Information 1 -> 0x18


# ------------------------------------------------------------------ 0x12 SATA

def test_sata_sizes_and_version() -> None:
    check(0x12, cap(0x12, b"\x10\x00", w32(0x0000_000F)), 0x10, EXACT)  # inline Index/Data: 16
    check(0x12, cap(0x12, b"\x10\x00", w32(0x0000_0104)), 0x08, EXACT)  # BAR0: 8
    spec = lookup(S, 0x12)
    assert spec.version(ctx_for(cap(0x12, b"\x10"), S)) == 1


# ------------------------------------------------------------------ 0x14 Enhanced Allocation

def ea(num: int, *entries: tuple[int, ...], bridge_bus: bytes = b"") -> bytes:
    """EA capability: Num Entries, optional bridge DWORD, entries as DWORD tuples."""
    return cap(0x14, bytes((num, 0)), bridge_bus, *(w32(*e) for e in entries))


def test_ea_sizes() -> None:
    check(0x14, ea(0), 0x04, EXACT)                                   # header only
    check(0x14, ea(0, bridge_bus=w32(0x0201)), 0x08, EXACT, header_type=1)  # + fixed bus DWORD
    # ES=2 (4+8) and ES=4 (4+16): 4 + 12 + 20 = 36
    two = ea(2, (0x8000_0002, 0x1000, 0xFFC), (0x8000_0004, 0x2002, 0xFFE, 1, 0))
    check(0x14, two, 0x24, EXACT)
    # bridge, one ES=2 entry: 8 + 12 = 20
    check(0x14, ea(1, (0x8000_0002, 0, 0), bridge_bus=w32(0)), 0x14, EXACT, header_type=1)
    # 63 entries of ES=0: 4 + 63*4 = 256, exactly the limit
    check(0x14, ea(63), 0x100, EXACT)
    # 63 ES=7 entries of 32 bytes: 4 + 7*32 = 228; the 8th would end at 260 > 256
    check(0x14, ea(63, *[(7,) + (0,) * 7] * 8), 0xE4, MINIMUM)
    # bridge, 63 ES=0 entries: 8 + 62*4 = 256; the 63rd would start at 0x100
    check(0x14, ea(63, bridge_bus=w32(0)), 0x100, MINIMUM, header_type=1)



@pytest.mark.parametrize("header_type", [0, 1])
@pytest.mark.parametrize("fill", [b"\xff", b"\x00"])  # every entry claims ES = 7 / ES = 0
def test_ea_walk_never_reads_past_0x100(header_type: int, fill: bytes) -> None:
    data = bytearray(fill * 4096)
    data[0x40:0x44] = bytes((0x14, 0, 0x3F, 0))
    ctx = spy_context(data, 0x40, S, header_type)
    lookup(S, 0x14).size(ctx)
    lookup(S, 0x14).registers(ctx, 0x100)
    assert SpyContext.reads and max(SpyContext.reads) < 0x100


def test_ea_entry_layout() -> None:
    spec = lookup(S, 0x14)
    ctx = ctx_for(ea(1, (0x8000_0004, 0x3002, 0xFFF2, 0x8430, 0x1)), S)
    regs = {r.name: r.offset for r in spec.registers(ctx, 0x18)}
    assert regs == {"cap_id": 0, "next": 1, "entries": 2, "entry0_header": 4, "entry0_base": 8,
                    "entry0_max_offset": 0x0C, "entry0_base_upper": 0x10,
                    "entry0_max_offset_upper": 0x14}


# ---------------------------------------------------------------- virtio (issue 22)

_LSPCI_VIRTIO = re.compile(
    r"Capabilities: \[([0-9a-f]+)\] Vendor Specific Information: VirtIO: (\S+)\n"
    r"\s+BAR=(\d+) offset=([0-9a-f]+) size=([0-9a-f]+)(?: multiplier=([0-9a-f]+))?")


@pytest.mark.parametrize("name", ["virtio_net_1000_256_VIRTUAL", "virtio_fs_105a_256_VIRTUAL"])
def test_virtio_vendor_capabilities_decode_as_lspci_does(name):
    """Every virtio capability lspci -vv decodes (pciutils ls-caps-vendor.c
    show_vendor_caps_virtio()): type, BAR, offset, length and the notify multiplier, read from
    capslot's table-driven decode of the same bytes."""
    from capslot.core.layout import build
    from capslot.core.registry.decode import decode
    from capslot.core.registry.standard import virtio_text
    from capslot.core.sources import load
    from tests.conftest import SAMPLES

    hw = build(load(str(SAMPLES / f"{name}.txt"))[0])
    lspci = {int(m[1], 16): m for m in _LSPCI_VIRTIO.finditer(
        (SAMPLES / f"{name}.lspci.txt").read_text())}
    vendor = [c for c in hw.capabilities if c.space.value == "standard" and c.id == 0x09]
    assert lspci and {c.offset for c in vendor} == set(lspci)
    for c in vendor:
        m = lspci[c.offset]
        ctx = c.context(hw.space, hw.pcie)
        got = {v.name: v.value for v in decode(c.spec, ctx, c.size)}
        names = {1: "CommonCfg", 2: "Notify", 3: "ISR", 4: "DeviceCfg", 8: "SharedMemory"}
        # the bundled lspci predates SharedMemory (pciutils 3.8 names it): "<unknown>" there
        assert m[2] in (names.get(got["cfg_type"], "<unknown>"), "<unknown>"), (c.offset, got)
        assert (got["bar"], got["offset"], got["length"]) == (
            int(m[3]), int(m[4], 16), int(m[5], 16)), (c.offset, got)
        if m[6] is not None:
            assert got["notify_off_multiplier"] == int(m[6], 16)
        assert virtio_text(ctx).startswith("VirtIO: ")
        if got["cfg_type"] != 8:
            assert virtio_text(ctx) == (f"VirtIO: {m[2]} BAR={m[3]} offset={m[4]} size={m[5]}"
                                        + (f" multiplier={m[6]}" if m[6] else ""))
