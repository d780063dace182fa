"""The shipped device table's cache: the same table as parsing the TOML, entry for entry
and field for field; never used once the TOML's text differs (whatever its mtime and size say),
nor when the cache is damaged or was made for another file; a user's files are always parsed."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from capslot.core.placement import quirks, tablecache
from capslot.core.placement.quirks import DeviceTable, load_file

# an entry of every kind of field, and one whose [device.offsets] key is a typo (a warning)
EXTRA = """
[[device]]
name = "test: every field"
vendor = 0x1af4
device = [0x1041, 0x1042]
subsystem_vendor = 0x1af4
subsystem_device = 0x0001
revision = 0x01
class = 0x0200
reserved = ["0xe00-0xeff", "0xd0-0xdf"]
available = ["0x100-0x1ff"]
source = "written for this test"
[device.sizes]
"0x1b@0x300" = 0x10
[device.offsets]
pasid = 0xd00
pasdi = 0xe00
"""


def every_field(entries) -> list[list[tuple[str, object]]]:
    """Each entry as all its fields, those equality ignores too (order, warnings)."""
    return [[(f.name, getattr(e, f.name)) for f in dataclasses.fields(e)] for e in entries]


@pytest.fixture
def table(tmp_path):
    """A copy of the shipped TOML with EXTRA appended, in a folder of its own."""
    path = tmp_path / "pkg" / "quirks.toml"
    path.parent.mkdir()
    path.write_text(Path(quirks.SHIPPED).read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
    return str(path)


def parsed(path: str, order_base: int = 0):
    """The entries parsed from the TOML, no cache involved."""
    return every_field(load_file(path, order_base))


def no_parse(monkeypatch):
    def refuse(*args):
        raise AssertionError("the TOML was parsed: the cache was not used")

    monkeypatch.setattr(quirks, "_parse", refuse)


def test_the_cached_table_is_the_parsed_one_field_for_field(table, monkeypatch):
    truth = parsed(table)
    assert any(e[-1][1] for e in truth)  # the typo's warning is among what is compared
    assert quirks.prepare_cache(table) == tablecache.cache_path(table)
    no_parse(monkeypatch)
    assert every_field(load_file(table, cached=True)) == truth


def test_the_shipped_table_through_its_cache_is_the_parsed_table(tmp_path, monkeypatch):
    """DeviceTable.load as a user runs it: the shipped file (here a copy) from its cache."""
    shipped = tmp_path / "quirks.toml"
    shutil.copyfile(quirks.SHIPPED, shipped)
    monkeypatch.setattr(quirks, "SHIPPED", str(shipped))
    truth = every_field(DeviceTable.load(use_overlay=False).entries)
    quirks.prepare_cache(str(shipped))
    no_parse(monkeypatch)
    assert every_field(DeviceTable.load(use_overlay=False).entries) == truth


def test_an_edit_is_seen_even_at_the_same_size_and_mtime(table):
    quirks.prepare_cache(table)
    before = os.stat(table)
    text = Path(table).read_text(encoding="utf-8")
    with open(table, "w", encoding="utf-8") as f:
        f.write(text.replace('"test: every field"', '"TEST: every field"'))
    os.utime(table, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(table)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert load_file(table, cached=True)[-1].name == "TEST: every field"


@pytest.mark.parametrize("damage", ["truncated", "garbage", "flipped", "empty", "folder"])
def test_a_damaged_cache_is_never_used(table, damage):
    truth = parsed(table)
    cache = quirks.prepare_cache(table)
    data = Path(cache).read_bytes()
    if damage == "folder":
        os.unlink(cache)
        os.mkdir(cache)
    else:
        with open(cache, "wb") as f:
            if damage == "truncated":
                f.write(data[: len(data) // 2])
            elif damage == "garbage":
                f.write(b"\x00not a cache" * 40)
            elif damage == "flipped":  # a byte of the last entry's name: the header still holds
                at = data.rindex(b"test: every field")
                f.write(data[:at] + b"b" + data[at + 1:])
    assert every_field(load_file(table, cached=True)) == truth


def test_a_cache_made_for_another_file_is_not_used(table, tmp_path):
    """The same text elsewhere: the entries name their own file (warnings, origin)."""
    other = tmp_path / "other" / "quirks.toml"
    other.parent.mkdir()
    shutil.copyfile(table, other)
    cache = quirks.prepare_cache(table)
    os.mkdir(other.parent / "__pycache__")
    shutil.copyfile(cache, tablecache.cache_path(str(other)))
    entries = load_file(str(other), cached=True)
    assert every_field(entries) == parsed(str(other))
    assert {e.origin for e in entries} == {str(other)}


def test_a_cache_made_for_another_order_is_not_used(table):
    quirks.prepare_cache(table)
    assert every_field(load_file(table, 5, cached=True)) == parsed(table, 5)


def test_the_cache_is_written_as_bytecode_is_and_users_files_never(table, tmp_path, monkeypatch):
    """Loading writes the shipped table's cache when Python writes bytecode (not under
    PYTHONDONTWRITEBYTECODE); the user's overlay and --quirks files are parsed every time."""
    monkeypatch.setattr(quirks, "SHIPPED", table)
    config = tmp_path / "config"
    (config / "capslot").mkdir(parents=True)
    overlay = config / "capslot" / "quirks.toml"
    overlay.write_text('[[device]]\nname = "mine"\nvendor = 0x10ec\ndevice = 0x8168\n')
    extra = tmp_path / "extra.toml"
    extra.write_text('[[device]]\nname = "extra"\nvendor = 0x10ec\ndevice = 0x8169\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setattr("sys.dont_write_bytecode", True)
    DeviceTable.load(str(extra))
    assert not os.path.exists(tablecache.cache_path(table))
    monkeypatch.setattr("sys.dont_write_bytecode", False)
    names = [e.name for e in DeviceTable.load(str(extra)).entries]
    assert names[-2:] == ["mine", "extra"]
    assert os.path.exists(tablecache.cache_path(table))
    assert not os.path.exists(tablecache.cache_path(str(overlay)))
    assert not os.path.exists(tablecache.cache_path(str(extra)))
    overlay.write_text('[[device]]\nname = "mine, edited"\nvendor = 0x10ec\ndevice = 0x8168\n')
    no_parse_of_shipped = [e.name for e in DeviceTable.load(str(extra)).entries]
    assert no_parse_of_shipped[-2:] == ["mine, edited", "extra"]
