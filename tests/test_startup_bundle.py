"""The start-up bundle (`make install`; capslot/__init__.py reads it): the modules it holds are
imported from it, and never once their source changed; a damaged, foreign or missing bundle
changes nothing. The truth is the source files themselves: an edit must be what runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.installed_layout import ROOT, lay_out, write_bundle

DUMP = str(ROOT / "sample_dumps" / "intel_0d93_cxl_dvsec.txt")
PROBE = """
import io, json, sys
from capslot.cli import main
out, sys.stdout = sys.stdout, io.StringIO()
code = main(["show", "--json", {dump!r}])
text, sys.stdout = sys.stdout.getvalue(), out
print(json.dumps({{"code": code, "text": text, "filename": main.__code__.co_filename, "edited": getattr(sys.modules["capslot.core.jsontext"], "EDITED", None),
    "loaders": {{name: type(m.__spec__.loader).__name__ for name, m in sys.modules.items()
                if name.startswith("capslot.")}},
    "attrs": {{name: [getattr(m, a, None) for a in ("__file__", "__cached__", "__path__", "__package__")]
              + [m.__spec__.origin, m.__spec__.cached, m.__spec__.parent, m.__spec__.submodule_search_locations,
                 m.__spec__.name, m.__spec__.has_location, m.__spec__.loader.name, m.__spec__.loader.path]
              for name, m in sys.modules.items() if name.startswith("capslot.")}}}}))
"""


def _run(site: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", PROBE.format(dump=DUMP)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def _layout(tmp_path: Path) -> tuple[Path, Path]:
    site = lay_out(tmp_path / "site")
    return site, site / "capslot"


def test_bundled_modules_run_from_the_bundle_until_their_source_is_edited(tmp_path):
    site, top = _layout(tmp_path)
    plain = _run(site)
    assert set(plain["loaders"].values()) == {"SourceFileLoader"}  # no bundle: the normal import
    write_bundle(top, probes=(("show", "--json", "{dump}"),), dump=Path(DUMP), imports=())
    bundled = _run(site)
    assert bundled["code"] == 0 and bundled["text"] == plain["text"]
    assert set(bundled["loaders"].values()) == {"Loader"}  # every module show --json imports
    assert bundled["attrs"] == plain["attrs"]  # each module as the normal import makes it (__cached__...)
    source = top / "core" / "jsontext.py"
    source.write_text(source.read_text() + "\nEDITED = 'the edit'\n")
    edited = _run(site)
    assert edited["edited"] == "the edit" and edited["text"] == plain["text"]
    assert edited["loaders"]["capslot.core.jsontext"] == "SourceFileLoader"
    assert edited["loaders"]["capslot.core.layout"] == "Loader"  # the others still bundled


def test_an_edit_of_the_same_size_a_nanosecond_later_is_what_runs(tmp_path):
    site, top = _layout(tmp_path)
    source = top / "core" / "jsontext.py"
    source.write_text(source.read_text() + "\nEDITED = 'one'\n")
    write_bundle(top, probes=(("show", "--json", "{dump}"),), imports=())
    assert _run(site)["edited"] == "one"
    stat = source.stat()
    source.write_text(source.read_text().replace("EDITED = 'one'", "EDITED = 'two'"))
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert source.stat().st_size == stat.st_size
    assert _run(site)["edited"] == "two"


def test_a_damaged_or_foreign_bundle_is_ignored(tmp_path):
    site, top = _layout(tmp_path)
    plain = _run(site)
    bundle = write_bundle(top, probes=(("show", "--json", "{dump}"),), imports=())
    good = bundle.read_bytes()
    import marshal

    from capslot import BUNDLE_FORMAT, ENTRY

    foreign = marshal.dumps((BUNDLE_FORMAT, {"capslot.core.layout": "x", "capslot.core.walk": 7},
                             bytes(2 * ENTRY)))
    for damaged in (b"", good[:3], good[:40], good[:len(good) // 2], b"\0\0\r\n" + good[4:],
                    good[:8] + bytes(len(good) - 8),
                    good[:4] + len(foreign).to_bytes(4, "little") + foreign):
        bundle.write_bytes(damaged)
        got = _run(site)
        assert got["code"] == 0 and got["text"] == plain["text"], damaged[:16]


def test_a_copied_tree_runs_its_own_files_and_names_them(tmp_path):
    """The index holds no paths (a module is where its name puts it): a copy of the installed
    tree, bundle and all, reads the bundle while its files are the same, and each module and
    each function is the copy's (what a traceback names), as a .pyc's code is."""
    site, top = _layout(tmp_path)
    write_bundle(top, probes=(("show", "--json", "{dump}"),), dump=Path(DUMP), imports=())
    plain = _run(site)
    copy = tmp_path / "copy"
    shutil.copytree(site, copy)  # the files' mtimes kept: the bundle is still theirs
    copied = _run(copy)
    assert copied["text"] == plain["text"]
    assert set(copied["loaders"].values()) == {"Loader"}
    assert copied["filename"] == str(copy / "capslot" / "cli.py")
    assert all(attrs[0].startswith(str(copy)) for attrs in copied["attrs"].values())


def _run_as_command(site: Path, tmp_path: Path) -> dict:
    """PROBE as the `capslot` command runs (a program named capslot: the package top runs
    the command's recorded modules ahead)."""
    script = tmp_path / "bin" / "capslot"
    script.parent.mkdir(exist_ok=True)
    call = 'main(["show", "--json", {dump!r}])'
    assert call in PROBE
    script.write_text(PROBE.replace(call, "main(sys.argv[1:])").format(dump=DUMP))
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, str(script), "show", "--json", DUMP], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def _imported_by_the_top(site: Path, program: str) -> list[str]:
    code = (f"import gc, sys; sys.argv = [{program!r}, 'show', '--json', {DUMP!r}]; "
            "collector = (gc.isenabled(), gc.get_threshold()); import capslot; "
            "assert (gc.isenabled(), gc.get_threshold()) == collector, 'the collector as it was'; "
            "print(*sorted(m for m in sys.modules if m.startswith('capslot.')))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True).stdout.split()


def test_the_command_runs_its_modules_ahead_each_as_the_normal_import_makes_it(tmp_path):
    site, top = _layout(tmp_path)
    plain = _run(site)
    write_bundle(top, probes=(("show", "--json", "{dump}"),), dump=Path(DUMP), imports=())
    assert _imported_by_the_top(site, "python") == []  # a program importing capslot: nothing more
    ahead = _imported_by_the_top(site, "/usr/local/bin/capslot")
    assert "capslot.core.jsontext" in ahead and "capslot.cli" in ahead  # the command's, at once
    run = _run_as_command(site, tmp_path)
    assert run["code"] == 0 and run["text"] == plain["text"]
    assert run["attrs"] == plain["attrs"]  # spec and module attributes, package or not
    assert set(run["loaders"].values()) == {"Loader"}
    source = top / "core" / "jsontext.py"
    source.write_text(source.read_text() + "\nEDITED = 'the edit'\n")
    assert _imported_by_the_top(site, "capslot") == []  # one module edited: none runs ahead
    edited = _run_as_command(site, tmp_path)
    assert edited["edited"] == "the edit" and edited["text"] == plain["text"]


def test_a_damaged_run_is_run_from_each_modules_own_entry(tmp_path):
    """A run's code is one blob (the modules' code, unmarshalled at once): damaged, each
    module's own entry is read instead, and the command's output and modules are the same."""
    import marshal

    from capslot import run_key

    site, top = _layout(tmp_path)
    plain = _run(site)
    bundle = write_bundle(top, probes=(("show", "--json", "{dump}"),), dump=Path(DUMP), imports=())
    data = bytearray(bundle.read_bytes())
    from importlib.util import MAGIC_NUMBER

    base = len(MAGIC_NUMBER) + 4 + int.from_bytes(data[len(MAGIC_NUMBER):len(MAGIC_NUMBER) + 4], "little")
    runs = marshal.loads(bytes(data[len(MAGIC_NUMBER) + 4:base]))[3]
    names, start, length = runs[run_key(["show", "--json", DUMP])]
    assert "capslot.core.walk" in names
    data[base + start:base + start + length] = b"\xff" * length  # not marshal: unreadable
    bundle.write_bytes(bytes(data))
    ahead = _imported_by_the_top(site, "capslot")
    assert "capslot.core.walk" in ahead and "capslot.cli" in ahead  # still run ahead
    run = _run_as_command(site, tmp_path)
    assert run["code"] == 0 and run["text"] == plain["text"] and run["attrs"] == plain["attrs"]
    assert set(run["loaders"].values()) == {"Loader"}


def test_a_module_that_fails_when_run_ahead_is_imported_the_normal_way(tmp_path):
    """registry/model.py takes a name its package defines before importing it: run ahead,
    its package is not run yet and the name is missing; it and what hangs off the package
    are undone, and the normal import makes them as always."""
    site, top = _layout(tmp_path)
    package, model = top / "core" / "registry" / "__init__.py", top / "core" / "registry" / "model.py"
    text = package.read_text()
    package.write_text(text.replace("from __future__ import annotations\n",
                                    "from __future__ import annotations\n\nSET_FIRST = 'set'\n", 1))
    model.write_text(model.read_text() + "\nfrom capslot.core.registry import SET_FIRST  # noqa\n")
    plain = _run(site)
    write_bundle(top, probes=(("show", "--json", "{dump}"),), dump=Path(DUMP), imports=())
    ahead = _imported_by_the_top(site, "capslot")
    assert "capslot.show" in ahead  # run ahead until the registry's model failed
    assert not [name for name in ahead if name.startswith("capslot.core.registry")]
    run = _run_as_command(site, tmp_path)
    assert run["code"] == 0 and run["text"] == plain["text"] and run["attrs"] == plain["attrs"]


def test_future_is_served_while_nothing_before_the_standard_library_holds_one(tmp_path):
    import __future__

    site, top = _layout(tmp_path)
    write_bundle(top, probes=(("show", "--json", "{dump}"),), dump=Path(DUMP), imports=())
    code = ("import sys, capslot, __future__; s = __future__.__spec__; print(type(s.loader).__name__,"
            " s.origin, s.cached, __future__.__file__, getattr(__future__, 'SHADOW', None))")
    shadow = tmp_path / "shadow"
    shadow.mkdir()

    def run(*path: Path) -> list[str]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, (*path, site)))}
        return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                              capture_output=True, text=True, check=True).stdout.split()

    spec = __future__.__spec__
    assert run(shadow) == ["Loader", spec.origin, spec.cached, __future__.__file__, "None"]
    (shadow / "__future__.py").write_text(Path(__future__.__file__).read_text() + "\nSHADOW = 1\n")
    assert run(shadow) == ["SourceFileLoader", str(shadow / "__future__.py"),
                           str(shadow / "__pycache__" / f"__future__.{sys.implementation.cache_tag}.pyc"),
                           str(shadow / "__future__.py"), "1"]
