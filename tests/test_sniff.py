"""How a dump's first bytes decide text or binary (core.sources): a NUL byte means binary;
otherwise more than 1 % of control bytes (tab, CR, LF and FF aside) means binary. A text's
format is its first significant line's, among its first 200 lines."""

from __future__ import annotations

import pytest

from capslot.core.sources import _looks_binary, detect

TEXT = b"00: 86 80 93 0d 06 00 10 00 00 00 00 ff 00 00 00 00\n"


@pytest.mark.parametrize("controls, binary", [(0, False), (1, False), (2, True)])
def test_one_control_byte_in_a_hundred_is_still_text(controls, binary):
    head = (b"A" * (100 - controls)) + b"\x01" * controls
    assert _looks_binary(head) is binary


def test_tabs_line_ends_and_form_feeds_are_text_and_nul_is_binary():
    assert _looks_binary(TEXT * 3 + b"\t\r\x0c" * 20) is False
    assert _looks_binary(TEXT * 3 + b"\x00") is True
    assert _looks_binary(b"") is False
    assert _looks_binary(bytes(range(1, 0x20)) * 4) is True  # every other control byte counts


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("skipped, fmt", [(0, "lspci"), (150, "lspci"), (199, "lspci"), (200, None)])
def test_the_format_is_the_first_significant_line_among_the_first_200(newline, skipped, fmt):
    """Indented lines (lspci -v decode) and blank ones before it are passed over, whatever
    the line breaks; a first significant line past line 200 is never looked for."""
    decode = ("\tSubsystem: decoded by lspci -v" + newline, newline)
    text = "".join(decode[n % 2] for n in range(skipped)) + "07:00.0 Ethernet controller: x" + newline
    assert detect((text + TEXT.decode()).encode()) == fmt
