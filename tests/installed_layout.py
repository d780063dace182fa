"""The package as it is installed, laid out from the checkout: `capslot/` with `core/`, `tui/`
and the command line, each folder mapped as `[tool.setuptools]` in pyproject.toml says (the one
source of the mapping). Used where a process must see the installed names without the checkout's
venv (a test run as another user), by `make lint` to run import-linter, whose graph builder
reads a package's files from one folder tree, and by `make install` for the development install.

    python -m tests.installed_layout --lint-imports   # import-linter over the installed layout
    python -m tests.installed_layout --link           # the venv's capslot: links into the checkout
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


def main(argv: list[str]) -> int:
    if argv == ["--link"]:
        print(f"capslot: {link(Path(sysconfig.get_paths()['purelib']))} links into {ROOT}")
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
