from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_dumps"


def sample_dumps() -> list[Path]:
    """Every real dump bundled in sample_dumps/ (not the lspci decodes)."""
    return sorted(p for p in SAMPLES.glob("*.txt") if not p.name.endswith(".lspci.txt"))


@pytest.fixture
def samples() -> Path:
    return SAMPLES
