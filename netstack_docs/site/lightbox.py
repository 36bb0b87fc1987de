"""glightbox on a generated page without images: its assets added, its two parses of the page skipped.

The glightbox plugin parses every page twice with an HTML parser (selectolax): once to wrap each image
in a lightbox link, once to add its stylesheet, script and set-up to the page (about 1.5 ms a page,
issue 24). A page written whole as HTML (readypage) with no `<img` has nothing to wrap, so the hook
sets the plugin's own per-page switch (`glightbox: false` in the page's meta) and adds the assets
itself: the plugin's own output for an empty document of that page (the same tags, addresses relative
to the page), spliced in where the plugin puts them (the end of `<head>`, the end of `<body>`). Every
page keeps the assets, so a reader's instant navigation to a page with a diagram still gets a lightbox.
"""

from __future__ import annotations

import re
from typing import Any

_IMAGE = re.compile(r"<img\b", re.I)
_EMPTY = "<html><head></head><body></body></html>"
_PARTS = re.compile(r"<head>(.*)</head><body>(.*)</body>", re.S)


def lightbox_plugin(config: Any) -> Any:
    """The glightbox plugin of this build, when it is on."""
    for plugin in config.plugins.values():
        if type(plugin).__module__.startswith("mkdocs_glightbox"):
            return plugin
    return None


def skip_parsing(markdown: str, page: Any, plugin: Any) -> bool:
    """Turn the plugin (`lightbox_plugin`'s, None when off) off for a ready page without images
    (before it sees the page); True if done."""
    if plugin is None or "glightbox" in page.meta or _IMAGE.search(markdown):
        return False
    page.meta["glightbox"] = False
    return True


# The plugin's parts for an empty document, per address of its assets relative to a page (all the
# plugin's output takes from a page): one parse per directory depth, not one per page. `reset` empties
# it for each build (its plugin and config).
_ASSETS: dict[str, tuple[str, str] | None] = {}


def reset() -> None:
    _ASSETS.clear()


def _parts(page: Any, config: Any, plugin: Any) -> tuple[str, str] | None:
    from mkdocs import utils

    key = utils.get_relative_url(utils.normalize_url("assets/"), page.url)
    if key not in _ASSETS:
        meta = page.meta
        page.meta = {k: v for k, v in meta.items() if k != "glightbox"}
        try:
            empty = plugin.on_post_page(_EMPTY, page=page, config=config)
        finally:
            page.meta = meta
        parts = _PARTS.search(empty)
        _ASSETS[key] = None if parts is None else (parts.group(1), parts.group(2))
    return _ASSETS[key]


def add_assets(output: str, page: Any, config: Any, plugin: Any) -> str:
    """`output` with what the plugin's on_post_page adds to a page (the plugin's own, for this page)."""
    parts = _parts(page, config, plugin)
    head_at, body_at = output.rfind("</head>"), output.rfind("</body>")
    if parts is None or head_at < 0 or body_at < head_at:
        raise ValueError(f"{page.file.src_uri}: cannot place glightbox's assets (no </head> or </body>)")
    head, body = parts
    # The plugin's parser puts the whitespace after `</body>` inside the body, before its script.
    after = output[body_at + len("</body>") :]
    rest = after.lstrip()
    space = after[: len(after) - len(rest)]
    return output[:head_at] + head + output[head_at:body_at] + space + body + "</body>" + rest
