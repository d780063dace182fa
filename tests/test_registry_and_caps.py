"""The registry covers every assigned ID, decodes every real capability, and
`capslot caps` shows it."""

from __future__ import annotations

import json

import pytest

from capslot.core.layout import build
from capslot.core.registry import EXTENDED, STANDARD, Space, lookup
from capslot.core.registry.decode import decode, register_at
from capslot.core.sources import load
from tests.cli import capslot
from tests.conftest import sample_dumps


def test_one_entry_per_assigned_id():
    assert set(range(0x01, 0x16)) <= set(STANDARD)
    assert set(range(0x0001, 0x003B)) <= set(EXTENDED)
    for spec in [*STANDARD.values(), *EXTENDED.values()]:
        assert spec.name and spec.short and spec.size_text and spec.known


LAZY_PROBE = """
import sys
from capslot.core import registry
from capslot.core.registry import Space, extended, lookup
modern = "capslot.core.registry.extended_modern"
seen = [modern in sys.modules]
old = [lookup(Space.EXTENDED, i) for i in range(0x20)]  # extended.py's IDs, and unknown ones
seen.append(modern in sys.modules)
dvsec = lookup(Space.EXTENDED, 0x23)
seen.append(modern in sys.modules)
from capslot.core.registry import extended_modern, extended_rare
eager = {s.id: s for s in extended.ENTRIES + extended_rare.ENTRIES + extended_modern.ENTRIES}
whole = registry.EXTENDED
same = (whole == eager and dvsec is eager[0x23]
        and all(lookup(Space.EXTENDED, i) is eager[i] for i in eager)
        and all(o is eager.get(i, o) for i, o in enumerate(old)))
print(seen, same, len(whole))
"""


def test_the_modern_extended_table_loads_when_one_of_its_ids_is_met():
    """extended_modern (IDs 0x0020 on) is imported at the first lookup of one of its IDs,
    and the table is then entry for entry the one both modules' ENTRIES make."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", LAZY_PROBE], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[:4] == ["[False,", "False,", "True]", "True"]
    assert int(out[4]) >= 0x3A


ONE_MODERN_PROBE = """
from capslot.core.registry import Space, extended_modern, lookup
dvsec = lookup(Space.EXTENDED, 0x23)
print(sorted(extended_modern._MADE), lookup(Space.EXTENDED, 0x23) is dvsec)
"""


def test_a_device_with_one_modern_id_makes_only_that_entry():
    """A walk that meets DVSEC pays for DVSEC's entry, not the 26 other modern ones (each
    costs start-up); asking again gives the same entry."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", ONE_MODERN_PROBE], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["[35]", "True"]


RARE_PROBE = """
import sys
from capslot.core import registry
from capslot.core.registry import Space, lookup
loaded = lambda: [m for m in ("standard_rare", "extended_rare", "extended_modern")
                  if "capslot.core.registry." + m in sys.modules]
steps = []
for space, cap_id in [(Space.STANDARD, 0x10), (Space.STANDARD, 0x05), (Space.EXTENDED, 0x0001),
                      (Space.EXTENDED, 0x0002), (Space.STANDARD, 0x77), (Space.STANDARD, 0x07),
                      (Space.EXTENDED, 0x0012), (Space.EXTENDED, 0x0023)]:
    spec = lookup(space, cap_id)
    steps.append((spec.short, loaded()))
print(repr(steps))
"""


def test_the_rare_tables_load_when_one_of_their_ids_is_met():
    """PCI Express, MSI, AER and VC are looked up without the rare tables; PCI-X loads
    standard_rare, Multicast extended_rare, DVSEC extended_modern; an unknown standard ID
    above the assigned ones loads nothing."""
    import ast
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", RARE_PROBE], capture_output=True, text=True,
                         check=True).stdout
    assert ast.literal_eval(out) == [
        ("EXP", []), ("MSI", []), ("AER", []), ("VC", []), ("?", []),
        ("PCIX", ["standard_rare"]), ("MCAST", ["standard_rare", "extended_rare"]),
        ("DVSEC", ["standard_rare", "extended_rare", "extended_modern"])]


def test_every_entry_of_every_table_is_what_lookup_finds():
    from capslot.core.registry import (
        extended, extended_modern, extended_rare, standard, standard_rare,
    )

    for space, modules in [(Space.STANDARD, (standard, standard_rare)),
                           (Space.EXTENDED, (extended, extended_rare, extended_modern))]:
        ids = [spec.id for module in modules for spec in module.ENTRIES]
        assert len(ids) == len(set(ids))  # no ID in two tables
        for module in modules:
            for spec in module.ENTRIES:
                assert spec.space is space and lookup(space, spec.id) is spec


def test_unknown_ids_are_named_and_sized_by_their_header():
    spec = lookup(Space.EXTENDED, 0x4242)
    assert spec.label == "unknown (0x4242)" and not spec.known
    assert lookup(Space.STANDARD, 0x77).label == "unknown (0x77)"


@pytest.mark.parametrize("dump", sample_dumps(), ids=lambda p: p.stem)
def test_every_real_capability_decodes(dump):
    layout = build(load(str(dump))[0])
    for cap in layout.capabilities:
        ctx = cap.context(layout.space, layout.pcie)
        values = decode(cap.spec, ctx, cap.size)
        assert values[0].name in ("cap_id", "header")
        # the byte at +0 is owned by the header register in every layout
        reg, _ = register_at(cap.spec, ctx, cap.size, 0)
        assert reg is not None and reg.offset == 0


def test_decode_reads_the_fields_of_a_real_capability(samples):
    """realtek_rtl8168_nic_b MSI at 0x50: `05 70 81 00`: enabled, 64-bit, no masking
    (lspci: 'MSI: Enable+ Count=1/1 Maskable- 64bit+')."""
    layout = build(load(str(samples / "realtek_rtl8168_nic_b.txt"))[0])
    msi = next(c for c in layout.capabilities if c.id == 0x05)
    fields = {v.name: v.value for v in decode(msi.spec, msi.context(layout.space, layout.pcie), msi.size)}
    assert fields["enable"] == 1 and fields["addr64"] == 1 and fields["per_vector_masking"] == 0
    assert fields["next"] == 0x70


def test_caps_table_and_detail():
    r = capslot("caps")
    assert r.code == 0 and "Resizable BAR" in r.out and "0x001b" in r.out
    r = capslot("caps", "pasid")
    assert r.code == 0 and "max_pasid_width" in r.out and "8 bytes" in r.out
    r = capslot("caps", "ext:0x1", "--json")
    (aer,) = json.loads(r.out)["capabilities"]
    assert aer["name"] == "Advanced Error Reporting"
    assert [x["offset"] for x in aer["registers"]][:3] == [0, 4, 8]
    r = capslot("caps", "nosuchthing")
    assert r.code == 2 and r.err.startswith("capslot: caps: no capability matches")


def test_caps_virtual_lists_the_templates():
    r = capslot("caps", "--virtual")
    assert r.code == 0 and "pasid" in r.out and "x-vpasid-cap-offset" in r.out and "std:vmd" in r.out
    names = [t["name"] for t in json.loads(capslot("caps", "--virtual", "--json").out)["virtual"]]
    assert names[:4] == ["pasid", "pri", "ats", "ltr"] and "std:gpudirect" in names


def test_register_tables_are_found_by_name_when_first_asked_for():
    """A capability's register layout is named, not built, until a decode asks for it; the
    name is what equality, hashing and pickling see, and it finds the same registers."""
    import pickle

    from capslot.core.record import replace

    for spec in (lookup(Space.STANDARD, 0x01), lookup(Space.EXTENDED, 0x0002), lookup(Space.EXTENDED, 0x0009)):
        assert isinstance(spec.layout, str)  # a name, not the registers
        again = pickle.loads(pickle.dumps(spec.layout))
        assert again == spec.layout and hash(again) == hash(spec.layout)
        assert replace(spec, layout=again).body_layout is spec.body_layout
        assert spec.registers(None, spec.max_size or spec.min_size)[0].name in ("cap_id", "header")
