"""The README and docs/ tell the truth a reader can check: their generated tables, lists and
maps are current (regenerate with `make docs`), every link leads somewhere, every `capslot`
command they show is one the command line accepts, and the README stays a short entry point
that links the rest."""

from __future__ import annotations

import contextlib
import io
import re
import shlex

import pytest

from tests.conftest import ROOT
from capslot.tui.docs import SECTIONS, documents, rewrite

DOCS = documents()
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_documents_are_the_readme_and_docs():
    assert DOCS[0] == ROOT / "README.md"
    assert {p.name for p in DOCS[1:]} >= {"cli.md", "explorer.md", "placement.md", "feasibility.md"}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_generated_parts_are_current(doc):
    text = doc.read_text()
    assert rewrite(text) == text, f"{doc.name} is stale: run `make docs`"


def test_every_generated_part_is_somewhere():
    text = "".join(p.read_text() for p in DOCS)
    for name in SECTIONS:
        assert f"<!-- {name} -->" in text and f"<!-- /{name} -->" in text, name


def test_gallery_picture_is_current():
    from capslot.tui.docs import GALLERY_SVG, gallery_svg

    assert GALLERY_SVG.read_text() == gallery_svg(), "gallery SVG is stale: run `make docs`"


def test_the_readme_is_short_and_links_every_document():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    for doc in DOCS[1:]:
        assert f"(docs/{doc.name})" in readme, doc.name
    for target in ("run", "test"):  # the two-command set-up
        assert f"make {target}" in readme and re.search(rf"^{target}:", (ROOT / "Makefile").read_text(), re.M)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r"^#+ (.*)$", text, re.M)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_link_leads_somewhere(doc):
    for link in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+:", link):
            continue  # a web address
        path, _, anchor = link.partition("#")
        target = (doc.parent / path).resolve() if path else doc
        assert target.exists(), (doc.name, link)
        if anchor:
            assert anchor in anchors(target), (doc.name, link)


def shown_commands() -> list[tuple[str, str]]:
    """(document, command line) for every `capslot ...` line of a sh block."""
    found = []
    for doc in DOCS:
        for block in re.findall(r"```sh\n(.*?)```", doc.read_text(), re.S):
            for line in block.splitlines():
                for part in line.split("#", 1)[0].split("|"):
                    if part.strip().startswith("capslot"):
                        found.append((doc.name, part.strip()))
    return found


def test_every_command_shown_is_accepted():
    """A reader who copies a command gets no usage error: each parses with capslot's own
    parser (the dump names are placeholders; nothing is read)."""
    from capslot.cli import COMMANDS, UsageError, build_parser

    shown = shown_commands()
    assert len(shown) >= 20
    for doc, line in shown:
        argv = shlex.split(line)[1:]
        if not argv or argv[0] not in COMMANDS:
            argv = ["tui", *argv]
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                build_parser(argv[0]).parse_args(argv)
        except UsageError as exc:
            raise AssertionError((doc, line, str(exc))) from None
        except SystemExit as exc:  # argparse's own exit (a bad choice)
            assert exc.code == 0, (doc, line, err.getvalue())
