"""The pinned outputs of the commonest commands, for every dump in sample_dumps/: what
`capslot show --json DUMP`, `capslot show DUMP` (Rich, 100 columns, no colour) and
`capslot place --json --add pasid --arch x86_64 DUMP` print, with their exit codes and
standard error. Start-up work (issue 23) must not change a byte of them.

The files in tests/golden/outputs/ were written by the code of commit 761d562, whose outputs
the lspci-based tests had checked, with

    .venv/bin/python -m tests.golden_outputs --write

run from the repository's root (see tests/golden/outputs/README.md). Run without --write it
lists the dumps whose outputs differ from the files.

The commands run in this process through `tui.cli.main` (three subprocesses per dump would
cost the suite half a minute); tests/test_golden_outputs.py also runs a few as the real
command. The environment is pinned: COLUMNS=100, no colour variables, an empty
$XDG_CONFIG_HOME (no user device table), the repository as the working directory (dump
paths are relative, so they print the same from any checkout), and the repository's path in
an output (the shipped device table's file, as installed) is written `<ROOT>`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "outputs"
EXITS = GOLDEN / "exits.json"
WIDTH = "100"
# what each command is, and the suffix of its file: the dump's path goes last
COMMANDS = {
    "show.json": ("show", "--json"),
    "show.txt": ("show",),
    "place.json": ("place", "--json", "--add", "pasid", "--arch", "x86_64"),
}
# read by Rich or by capslot: unset while the commands run (COLUMNS and XDG_CONFIG_HOME are set)
UNSET = ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLORTERM", "TERM",
         "JUPYTER_COLUMNS", "JUPYTER_LINES", "LINES", "CAPSLOT_DEBUG")


def dumps() -> list[Path]:
    """Every real dump bundled in sample_dumps/ (not the lspci decodes), relative to ROOT."""
    return sorted(p.relative_to(ROOT) for p in (ROOT / "sample_dumps").glob("*.txt")
                  if not p.name.endswith(".lspci.txt"))


@contextlib.contextmanager
def pinned_environment() -> Iterator[dict[str, str]]:
    """The environment the outputs are pinned in (see the module's docstring); the one for a
    subprocess is yielded."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    with tempfile.TemporaryDirectory() as config:
        try:
            for name in UNSET:
                os.environ.pop(name, None)
            os.environ["COLUMNS"] = WIDTH
            os.environ["XDG_CONFIG_HOME"] = config
            os.chdir(ROOT)
            yield dict(os.environ)
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)


def normalised(text: str) -> str:
    """The shipped device table's folder as installed (the checkout's core/, or the venv's
    capslot/core when the install links into the checkout) and the checkout's path: `<ROOT>`."""
    from capslot.core.placement.quirks import SHIPPED

    text = text.replace(os.path.dirname(os.path.dirname(SHIPPED)), "<ROOT>/core")
    return text.replace(str(ROOT), "<ROOT>")


def run(argv: list[str]) -> tuple[int, str, str]:
    """(exit code, standard output, standard error) of `capslot ARGV`, in this process."""
    from capslot.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, normalised(out.getvalue()), normalised(err.getvalue())


def outputs(dump: Path) -> dict[str, tuple[int, str, str]]:
    """Each command's (exit code, stdout, stderr) on `dump` (call inside pinned_environment)."""
    return {suffix: run([*argv, str(dump)]) for suffix, argv in COMMANDS.items()}


def golden_file(dump: Path, suffix: str) -> Path:
    return GOLDEN / f"{dump.stem}.{suffix}"


def golden(dump: Path) -> dict[str, tuple[int, str, str]]:
    """What the files say each command gives on `dump`."""
    exits = json.loads(EXITS.read_text())[dump.stem]
    return {suffix: (exits[suffix][0], golden_file(dump, suffix).read_text(), exits[suffix][1])
            for suffix in COMMANDS}


def write() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    exits: dict[str, dict[str, list]] = {}
    with pinned_environment():
        for dump in dumps():
            exits[dump.stem] = {}
            for suffix, (code, out, err) in outputs(dump).items():
                golden_file(dump, suffix).write_text(out)
                exits[dump.stem][suffix] = [code, err]
    EXITS.write_text(json.dumps(exits, indent=1, sort_keys=True) + "\n")


def main() -> int:
    if sys.argv[1:] == ["--write"]:
        write()
        return 0
    differ = []
    with pinned_environment():
        for dump in dumps():
            if outputs(dump) != golden(dump):
                differ.append(dump.name)
    for name in differ:
        print(f"differs: {name}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
