"""The user guide: the Markdown files of docs/guide/, rendered as pages of the app.

The files are written for the repository (links between chapters are ``clerk.md``, images are
``img/clerk-inbox.png``); rendering rewrites those links to the app's URLs, so one text serves
both. The files are ours (not user input); the chapter name is checked against a strict pattern
before any file is opened.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.urls import reverse

CHAPTER = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
IMAGE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,80}\.png$")


def guide_dir() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "guide"


@dataclass(frozen=True)
class Chapter:
    slug: str
    title: str
    html: str


def _rewrite(root: etree.Element) -> None:
    for element in root.iter():
        if element.tag == "img":
            src = element.get("src", "")
            if src.startswith("img/") and IMAGE.match(src[4:]):
                element.set("src", reverse("guide:image", args=[src[4:]]))
                element.set("loading", "lazy")
        elif element.tag == "a":
            href = element.get("href", "")
            target, _, anchor = href.partition("#")
            if target.endswith(".md") and "/" not in target:
                slug = target[:-3]
                url = reverse("guide:index") if slug == "index" else None
                if url is None and CHAPTER.match(slug):
                    url = reverse("guide:role", args=[slug])
                if url is not None:
                    element.set("href", url + (f"#{anchor}" if anchor else ""))


def _markdown(text: str) -> str:
    import markdown  # imported when a chapter is first rendered: only the guide needs it
    from markdown.treeprocessors import Treeprocessor

    class AppLinks(Treeprocessor):
        def run(self, root: etree.Element) -> None:
            _rewrite(root)

    class AppLinksExtension(markdown.Extension):
        def extendMarkdown(self, md: markdown.Markdown) -> None:
            md.treeprocessors.register(AppLinks(md), "delibre_links", 5)

    return markdown.markdown(
        text, extensions=["tables", "toc", "sane_lists", AppLinksExtension()], output_format="html"
    )


@lru_cache(maxsize=32)
def _render(path: Path, mtime_ns: int) -> Chapter:
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^# (.+)$", text, flags=re.MULTILINE)
    title = match.group(1).strip() if match else path.stem
    return Chapter(slug=path.stem, title=title, html=_markdown(text))


def chapter(slug: str) -> Chapter | None:
    """The rendered chapter docs/guide/<slug>.md, or None when there is no such chapter."""
    if not CHAPTER.match(slug):
        return None
    path = guide_dir() / f"{slug}.md"
    if not path.is_file():
        return None
    return _render(path, path.stat().st_mtime_ns)


def image_path(name: str) -> Path | None:
    if not IMAGE.match(name):
        return None
    path = guide_dir() / "img" / name
    return path if path.is_file() else None
