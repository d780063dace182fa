"""The README's generated table is current (regenerate with `make docs`)."""

from __future__ import annotations

from pathlib import Path

from tui.docs import rewrite


def test_readme_tables_are_current():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert rewrite(readme) == readme, "README is stale: run `make docs`"


def test_gallery_picture_is_current():
    from tui.docs import GALLERY_SVG, gallery_svg

    assert GALLERY_SVG.read_text() == gallery_svg(), "gallery SVG is stale: run `make docs`"
