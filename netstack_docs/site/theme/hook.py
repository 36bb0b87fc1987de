"""MkDocs hook (added to `hooks` by netstack_docs.site.theme): these overrides among the theme's dirs,
and the ready HTML blocks of generated pages (netstack_docs.site.readyhtml) on every page.

A hook rather than `theme.custom_dir`, so that a docs repository keeps its own custom_dir: its
templates still come first, ours right after them, Material's last.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netstack_docs.render.ready import OPEN
from netstack_docs.site.readyhtml import ReadyHtmlExtension, block_anchor_ids, resolve_links

THEME_DIR = str(Path(__file__).resolve().parent)


def on_config(config: Any) -> Any:
    dirs = config.theme.dirs
    if THEME_DIR not in dirs:
        dirs.insert(1 if config.theme.custom_dir else 0, THEME_DIR)
    extensions = config.markdown_extensions
    if not any(isinstance(e, ReadyHtmlExtension) for e in extensions):
        extensions.append(ReadyHtmlExtension())
    return config


# Per page of this build: the anchors its ready blocks hold and the links to anchors they make.
_READY: dict[str, tuple[set[str], dict[Any, dict[str, str]]]] = {}


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if OPEN not in markdown:
        return markdown
    markdown, anchors = resolve_links(markdown, page, files)
    _READY[page.file.src_uri] = (block_anchor_ids(markdown), anchors)
    return markdown


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    found = _READY.pop(page.file.src_uri, None)
    if found is not None:
        ids, anchors = found
        page.present_anchor_ids = (page.present_anchor_ids or set()) | ids
        if page.links_to_anchors is not None or anchors:
            merged = dict(page.links_to_anchors or {})
            for target, links in anchors.items():
                merged[target] = {**links, **merged.get(target, {})}
            page.links_to_anchors = merged
    return html
