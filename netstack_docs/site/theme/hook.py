"""MkDocs hook (added to `hooks` by netstack_docs.site.theme): these overrides among the theme's dirs,
generated pages written whole as HTML built without Python-Markdown (netstack_docs.site.readypage),
the ready HTML blocks of other generated pages (netstack_docs.site.readyhtml) on every page, and the
lighter HTML Material's search plugin reads of an indexed page (netstack_docs.site.searchview).

A hook rather than `theme.custom_dir`, so that a docs repository keeps its own custom_dir: its
templates still come first, ours right after them, Material's last.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import pass_context
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import url_filter

from netstack_docs.render.ready import OPEN
from netstack_docs.site import lightbox
from netstack_docs.site.lightbox import add_assets, lightbox_plugin, skip_parsing
from netstack_docs.site.readyhtml import ReadyHtmlExtension, block_anchor_ids, resolve_links
from netstack_docs.site.readypage import ReadyPage, is_ready
from netstack_docs.site.searchview import search_view, strip_search_attrs

THEME_DIR = str(Path(__file__).resolve().parent)


# The plugins this hook works with, found once a build (on_config) rather than on every page.
_PLUGINS: dict[str, Any] = {"search": False, "lightbox": None}


def on_config(config: Any) -> Any:
    _PLUGINS["search"], _PLUGINS["lightbox"] = _material_search(config), lightbox_plugin(config)
    lightbox.reset()
    dirs = config.theme.dirs
    if THEME_DIR not in dirs:
        dirs.insert(1 if config.theme.custom_dir else 0, THEME_DIR)
    extensions = config.markdown_extensions
    if not any(isinstance(e, ReadyHtmlExtension) for e in extensions):
        extensions.append(ReadyHtmlExtension())
    return config


def on_pre_page(page: Any, config: Any, files: Any) -> Any:
    """Every page of the build renders as a ReadyPage: a ready one (written whole as HTML) without
    Python-Markdown, any other exactly as MkDocs' Page does (ReadyPage only adds that branch). The
    page object stays the same one (the nav and the file refer to it), only its class changes."""
    if type(page) is Page:
        page.__class__ = ReadyPage
    return page


# Per page of this build: the anchors its ready blocks hold and the links to anchors they make.
_READY: dict[str, tuple[set[str], dict[Any, dict[str, str]]]] = {}


# Ready pages without images whose glightbox assets the hook adds itself (netstack_docs.site.lightbox).
_LIGHTBOX: set[str] = set()


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if is_ready(markdown) and skip_parsing(markdown, page, _PLUGINS["lightbox"]):
        _LIGHTBOX.add(page.file.src_uri)
    if OPEN not in markdown:
        return markdown
    markdown, anchors = resolve_links(markdown, page, files)
    _READY[page.file.src_uri] = (block_anchor_ids(markdown), anchors)
    return markdown


# Per indexed page: its full HTML while Material's search plugin reads the lighter view of it.
_FULL: dict[str, str] = {}


def _material_search(config: Any) -> bool:
    """Material's search plugin is on (the plugin whose page parsing search_view lightens)."""
    from material.plugins.search.plugin import SearchPlugin

    return any(isinstance(p, SearchPlugin) and p.config.enabled for p in config.plugins.values())


@event_priority(-100)  # after every other plugin's on_page_content: the page's HTML is final
def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    _register_ready_anchors(page)
    if not _PLUGINS["search"]:
        return html
    if (page.meta.get("search") or {}).get("exclude"):
        # The plugin indexes nothing of it but still runs its clean-up regex over all of it (several
        # ms on a large layer page): it gets nothing, the page its HTML back, cleaned up faster.
        _FULL[page.file.src_uri] = html
        return ""
    view = search_view(html)
    if len(view) != len(html):
        _FULL[page.file.src_uri] = html
        return view  # what the search plugin parses in on_page_context (see on_page_context below)
    return html


@event_priority(-100)  # after Material's search plugin indexed the page
def on_page_context(context: Any, page: Any, config: Any, nav: Any) -> Any:
    full = _FULL.pop(page.file.src_uri, None)
    if full is not None:
        page.content = strip_search_attrs(full)  # the plugin's own clean-up, on the full HTML
    return context


def _register_ready_anchors(page: Any) -> None:
    found = _READY.pop(page.file.src_uri, None)
    if found is not None:
        ids, anchors = found
        page.present_anchor_ids = (page.present_anchor_ids or set()) | ids
        if page.links_to_anchors is not None or anchors:
            merged = dict(page.links_to_anchors or {})
            for target, links in anchors.items():
                merged[target] = {**links, **merged.get(target, {})}
            page.links_to_anchors = merged


def on_post_page(output: str, page: Any, config: Any) -> str:
    if page.file.src_uri in _LIGHTBOX:
        _LIGHTBOX.discard(page.file.src_uri)
        return add_assets(output, page, config, _PLUGINS["lightbox"])
    return output


@pass_context
def md_url(context: Any, path: str) -> str:
    """The URL, relative to the page being rendered, of a docs-dir `.md` path (a host's sidebar and
    breadcrumbs, from its front matter): a filter rather than a template macro, which cost a dozen
    macro calls a host page."""
    if context["config"].use_directory_urls:
        url = path[:-8] if path.endswith("index.md") else path[:-3] + "/"
    else:
        url = path[:-3] + ".html"
    return url_filter(context, url)


def on_env(env: Any, config: Any, files: Any) -> Any:
    env.filters["netstack_md_url"] = md_url
    return env
