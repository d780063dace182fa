"""Text users paste out of capslot (issue 20, N6/N7): --bdf goes into QEMU's command line and
--alias into libvirt XML, so each is checked for its sink when the command line is read (one
line, exit 2) and nothing user-given is put inside an XML comment."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from capslot.core.sinks import SinkError, check_alias, check_bdf
from tests.cli import ROOT, capslot

NIC = str(ROOT / "sample_dumps" / "realtek_rtl8168_nic_b.txt")
EXPORT = ("export", NIC, "--add", "pasid", "--layout-only")  # the NIC gets no PASID: the layout alone
HOSTILE_BDF = "0000:08:00.0,x-foo=1 -drive file=/etc/shadow"


def refused(r, flag: str) -> None:
    assert r.code == 2 and r.out == "", r
    lines = r.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"capslot: usage: argument {flag}: "), r.err


@pytest.mark.parametrize("bdf", [HOSTILE_BDF, "0000:08:00.0,x-foo=1", "0000:08:00.0 ", "8:0.0",
                                 "00000:08:00.0", "0000:08:20.0", "0000:08:00.8", "", "sysfs:x"])
def test_a_bdf_that_is_not_one_is_refused_before_anything_is_written(bdf):
    r = capslot(*EXPORT, "--format", "qemu-cmdline", "--bdf", bdf)
    refused(r, "--bdf")
    assert "/etc/shadow" not in r.out


def test_a_good_bdf_goes_into_the_line_normalized():
    r = capslot(*EXPORT, "--format", "qemu-cmdline", "--bdf", "0000:0A:1f.3")
    assert r.code == 0 and r.out.splitlines()[-1] == (
        "-device vfio-pci,host=0000:0a:1f.3,bus=pcie.0,iommufd=iommufd0,x-vpasid-cap-offset=0xff8")
    r = capslot(*EXPORT, "--format", "qemu-cmdline", "--bdf", "09:00.1")  # lspci's short form
    assert r.code == 0 and "host=0000:09:00.1," in r.out


@pytest.mark.parametrize("alias", ["hostdev0 -->", "ua-x -->", "ua-<x>", "ua-", "net0", "ua-a b",
                                   "hostdev0'", "ua-a\"b", "UA-x", "hostdev"])
def test_an_alias_that_is_not_a_libvirt_hostdev_alias_is_refused(alias):
    refused(capslot(*EXPORT, "--format", "libvirt", "--alias", alias), "--alias")


@pytest.mark.parametrize("alias", ["ua-a--b", "ua--", "ua-gpu_0", "hostdev0", "hostdev12"])
def test_libvirt_output_is_well_formed_xml_whatever_the_alias(alias):
    r = capslot(*EXPORT, "--format", "libvirt", "--alias", alias)
    assert r.code == 0, r
    comment, block = r.out.split("\n", 1)
    assert alias not in comment  # nothing user-given inside the <!-- -->
    root = ET.fromstring(f"<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
                         f"{r.out}</domain>")  # the comment and the block parse as pasted
    device = root.find(".//{http://libvirt.org/schemas/domain/qemu/1.0}device")
    assert device is not None and device.get("alias") == alias


def test_the_checks_themselves():
    assert check_bdf("08:00.0") == "0000:08:00.0"
    assert check_bdf("ABCD:ef:1F.7") == "abcd:ef:1f.7"
    assert check_alias("ua-x_1-y") == "ua-x_1-y"
    for bad in ("0000:08:00.0\n", "0000:08:00", "0000:08:00.0,a=b"):
        with pytest.raises(SinkError):
            check_bdf(bad)
    with pytest.raises(ValueError):  # a SinkError is a ValueError
        check_alias("ua-" + "x" * 300)
