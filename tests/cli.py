"""Running the real `capslot` command in a subprocess, as users and scripts do."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    code: int
    out: str
    err: str


def capslot(*args: str, stdin: bytes | None = None, timeout: float = 30, env=None) -> Result:
    proc = subprocess.run([sys.executable, "-m", "capslot", *args], cwd=ROOT, input=stdin,
                          capture_output=True, timeout=timeout, env=env)
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                  proc.stderr.decode("utf-8", "replace"))
