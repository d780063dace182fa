"""What the explorer imports before its first frame, beyond what Textual itself imports
(issue 23): no module that only a later action needs (a plan file's JSON and hash, a TOML
parser before a device table is read, nor once its cache is made, a temporary name's
`secrets`), and no class made by `dataclasses` (each costs six compiled functions at start-up;
core.record stands for them)."""

from __future__ import annotations

import shutil
import subprocess
import sys

from capslot.core.placement import quirks

TEXTUAL = "import textual.app, textual.screen\nfrom textual.widgets import Footer, Header, Static\n"
EXPLORER = ("from capslot.core.placement import DeviceTable\nfrom capslot.core.sources import load\n"
            "from capslot.tui.app import CapslotApp\nfrom capslot.tui.session import Session\n")


def probe(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def test_the_explorer_imports_no_module_it_needs_only_later():
    unwanted = ("json", "hashlib", "secrets", "hmac", "tomllib", "gzip")
    code = (TEXTUAL + "import sys\nbefore = set(sys.modules)\n" + EXPLORER
            + f"print(sorted(m for m in {unwanted!r} if m in sys.modules and m not in before))")
    assert probe(code) == "[]"


def test_the_device_table_brings_its_toml_parser_only_without_its_cache(tmp_path):
    """The shipped table (here a copy) is parsed, importing tomllib, until its cache is
    written (`make install` writes it); from then on it is read without a TOML parser."""
    shipped = tmp_path / "quirks.toml"
    shutil.copyfile(quirks.SHIPPED, shipped)
    code = (TEXTUAL + EXPLORER + "import sys\nfrom capslot.core.placement import quirks\n"
            f"quirks.SHIPPED = {str(shipped)!r}\nhad = 'tomllib' in sys.modules\n"
            "table = DeviceTable.load(use_overlay=False)\n"
            "print(had, 'tomllib' in sys.modules, len(table.entries) > 0)")
    assert probe(code) == "False True True"
    assert quirks.prepare_cache(str(shipped))
    assert probe(code) == "False False True"


def test_no_class_on_the_explorer_path_is_a_dataclass():
    code = (TEXTUAL + EXPLORER + "import sys\n"
            "made = sorted(f'{name}.{cls.__qualname__}' for name, module in list(sys.modules.items())\n"
            "              if name.startswith('capslot') for cls in vars(module).values()\n"
            "              if isinstance(cls, type) and cls.__module__ == name\n"
            "              and '__dataclass_params__' in cls.__dict__)\n"
            "print(made)")
    assert probe(code) == "[]"
