"""Installed, capslot is one top-level package, `capslot` (issue 24): `capslot.core`,
`capslot.tui`, `capslot.cli`, `python -m capslot`; nothing named `core` or `tui` where other
packages live."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile

from tests.installed_layout import ROOT


def run(*args, cwd):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_only_capslot_imports_outside_the_checkout(tmp_path):
    assert run("-c", "import core", cwd=tmp_path).returncode != 0
    assert run("-c", "import tui", cwd=tmp_path).returncode != 0
    ok = run("-c", "import capslot.core, capslot.tui, capslot.cli; print(capslot.core.__version__)",
             cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip()


def test_python_m_capslot_is_the_command(tmp_path):
    r = run("-m", "capslot", "show", str(ROOT / "sample_dumps" / "realtek_rtl8168_nic_b.txt"),
            "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["devices"][0]["vendor_id"] == 0x10EC  # lspci: [10ec:8168]


def test_the_wheel_holds_one_top_level_package(tmp_path):
    """Built from a copy of the sources (the checkout is left as it is): every file of the
    wheel is under capslot/ or its .dist-info, and the explorer's styles and device tables
    ship with it."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / name, src / name)
    for folder in ("core", "tui"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    r = run("-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
            str(tmp_path / "dist"), str(src), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (wheel,) = (tmp_path / "dist").glob("capslot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"capslot"}, tops
    for must in ("capslot/__main__.py", "capslot/cli.py", "capslot/core/__init__.py",
                 "capslot/tui/app.py", "capslot/tui/app.tcss", "capslot/tui/screens/dialogs.tcss"):
        assert must in names, must
    assert not any(n.startswith("capslot/tui/cli/") for n in names)
    # every module of the checkout is installed, at its one name (a package missing from
    # pyproject's list would install without its modules, and fail only when imported)
    for py in sorted((src / "core").rglob("*.py")) + sorted((src / "tui").rglob("*.py")):
        rel = py.relative_to(src).as_posix()
        name = ("capslot/" + rel.removeprefix("tui/cli/") if rel.startswith("tui/cli/")
                else "capslot/" + rel)
        assert name in names, name
