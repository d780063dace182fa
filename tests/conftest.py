from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest
import pytest_textual_snapshot
from pytest_textual_snapshot import SVGImageExtension

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_dumps"
SNAPSHOT_ROOT = ROOT / "snapshots"


def sample_dumps() -> list[Path]:
    """Every real dump bundled in sample_dumps/ (not the lspci decodes)."""
    return sorted(p for p in SAMPLES.glob("*.txt") if not p.name.endswith(".lspci.txt"))


@pytest.fixture
def samples() -> Path:
    return SAMPLES


class TopLevelSVGExtension(SVGImageExtension):
    """Snapshots live in the top-level snapshots/<test module>/ folder."""

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(SNAPSHOT_ROOT / test_location.basename)


pytest_textual_snapshot.SVGImageExtension = TopLevelSVGExtension


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run `async def` tests (pytest-asyncio is not a dependency)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        kwargs = {n: pyfuncitem.funcargs[n] for n in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**kwargs))
        return True
    return None
