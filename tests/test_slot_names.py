"""normalize_slot reads [DOMAIN:]BUS:DEV.FN without a regex; the truth is the pattern it
replaced (the lspci form: 1-8 hex digits of domain, 1-2 of bus and of device, function 0-7)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from capslot.core.space import normalize_slot

SLOT = re.compile(r"^(?:([0-9a-fA-F]{1,8}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])$")


def oracle(text: str) -> str | None:
    m = SLOT.match(text.strip())
    if not m:
        return None
    domain, bus, dev, fn = m.groups()
    return f"{int(domain or '0', 16):04x}:{int(bus, 16):02x}:{int(dev, 16):02x}.{fn}"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="0123456789abcdefABCDEFg:._ \t\n\u0663\uff11", max_size=20))
def test_slots_read_as_the_pattern_reads_them(text):
    assert normalize_slot(text) == oracle(text)


def test_the_forms_users_type():
    for text in ("7:0.0", "07:00.0", "0000:07:00.0", " 0:1f.3\n", "10000:00:02.7", "AbCd:Ef:1F.1"):
        assert normalize_slot(text) == oracle(text) is not None
    for text in ("", "0.0", "00:00", "00:00.8", "000000000:00:00.0", "00:000.0", "0:0:0:0.0",
                 "00:00.0.0", "\u0663:0.0", "0_0:00.0", "00:00.00", "00:00.0\n1"):
        assert normalize_slot(text) is None, text
