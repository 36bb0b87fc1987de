"""Ready HTML blocks in pages (netstack_docs.render.ready): passed through, their links and anchors checked.

Three parts, joined by the theme's hook (theme/hook.py), on every page of the build:

- `ReadyHtmlExtension`, a Python-Markdown extension: each block between the marker lines goes into
  the HTML stash as it is, before any other processing reads it (MkDocs' own raw-HTML scan, the
  md_in_html parser, block and inline processing: they see one placeholder line).
- `resolve_links` (before conversion): every relative `.md` link inside a block is checked against
  the site's files and made a URL relative to the page, exactly as MkDocs does for Markdown links:
  a missing page is a warning (so the strict build fails), a link to an anchor is handed to MkDocs'
  own anchor validation.
- `block_anchor_ids`: every element id inside a block, added to the anchors MkDocs knows of the
  page, so that a team's runbook link `…/traffic-control.md#qdisc-…` still fails the strict build
  when the anchor is gone, and passes while it exists.

Inside a block every `<` starts a tag (the renderer escapes all text), so tags can be matched with
regular expressions without an HTML parser.
"""

from __future__ import annotations

import logging
import posixpath
import re
import string
from typing import Any
from urllib.parse import unquote

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from netstack_docs.render.ready import CLOSE, OPEN

log = logging.getLogger("mkdocs.plugins.netstack_docs")

_BLOCK = re.compile(re.escape(OPEN) + r"\n(.*?)\n" + re.escape(CLOSE) + "$", re.S | re.M)
_LETTERS = frozenset(string.ascii_letters)
# Links to be resolved, and (_HERE) links to an anchor of the page itself, only registered.
_LINK = re.compile(r"(<a\s[^<>]*?href=\")((?!#[^\"])[^\"]*)(\")")
_HERE = re.compile(r"<a\s[^<>]*?href=\"#([^\"]+)\"")
_EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")


class _ReadyBlocks(Preprocessor):
    """Replace each ready block by one stash placeholder (a paragraph of its own)."""

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if OPEN not in text:
            return lines
        stash = self.md.htmlStash
        text = _BLOCK.sub(lambda m: "\n" + stash.store(m.group(1)) + "\n", text)
        return text.split("\n")


class ReadyHtmlExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        # After normalize_whitespace (30), before MkDocs' raw-HTML scan (21) and html_block (20).
        md.preprocessors.register(_ReadyBlocks(md), "netstack_ready_html", 25)


def makeExtension(**kwargs: Any) -> ReadyHtmlExtension:  # noqa: N802 (Python-Markdown's entry point)
    return ReadyHtmlExtension(**kwargs)


def block_anchor_ids(markdown: str) -> set[str]:
    """Every element id inside the ready blocks of a page's Markdown."""
    return {i for m in _BLOCK.finditer(markdown) for i in element_ids(m.group(1)) if i}


def element_ids(html: str) -> list[str]:
    """The value of each tag's first `id` attribute, in order: what
    `re.findall(r'<[a-zA-Z][^<>]*?\\sid="([^"]*)"', html)` finds, about three times faster on a large
    page (that pattern tries every `<` and scans its tag; this looks for `id="` and then for its tag)."""
    out, done = [], -1  # done: the end of the last id taken (the pattern resumes its search there)
    find, rfind = html.find, html.rfind
    at = find('id="')
    while at >= 0:
        value = at + 4
        if at > 0 and html[at - 1].isspace():
            start = rfind("<", 0, at)
            if start > done and html[start + 1 : start + 2] in _LETTERS and find(">", start, at) < 0:
                end = find('"', value)
                if end < 0:
                    break
                out.append(html[value:end])
                done = end
                at = find('id="', end)
                continue
        at = find('id="', value)
    return out


def resolve_links(markdown: str, page: Any, files: Any) -> tuple[str, dict[Any, dict[str, str]]]:
    """The page's Markdown with each ready block's relative links made URLs, and the links to anchors
    ({target file: {anchor: link as written}}, MkDocs' `Page.links_to_anchors`)."""
    anchors: dict[Any, dict[str, str]] = {}

    def block(m: re.Match[str]) -> str:
        inner, found = resolve_html(m.group(1), page, files)
        for target, links in found.items():
            mine = anchors.setdefault(target, {})
            for anchor, href in links.items():
                mine.setdefault(anchor, href)
        return f"{OPEN}\n{inner}\n{CLOSE}"

    return _BLOCK.sub(block, markdown), anchors


def resolve_html(html: str, page: Any, files: Any) -> tuple[str, dict[Any, dict[str, str]]]:
    """`html` (written by the renderer) with each relative `.md` link made a URL relative to `page`,
    and its links to anchors ({target file: {anchor: link as written}}, MkDocs' `Page.links_to_anchors`).
    A link to a page that is not in the site is logged as a warning naming the page, as MkDocs does."""
    src = page.file.src_uri
    here = posixpath.dirname(src)
    anchors: dict[Any, dict[str, str]] = {}
    targets: dict[str, tuple[Any, str]] = {"": (page.file, "")}  # a page links a few pages many times
    # Links to an anchor of this page (a compact table's every row) stay as they are: only registered.
    own = {unquote(fragment): f"#{fragment}" for fragment in reversed(_HERE.findall(html))}
    if own:
        anchors[page.file] = own

    def link(m: re.Match[str]) -> str:
        href = m.group(2)
        if not href or _EXTERNAL.match(href):
            return m.group(0)
        rest, _, fragment = href.partition("#")
        path, mark, query = rest.partition("?")
        if path and not path.endswith(".md"):
            return m.group(0)
        known = targets.get(path)
        if known is None:
            target_uri = posixpath.normpath(posixpath.join(here, unquote(path)))
            target = files.get_file_from_path(target_uri)
            if target is None:
                log.warning(
                    f"Doc file '{src}' contains a link '{href}', but the target '{target_uri}' "
                    "is not found among documentation files."
                )
                return m.group(0)
            known = targets[path] = (target, target.url_relative_to(page.file))
        target, url = known
        if mark:
            url = f"{url}?{query}"
        if fragment:
            anchors.setdefault(target, {}).setdefault(unquote(fragment), href)
            url = f"{url}#{fragment}"
        return f"{m.group(1)}{url}{m.group(3)}"

    return _LINK.sub(link, html), anchors
