"""The Rich map of `show` is drawn as Segments (tui.render.Runs), not as a Text with a span per
DWORD: the bytes out must be what Rich prints for that Text, at every width (wrapped where a
line does not fit) and with colour or without."""

from __future__ import annotations

import io

import pytest
from rich.console import Console, Group
from rich.text import Text

from capslot.core.layout import build
from capslot.core.sources import load
from capslot.core.views import view
from capslot.tui.render import access_map, byte_map


def _printed(renderable, width: int, colour: bool) -> str:
    console = Console(width=width, file=io.StringIO(), force_terminal=colour,
                      color_system="truecolor" if colour else None, highlight=False,
                      soft_wrap=False, markup=False)
    console.print(Group(Text("before"), renderable, Text("after")))
    return console.file.getvalue()


def _as_text(runs) -> Text:
    """The map as the one Rich Text it was before: one append per DWORD."""
    text = Text()
    for chars, style in runs.pieces:
        text.append(chars, style or None)
    return text


@pytest.mark.parametrize("name", ["intel_0d93_cxl_dvsec", "amd_fiji_gpu_7300_rebar", "realtek_rtl8168_nic_b"])
@pytest.mark.parametrize("width", [200, 80, 68, 67, 40])
def test_the_map_prints_as_rich_prints_its_text(name, width):
    (cs,) = load(f"sample_dumps/{name}.txt")
    for layout in (build(cs), view(build(cs), "vfio")):
        runs = byte_map(layout)
        assert runs.plain == _as_text(runs).plain
        for colour in (True, False):
            assert _printed(runs, width, colour) == _printed(_as_text(runs), width, colour), (width, colour)


@pytest.mark.parametrize("name", ["intel_0d93_cxl_dvsec", "realtek_rtl8168_nic_b"])
@pytest.mark.parametrize("width", [200, 80, 68, 67, 40])
def test_the_access_map_prints_as_rich_prints_its_text(name, width):
    """`show --view vfio|guest`: the guest accesses per DWORD, drawn the same way."""
    (cs,) = load(f"sample_dumps/{name}.txt")
    for kind in ("vfio", "guest"):
        runs = access_map(view(build(cs), kind))
        for colour in (True, False):
            assert _printed(runs, width, colour) == _printed(_as_text(runs), width, colour), (width, colour)


@pytest.mark.parametrize("name", ["intel_0d93_cxl_dvsec", "realtek_rtl8168_nic_b"])
def test_each_dword_of_the_access_map_shows_its_most_device_reaching_byte(name):
    """The access map's character for a DWORD is the symbol of the largest access code of its
    four bytes (a write that reaches the device outranks one vfio keeps)."""
    from capslot.core.textmap import ACCESS_SYMBOLS
    from capslot.core.views import Access

    (cs,) = load(f"sample_dumps/{name}.txt")
    for kind in ("vfio", "guest"):
        layout = view(build(cs), kind)
        rows = access_map(layout).plain.splitlines()[:16]
        shown = "".join(row[4:] for row in rows)
        acc = layout.access
        assert shown == "".join(ACCESS_SYMBOLS[Access(max(acc[p:p + 4]))][0] for p in range(0, 4096, 4))
        assert len(set(shown)) > 1  # (a map of one symbol would not tell the rule apart)
