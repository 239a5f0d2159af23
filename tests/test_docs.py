"""The documentation points only at what exists: every relative link, every heading it links to,
and every path of the repository it names in backticks."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", ROOT / "DATA.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
# A path of this repository named in prose or a table: `escalation/turns.py`, `docs/…`.
CODE_PATH = re.compile(
    r"`((?:escalation|agents_console|surveys|tests|docs|templates|static)/[\w./-]*\w)`"
)


def fenced_blocks_removed(text: str) -> str:
    return re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)


def heading_anchors(document: Path) -> set[str]:
    """GitHub's anchors: the heading in lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", fenced_blocks_removed(document.read_text()), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def relative_links(document: Path) -> list[str]:
    links = LINK.findall(fenced_blocks_removed(document.read_text()))
    return [link for link in links if not re.match(r"[a-z]+:", link)]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: str(d.relative_to(ROOT)))
def test_relative_links_point_at_existing_files_and_headings(document: Path) -> None:
    broken = []
    for link in relative_links(document):
        path, _, anchor = link.partition("#")
        target = (document.parent / path).resolve() if path else document
        if not target.exists() or (
            target.suffix == ".md" and anchor not in {"", *heading_anchors(target)}
        ):
            broken.append(link)
    assert broken == []


# DATA.md also names the files of other repositories it builds the corpus from.
@pytest.mark.parametrize(
    "document", [d for d in DOCUMENTS if d.name != "DATA.md"], ids=lambda d: d.name
)
def test_repository_paths_named_exist(document: Path) -> None:
    named = CODE_PATH.findall(fenced_blocks_removed(document.read_text()))
    assert [path for path in named if not (ROOT / path).exists()] == []


def test_the_readme_links_every_page_of_the_docs() -> None:
    readme = set(relative_links(ROOT / "README.md"))
    pages = {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")}
    assert pages - {link.partition("#")[0] for link in readme} == set()
