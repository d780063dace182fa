"""The package as it is installed, laid out from the checkout: `capslot/` with `core/`, `tui/`
and the command line, each folder mapped as `[tool.setuptools]` in pyproject.toml says (the one
source of the mapping). Used where a process must see the installed names without the checkout's
venv (a test run as another user), and by `make lint` to run import-linter, whose graph builder
reads a package's files from one folder tree.

    python -m tests.installed_layout --lint-imports   # import-linter over the installed layout
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


def main(argv: list[str]) -> int:
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
