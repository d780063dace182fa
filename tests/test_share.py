"""Maps to share: the email-safe text map (pinned to a golden file reviewed by eye), the
standalone SVG and HTML pictures (no network resource), and `capslot explain`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.cli import capslot

ROOT = Path(__file__).resolve().parent.parent
PM1743 = "sample_dumps/samsung_pm1743_nvme_a826.txt"
NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"


def test_text_map_is_pinned_and_email_safe():
    r = capslot("show", PM1743, "--map", "text")
    assert r.code == 0
    golden = (ROOT / "tests" / "golden" / "samsung_pm1743_nvme_a826.map.txt").read_text()
    assert r.out == golden
    for line in r.out.splitlines():
        assert len(line) <= 72 and all(32 <= ord(c) < 127 for c in line), line


def test_text_map_of_every_real_device_fits_and_is_ascii():
    """What `show DUMP --map text --view guest` prints, for every real dump (in process: the
    command itself is run by the tests above)."""
    from capslot.core.layout import build
    from capslot.core.sources import load
    from capslot.core.views import view
    from capslot.tui.render import export_map

    dumps = [d for d in sorted((ROOT / "sample_dumps").glob("*.txt")) if not d.name.endswith(".lspci.txt")]
    assert len(dumps) > 50
    for dump in dumps:
        out = export_map([(view(build(cs), "guest"), []) for cs in load(str(dump))], "text")
        assert out and all(len(l) <= 72 and l.isascii() and l.isprintable() for l in out.splitlines()), dump


def test_text_map_with_a_virtual_capability_and_its_verdict():
    r = capslot("show", NIC, "--map", "text", "--view", "guest", "--add", "pasid@0xff8", "--add", "ats@0x104")
    lines = r.out.splitlines()
    assert lines[next(i for i, l in enumerate(lines) if l.startswith("f00 "))].endswith("##")
    # the answer first (the NIC has no PASID; QEMU creates no ATS), then each layout verdict
    assert "pasid at 0xff8: NOT SYNTHESIZED (device): the guest will not get it" in r.out
    assert "pasid at 0xff8: layout ok" in r.out and "ats at 0x104: layout collision" in r.out
    assert all(len(l) <= 72 and l.isascii() for l in lines)


def test_hostile_device_lines_stay_ascii(tmp_path):
    lines = Path(NIC).read_text().splitlines()
    lines[0] = "08:00.0 Ethernet controller: \x1b[31m[bold]é\u202e"
    f = tmp_path / "evil.txt"
    f.write_text("\n".join(lines) + "\n")
    out = capslot("show", str(f), "--map", "text").out
    assert "\x1b" not in out and all(l.isascii() and l.isprintable() for l in out.splitlines())
    assert "[bold]" in out and "\\x1b" in out


NETWORK = re.compile(r"""(?:url\(\s*["']?|(?:src|href)\s*=\s*["']?)(?:https?:)?//""", re.I)


def test_svg_is_xml_and_self_contained(tmp_path):
    out = tmp_path / "map.svg"
    assert capslot("show", PM1743, "--map", "svg", "-o", str(out)).code == 0
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    text = out.read_text()
    assert not NETWORK.search(text) and "@import" not in text
    assert "Single Root I/O Virtualization" in text.replace("&#160;", " ")


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_parses_and_loads_nothing(tmp_path):
    out = tmp_path / "map.html"
    assert capslot("show", PM1743, "--map", "html", "-o", str(out)).code == 0
    html = out.read_text()
    parser = _Collect()
    parser.feed(html)
    assert not any(tag in ("script", "link", "img", "iframe") for tag, _ in parser.tags)
    assert not NETWORK.search(html)
    text = "".join(parser.text)
    assert "capabilities, in chain order" in text and "f00 " in text


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_html_renders_in_headless_chromium(tmp_path):
    out = tmp_path / "map.html"
    assert capslot("show", PM1743, "--map", "html", "-o", str(out)).code == 0
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", out.as_uri()], capture_output=True,
                         text=True, timeout=120).stdout
    assert "capabilities, in chain order" in dom and "Single Root I/O Virtualization" in dom
    png = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={png}", "--window-size=1000,1400", out.as_uri()],
                   capture_output=True, timeout=120)
    assert png.exists() and png.stat().st_size > 10_000  # a page was drawn, not a blank one


def explain(*args):
    r = capslot("explain", *args, "--json")
    assert r.code == 0, r.err
    return {v["view"]: v for v in json.loads(r.out)["views"]}


def test_explain_a_header_byte():
    v = explain(NIC, "0x34")
    assert v["hardware"]["owner"] == "config header" and v["hardware"]["register"].startswith("cap_ptr")
    assert "virtual copy" in v["vfio"]["vfio"]


def test_explain_a_capability_field():
    v = explain(NIC, "0x52")  # MSI Message Control of the 8168
    assert v["hardware"]["owner"].startswith("MSI @0x050")
    fields = {f[0]: f for f in v["hardware"]["fields"]}
    assert fields["enable"][3] == 1 and fields["addr64"][3] == 1
    assert v["guest"]["qemu"]


def test_explain_a_gap_and_a_hidden_capability():
    v = explain(NIC, "0x800")
    assert v["hardware"]["owner"] == "zero gap" and "straight to the device" in v["vfio"]["vfio"]
    v = explain("sample_dumps/amd_fiji_gpu_7300_rebar.txt", "0x2d4")
    assert v["vfio"]["visibility"] == "hidden" and "PASID" in v["vfio"]["reason"]
    assert v["hardware"]["visibility"] == "visible"


def test_explain_a_virtual_capability():
    v = explain(NIC, "0xffa", "--add", "pasid@0xff8")
    assert v["guest"]["kind"] == "virtual" and "emulates" in v["guest"]["qemu"]
