"""`capslot diff A B`: changes grouped by owner, caps appearing/disappearing, and which
view of A explains B."""

from __future__ import annotations

import json

from capslot.core.layout import build
from capslot.core.plan import compare
from capslot.core.sources import load
from capslot.core.views import view
from tests.cli import capslot

PM1743 = "sample_dumps/samsung_pm1743_nvme_a826.txt"


def hw(path):
    return build(load(path)[0])


def dev(path):
    return load(path)[0]


def diff(a, b):
    return compare(a.space, b.space)


def test_a_dump_against_itself():
    a = hw(PM1743)
    d = diff(a, a)
    assert d.changed_bytes == 0 and not d.appeared and not d.disappeared
    assert d.best.view == "hardware"
    assert [v.matches for v in d.views][:3] == [True, False, False]  # vfio/guest unlink caps
    assert not any(v.matches for v in d.views[1:])


def test_what_the_guest_reads_is_recognised_as_the_guest_view(tmp_path):
    a = hw(PM1743)
    guest_bytes = tmp_path / "guest.bin"
    guest_bytes.write_bytes(view(a, "guest").space.data)
    d = diff(a, hw(str(guest_bytes)))
    assert d.best.view == "guest (qemu)"
    assert {(s, o) for s, o, _ in d.disappeared} >= {("extended", 0x168), ("extended", 0x1F8)}
    # only chain pointers changed, and they are attributed to the caps that hold them
    owners = {c.owner.split(" @")[0] for c in d.changes}
    assert owners <= {"Device Serial Number", "Alternative Routing-ID Interpretation",
                      "Single Root I/O Virtualization", "Advanced Error Reporting"}


def test_another_device_matches_no_view():
    d = diff(hw(PM1743), hw("sample_dumps/intel_82576_nic_10c9_sriov.txt"))
    assert d.best is None and d.changed_bytes > 100


def test_cli_diff_json(tmp_path):
    b = tmp_path / "vfio.bin"
    b.write_bytes(view(hw(PM1743), "vfio").space.data)
    r = capslot("diff", PM1743, str(b), "--json")
    out = json.loads(r.out)
    assert r.code == 0 and out["consistent_with"] == "vfio"
    assert [v["view"] for v in out["views"]][:3] == ["hardware", "vfio", "guest (qemu)"]
    r = capslot("diff", PM1743, str(b))
    assert "consistent with A seen through the vfio view" in " ".join(r.out.split())
