"""The package as it is installed, laid out from the checkout: `capslot/` with `core/`, `tui/`
and the command line, each folder mapped as `[tool.setuptools]` in pyproject.toml says (the one
source of the mapping). Used where a process must see the installed names without the checkout's
venv (a test run as another user), by `make lint` to run import-linter, whose graph builder
reads a package's files from one folder tree, and by `make install` for the development install.

    python -m tests.installed_layout --lint-imports   # import-linter over the installed layout
    python -m tests.installed_layout --link           # the venv's capslot: links into the checkout
    python -m tests.installed_layout --bundle         # the venv's capslot: its start-up bundle,
                                                      # its device table's cache and CSS cache
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ("*.py", "*.toml", "*.tcss", "*.md")


def _mapping() -> tuple[dict[str, str], list[str]]:
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    return tool["package-dir"], tool["packages"]


def folder_of(package: str, package_dir: dict[str, str]) -> Path:
    """The checkout folder of `package`: its longest mapped prefix, then the rest as folders."""
    parts = package.split(".")
    for n in range(len(parts), 0, -1):
        head = ".".join(parts[:n])
        if head in package_dir:
            return ROOT / package_dir[head] / Path(*parts[n:])
    return ROOT / Path(*parts)


def lay_out(dest: Path) -> Path:
    """Copy every package's own files (not its sub-packages' folders) under `dest`; returns
    the folder to put on sys.path."""
    package_dir, packages = _mapping()
    for package in packages:
        src, out = folder_of(package, package_dir), dest / Path(*package.split("."))
        out.mkdir(parents=True, exist_ok=True)
        for pattern in DATA:
            for f in src.glob(pattern):
                shutil.copyfile(f, out / f.name)
    return dest


def link(site: Path) -> Path:
    """The development install, without setuptools' editable finder.

    `pip install -e` maps `package-dir` with a meta-path finder that every Python start-up in the
    venv imports (pathlib, urllib.parse, ipaddress, fnmatch: ~13 ms, a third of `python -c pass`,
    so a floor measured in the venv would be heavier than a user's). Instead, `site/capslot` is a
    folder of links into the checkout: the top's own files one by one, each sub-package's folder
    whole (a new module there is seen at once; a new file in the top needs `make install`,
    which the Makefile re-runs when tui/cli/ gains or loses a file, not on every edit). pip's
    dist-info and the `capslot` script stay."""
    for stale in site.glob("__editable__*capslot*"):
        stale.unlink()
    top = site / "capslot"
    if top.is_symlink() or top.is_file():
        top.unlink()
    elif top.exists():
        shutil.rmtree(top)  # unlinks the links it holds, never what they point to
    package_dir, _packages = _mapping()
    top.mkdir()
    for pattern in DATA:
        for f in folder_of("capslot", package_dir).glob(pattern):
            (top / f.name).symlink_to(f)
    for package, folder in package_dir.items():
        if package != "capslot":
            (top / Path(*package.split(".")[1:])).symlink_to(ROOT / folder, target_is_directory=True)
    # the top's own files are imported as site/capslot/*.py, so their bytecode lives in
    # site/capslot/__pycache__, not the checkout's tui/cli/__pycache__ that `make install`
    # compiles: compiled here, or every run under PYTHONDONTWRITEBYTECODE compiles them again
    # (~5 ms of a `show --json`)
    import compileall

    compileall.compile_dir(top, maxlevels=0, quiet=1)
    return top


# The command lines whose start-up the bundle serves (what they import, run in a fresh process
# on a dump of the checkout): `show --json` (issue 23), the human show, check, explain, a
# placement, an export, a diff, a survey; and the explorer's modules before its first frame
# (imported, not run). A command reads only the modules it imports from the bundle (a larger
# index costs each start-up ~2K instructions a module). Each probe, run again alone, records
# the order its modules finish: what the `capslot` command with that run_key runs ahead.
BUNDLE_PROBES = (("show", "--json", "{dump}"), ("show", "--json", "--view", "guest", "{dump}"),
                 ("show", "{dump}"), ("check", "{dump}", "--add", "pasid@0xff8"),
                 ("explain", "{dump}", "0x2d4"),
                 ("place", "{dump}", "--add", "pasid", "--json"), ("place", "{dump}", "--add", "pasid"),
                 ("export", "{dump}", "--add", "pasid", "--format", "qemu-cmdline"),
                 ("diff", "{dump}", "{dump}", "--add", "pasid@0xff8"),
                 ("survey", "--jsonl", "{dump}"))
BUNDLE_IMPORTS = ("capslot.explore", "capslot.tui.app", "capslot.tui.session",
                  # the IDs the probe's NIC lacks
                  "capslot.core.registry.extended_modern", "capslot.core.registry.standard_rare",
                  "capslot.core.registry.extended_rare",
                  # the human show's writer (the probes print to a StringIO, which it leaves to Rich)
                  "capslot.tui.writer", "capslot.tui.termenv", "capslot.tui.sgr",
                  "capslot.tui.styled", "capslot.tui.table")
# The modules from outside the package that every command imports: `from __future__ import
# annotations` imports __future__, which only the bundle keeps from reading the standard
# library's folder (~0.5M instructions); served while nothing before it on sys.path holds one
BUNDLE_OUTSIDE = ("__future__",)
BUNDLE_DUMP = ROOT / "sample_dumps" / "realtek_rtl8168_nic_b.txt"
_PROBE = """
import io, sys
from capslot.cli import main
for name in {imports!r}:
    try:
        __import__(name)
    except ImportError:  # what a module needs is not installed: it is not bundled
        pass
for argv in {probes!r}:
    sys.stdout = io.StringIO()
    try:
        main(list(argv))
    except SystemExit:
        pass
sys.stdout = sys.__stdout__
for name, module in sorted(sys.modules.items()):
    spec = getattr(module, "__spec__", None)
    if (name.startswith("capslot.") or name in {outside!r}) and spec is not None and (
            (spec.origin or "").endswith(".py")):
        print(name, spec.origin, int(spec.submodule_search_locations is not None), sep="\t")
"""

# One command line, run as `capslot` runs it (its output to a file): the capslot modules it
# imports, in the order their bodies finish (a module after those it imports), one a line.
_RUN = """
import os, sys
finished = []


class Recorder:
    @staticmethod
    def find_spec(name, path=None, target=None):
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None) if finder is not Recorder else None
            spec = find(name, path, target) if find is not None else None
            if spec is not None:
                break
        else:
            return None
        run = getattr(spec.loader, "exec_module", None)
        if name.startswith("capslot.") and run is not None:
            def exec_module(module, run=run):
                run(module)
                finished.append(module.__name__)

            spec.loader.exec_module = exec_module  # this module's loader object only
        return spec


sys.meta_path.insert(0, Recorder)
from capslot.cli import main

sys.stdout = open(os.devnull, "w")
try:
    main({argv!r})
except SystemExit:
    pass
sys.stdout = sys.__stdout__
print(*finished, sep="\\n")
"""


def _runs(probes: list[tuple[str, ...]], env: dict[str, str]) -> dict[str, list[str]]:
    """{run_key(command line): the modules its start-up may run ahead}: the modules every
    probe of that key imported, in the order their bodies finished in the first."""
    from capslot import run_key

    runs: dict[str, list[str]] = {}
    for argv in probes:
        finished = subprocess.run([sys.executable, "-c", _RUN.format(argv=list(argv))], cwd=ROOT,
                                  env=env, capture_output=True, text=True,
                                  check=True).stdout.split()
        key = run_key(list(argv))
        runs[key] = [name for name in runs.get(key, finished) if name in finished]
    return runs


def write_bundle(top: Path, probes=BUNDLE_PROBES, dump: Path = BUNDLE_DUMP,
                 imports: tuple[str, ...] = BUNDLE_IMPORTS) -> Path:
    """The start-up bundle of the installed package `top` (the package's __init__ says what it
    is and when it is used): the modules the probes import, compiled from their sources now.
    The old bundle is removed first, so the probes import the normal way."""
    import marshal
    from importlib.util import MAGIC_NUMBER

    from capslot import BUNDLE_FORMAT, BUNDLE_NAME, ENTRY  # the reader's own names

    out = top / "__pycache__" / BUNDLE_NAME
    out.unlink(missing_ok=True)
    probes = [tuple(a.format(dump=dump) for a in p) for p in probes]
    code = _PROBE.format(probes=probes, imports=imports, outside=BUNDLE_OUTSIDE)
    env = {**os.environ, "PYTHONPATH": str(top.parent)}
    runs = _runs(probes, env)
    listed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    index, blobs, start, outside, compiled = {}, [], 0, {}, {}
    for line in listed:
        name, origin, package = line.split("\t")
        if name in BUNDLE_OUTSIDE:
            outside[name] = os.path.dirname(origin)
        before = os.stat(origin)
        source = Path(origin).read_bytes()
        if os.stat(origin).st_mtime_ns != before.st_mtime_ns:
            continue  # changed while read: left to the normal import
        *folders, leaf = name.split(".")[1:] if name not in outside else ["", name]
        where = [leaf, "__init__.py"] if package == "1" else [f"{leaf}.py"]
        if os.path.join(outside.get(name, top), *folders, *where) != origin:
            continue  # not where the reader looks for it (its name under the top): not bundled
        compiled[name] = compile(source, origin, "exec", dont_inherit=True, optimize=0)
        blob = marshal.dumps(compiled[name])
        index[name] = b"".join(n.to_bytes(width, "little") for n, width in (
            (before.st_mtime_ns, 8), (before.st_size, 4), (package == "1", 1), (start, 4),
            (len(blob), 4)))  # ENTRY bytes: the reader's record
        blobs.append(blob)
        start += len(blob)
    if any(len(record) != ENTRY for record in index.values()):
        raise ValueError(f"an index record is not the reader's {ENTRY} bytes")
    names = {name: name for name in index}  # a run's names: the index's own strings, which
    # marshal writes once and then refers to
    for key, run in list(runs.items()):
        held = tuple(names[name] for name in run if name in names)
        # the run's code in one blob (the reader unmarshals it at once): the same code objects
        # as the modules' own entries
        blob = marshal.dumps(tuple(compiled[name] for name in held))
        runs[key] = (held, start, len(blob))
        blobs.append(blob)
        start += len(blob)
    head = marshal.dumps((BUNDLE_FORMAT, {name: k for k, name in enumerate(index)},
                          b"".join(index.values()), runs, outside))
    out.parent.mkdir(exist_ok=True)
    temporary = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    temporary.write_bytes(b"".join([MAGIC_NUMBER, len(head).to_bytes(4, "little"), head, *blobs]))
    os.replace(temporary, out)
    return out


def main(argv: list[str]) -> int:
    if argv == ["--link"]:
        print(f"capslot: {link(Path(sysconfig.get_paths()['purelib']))} links into {ROOT}")
        return 0
    if argv == ["--bundle"]:
        print(f"capslot: {write_bundle(Path(sysconfig.get_paths()['purelib']) / 'capslot')}")
        from capslot.core.placement.quirks import prepare_cache  # the shipped table, parsed

        print(f"capslot: {prepare_cache() or 'the device table cache could not be written'}")
        from capslot.tui.csscache import prime  # the explorer's CSS, parsed

        print(f"capslot: {prime(str(BUNDLE_DUMP)) or 'the CSS cache could not be written'}")
        return 0
    if argv != ["--lint-imports"]:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    lint = Path(sys.executable).with_name("lint-imports")
    with tempfile.TemporaryDirectory(prefix="capslot-layout-") as tmp:
        lay_out(Path(tmp))
        env = {**os.environ, "PYTHONPATH": tmp}
        return subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                              cwd=tmp, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
