"""What the code cites lives in the repository: every `docs/...` and `schemas/...` path named
in core/ and tui/ exists, none points outside the checkout, and every copied reference says
where it came from and that the source it cites wins."""

from __future__ import annotations

import re

from tests.conftest import ROOT

CITED = re.compile(r"(?<![\w/.])((?:docs|schemas)/[\w./-]*\w)")
CODE = [p for d in ("core", "tui") for p in sorted((ROOT / d).rglob("*"))
        if p.suffix in (".py", ".toml", ".tcss") and "__pycache__" not in p.parts]


def citations() -> list[tuple[str, str]]:
    return [(str(p.relative_to(ROOT)), m.group(1)) for p in CODE
            for m in CITED.finditer(p.read_text(encoding="utf-8"))]


def test_every_document_the_code_cites_exists():
    cited = citations()
    assert len({path for _, path in cited if path.startswith("docs/")}) >= 5  # the scan finds them
    missing = [(where, path) for where, path in cited if not (ROOT / path).exists()]
    assert not missing


def test_no_comment_points_outside_the_repository():
    outside = [(str(p.relative_to(ROOT)), line.strip()) for p in CODE
               for line in p.read_text(encoding="utf-8").splitlines()
               if re.search(r"\.\./(shared|reference|spec|context)/", line)]
    assert not outside


def test_every_copied_reference_names_its_origin_and_yields_to_the_source():
    copies = sorted((ROOT / "docs").glob("reference/*.md")) + sorted((ROOT / "docs").glob("spec/*.md"))
    assert {p.name for p in copies} >= {"vfio-qemu.md", "capabilities.md", "vmm-guest-views.md",
                                        "pasid-feasibility.md", "cli.md", "design.md"}
    for p in copies:
        head = "\n".join(p.read_text(encoding="utf-8").splitlines()[:4])
        assert "Where this comes from" in head and " win" in head, p.name
