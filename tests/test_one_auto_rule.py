"""One auto rule (issue 21): the explorer's auto placements are `capslot place`'s, in every
order the capabilities are added. Auto-placed capabilities are placed again together whenever
one is added or removed; the ones the user put down stay."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from capslot.core.placement import parse_vcap
from capslot.core.sources import load
from tests.cli import capslot
from tests.tui_apps import TABLE, make_app
from capslot.tui.session import Session
from capslot.tui.widgets.palette import Palette

NIC = str(Path(__file__).resolve().parent.parent / "sample_dumps/realtek_rtl8168_nic_b.txt")
NAMES = ("pri", "pasid", "ats")
ORDERS = [order for n in (2, 3) for order in itertools.permutations(NAMES, n)]


def cli_place(names) -> list[tuple[str, int]]:
    args = [a for name in names for a in ("--add", name)]
    r = capslot("place", NIC, *args, "--json", "--layout-only", "--no-user-quirks")
    assert r.code == 0, r.err
    return sorted((p["vcap"], p["offset"]) for p in json.loads(r.out)["placements"])


@pytest.fixture(scope="module")
def cli_answers() -> dict[frozenset, list[tuple[str, int]]]:
    """`capslot place` for each set of requests, in every order: the order never matters."""
    out: dict[frozenset, list[tuple[str, int]]] = {}
    for order in ORDERS:
        got = cli_place(order)
        assert out.setdefault(frozenset(order), got) == got, order
    return out


def session() -> Session:
    return Session(load(NIC), table=TABLE, layout_only=True)


def test_the_issue_case_pri_then_pasid(cli_answers):
    """PRI then PASID: PRI 0xfe8, PASID 0xff8 (not PRI 0xff0 'qemu-default' and PASID 0xfe8)."""
    s = session()
    s.auto(parse_vcap("pri"))
    s.auto(parse_vcap("pasid"))
    got = {p.request.name: (p.request.offset, p.rule) for p in s.placed}
    assert got == {"pri": (0xFE8, "zero-gap"), "pasid": (0xFF8, "qemu-default")}
    assert sorted((n, o) for n, (o, _) in got.items()) == cli_answers[frozenset(("pri", "pasid"))]
    assert "x-vpasid-cap-offset=0xff8" in s.plan_document()["qemu"]


@pytest.mark.parametrize("order", ORDERS, ids="-".join)
def test_every_order_in_the_session_is_the_clis(order, cli_answers):
    s = session()
    for name in order:
        assert s.auto(parse_vcap(name)).offset is not None
    assert sorted((p.request.name, p.request.offset) for p in s.placed) == cli_answers[frozenset(order)]


def test_removing_one_places_the_others_again(cli_answers):
    s = session()
    for name in ("pri", "ats", "pasid"):
        s.auto(parse_vcap(name))
    s.remove([p.request.name for p in s.placed].index("pasid"))
    assert sorted((p.request.name, p.request.offset) for p in s.placed) == cli_answers[frozenset(("pri", "ats"))]


def test_pinned_ones_stay_where_the_user_put_them():
    s = session()
    s.add(parse_vcap("pasid"), 0xE00)  # dropped by the user
    s.auto(parse_vcap("pri"))
    s.auto(parse_vcap("ats"))
    placed = {p.request.name: (p.request.offset, p.chosen_by) for p in s.placed}
    assert placed["pasid"] == (0xE00, "user")
    r = capslot("place", NIC, "--add", "pasid@0xe00", "--add", "pri", "--add", "ats", "--json",
                "--layout-only", "--no-user-quirks")
    assert sorted((n, o) for n, (o, _) in placed.items()) == sorted(
        (p["vcap"], p["offset"]) for p in json.loads(r.out)["placements"])


@pytest.mark.parametrize("order", [("pri", "pasid", "ats"), ("ats", "pri", "pasid")], ids="-".join)
async def test_the_explorer_with_keys_is_the_clis(order, cli_answers):
    """Select each palette entry (the palette focused) and press `a`, as a user does."""
    app = make_app(NIC, layout_only=True)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        for name in order:
            palette = app.query_one("#palette", Palette)
            palette.focus()
            palette.select(name)
            await pilot.press("a")
        assert sorted((p.request.name, p.request.offset) for p in app.session.placed) == \
            cli_answers[frozenset(order)]


async def test_a_with_pasid_placed_says_it_is_placed():
    app = make_app(NIC, layout_only=True)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        await pilot.press("a")  # PASID, the palette's default
        await pilot.press("a")
        assert [p.request.name for p in app.session.placed] == ["pasid"]
        said = [n.message for n in app._notifications]
        assert any("pasid is already placed at 0xff8" in m for m in said), said
        assert not any("no safe slot" in m for m in said), said
