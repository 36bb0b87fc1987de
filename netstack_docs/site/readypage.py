"""Generated pages written whole as HTML: MkDocs builds them without Python-Markdown (issue 24).

A page whose source starts with the marker line `PAGE` (netstack_docs.render.ready) is HTML from the
renderer, every snapshot string already escaped. `ReadyPage.render` does for it what MkDocs' own
Markdown conversion does for a page, and nothing more:

- every relative `.md` link is checked against the site's files and made a URL relative to the page
  (readyhtml.resolve_html: a missing page is a warning, so the strict build fails; a link to an
  anchor goes to MkDocs' own anchor validation);
- every element id is an anchor of the page (`present_anchor_ids`), so that a team's runbook link
  `…/traffic-control.md#qdisc-…` fails the strict build when the anchor is gone and passes while
  it exists;
- each heading gets the permalink, and a heading without an id the slug, that Python-Markdown's toc
  extension gives it (its own functions: the same ids, the same de-duplication); the headings make
  the page's table of contents and its title, with the names the toc extension gives them.

Any other page (a team's, or a generated page still written as Markdown) goes through MkDocs' own
`Page.render`. The theme's hook makes every page of the build a ReadyPage (`on_pre_page`).

`read_source` reads front matter that is one line of JSON (a host's pages: netstack_docs.render.
hostnav.yaml_json, which is also YAML) with json.loads; any other front matter with MkDocs' own YAML
reader, as before.
"""

from __future__ import annotations

import html
import json
import logging
import re
from typing import Any

from markdown.extensions.toc import nest_toc_tokens, slugify, strip_tags, unique
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc
from mkdocs.utils import meta as mkdocs_meta

from netstack_docs.render.ready import PAGE
from netstack_docs.site.readyhtml import element_ids, resolve_html

# Headings as the renderer writes them: `<hN>` or `<hN id="…">`, the text escaped, no nested heading.
_HEADING = re.compile(r'<h([1-6])(?: id="([^"]*)")?>(.*?)</h\1>', re.S)
_A_NAME = re.compile(r"<a\s[^<>]*?\bname=\"([^\"]*)\"")
PERMALINK = '<a class="headerlink" href="#{0}" title="Permanent link">&para;</a>'


_log = logging.getLogger("mkdocs.structure.pages")


def json_front_matter(source: str) -> tuple[str, dict[str, Any]] | None:
    """(body, meta) of a source whose front matter is one line of JSON holding a mapping, else None.
    The body is what MkDocs' YAML reader leaves of such a source (the same page either way)."""
    if not source.startswith("---\n{"):
        return None
    end = source.find("\n", 4)
    if end < 0 or not source.startswith("---", end + 1):
        return None
    close = source.find("\n", end + 1)
    if close < 0 or source[end + 4 : close].strip(" \t"):
        return None
    try:
        meta = json.loads(source[4:end])
    except ValueError:
        return None
    if not isinstance(meta, dict):
        return None
    return source[close + 1 :].lstrip("\n"), meta


def is_ready(markdown: str | None) -> bool:
    return bool(markdown) and markdown.startswith(PAGE)  # type: ignore[union-attr]


def headings(body: str, ids: set[str]) -> tuple[str, list[dict[str, Any]], str | None]:
    """`body` with each heading's id (a slug where it has none) and permalink; the toc tokens (nested);
    the first h1's name (the page title, as MkDocs takes it from a rendered page)."""
    tokens: list[dict[str, Any]] = []
    counters: dict[str, int] = {}
    title: str | None = None

    def heading(m: re.Match[str]) -> str:
        nonlocal title
        level, anchor, inner = int(m.group(1)), m.group(2), m.group(3).strip()
        name = strip_tags(inner)
        if not anchor:
            anchor = unique(slugify(html.unescape(name), "-"), ids, counters)
        if level == 1 and title is None:
            title = name
        tokens.append({"level": level, "id": anchor, "name": name, "html": inner, "data-toc-label": ""})
        return f'<h{level} id="{anchor}">{inner}{PERMALINK.format(anchor)}</h{level}>'

    out = _HEADING.sub(heading, body)
    return out, nest_toc_tokens(tokens), title


class ReadyPage(Page):
    """A page of the build; a ready one (`PAGE` first) rendered without Python-Markdown."""

    def read_source(self, config: Any) -> None:
        source = config.plugins.on_page_read_source(page=self, config=config)
        if source is None:
            try:
                source = self.file.content_string
            except OSError:
                _log.error(f"File not found: {self.file.src_path}")
                raise
            except ValueError:
                _log.error(f"Encoding error reading file: {self.file.src_path}")
                raise
        self.markdown, self.meta = json_front_matter(source) or mkdocs_meta.get_data(source)

    def render(self, config: Any, files: Any) -> None:
        if not is_ready(self.markdown):
            super().render(config, files)
            return
        assert self.markdown is not None
        body = self.markdown[len(PAGE) :].strip("\n")
        ids = set(element_ids(body))
        if ' name="' in body:  # as MkDocs, `<a name>` is an anchor too (the renderer writes none)
            ids |= set(_A_NAME.findall(body))
        body, tokens, title = headings(body, ids)
        body, links = resolve_html(body, self, files)  # the permalinks too, as MkDocs reads them
        self.content = body
        self.toc = get_toc(tokens)  # type: ignore[arg-type]  # the toc extension's tokens, as MkDocs passes them
        self._title_from_render = title
        self.present_anchor_ids = ids
        if _log.getEffectiveLevel() > logging.DEBUG:
            self.links_to_anchors = links  # as MkDocs: only collected when not debugging
