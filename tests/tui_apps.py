"""Explorer instances for the TUI tests and snapshots (no user config, fixed table)."""

from __future__ import annotations

from capslot.core.placement import DeviceTable
from capslot.core.sources import load
from capslot.tui.app import CapslotApp
from capslot.tui.session import Session

TABLE = DeviceTable.load(use_overlay=False)


def make_app(dump: str = "sample_dumps/realtek_rtl8168_nic_b.txt", view: str = "guest",
             plan: str | None = None, layout_only: bool = False) -> CapslotApp:
    session = Session(load(dump), view_name=view, table=TABLE, plan_path=plan,
                      layout_only=layout_only)
    return CapslotApp(session, dump)
