"""Make Graphviz SVG publishable: icons embedded as data URIs, each icon stored once, no local path left.

Graphviz links an `<IMG SRC=...>` of an HTML-like label by its absolute path (here: the `diagrams`
package's icon directory), which breaks once the site is published and leaks the build machine's
layout. Each distinct icon (file, size) becomes one `<image>` in `<defs>` with a base64 `data:` URI,
and every occurrence a `<use>` of it: a host with twenty bridges carries the switch icon once.
Output depends only on the SVG and the icon bytes, so the same DOT still gives the same bytes.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path

from netstack_docs.diagrams.dot import ICON_DIR

_IMAGE = re.compile(
    r'<image xlink:href="(?P<href>[^"]*)" width="(?P<w>[^"]*)" height="(?P<h>[^"]*)"'
    r' preserveAspectRatio="(?P<aspect>[^"]*)" x="(?P<x>[^"]*)" y="(?P<y>[^"]*)"/>'
)
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


class IconError(ValueError):
    """The SVG refers to a file that is not one of the shipped icons (or still holds a path)."""


@cache
def _data_uri(path: str) -> str:
    file = Path(path)
    mime = _MIME.get(file.suffix.lower())
    if mime is None:
        raise IconError(f"{path}: not an icon type this renderer embeds")
    return f"data:{mime};base64,{base64.b64encode(file.read_bytes()).decode('ascii')}"


def _icon_path(href: str) -> str:
    path = Path(href).resolve()
    if ICON_DIR not in path.parents or not path.is_file():
        raise IconError(f"{href}: the diagram refers to a file outside the diagrams icon set")
    return str(path)


def embed_icons(svg: str) -> str:
    """`svg` with every icon inlined once (a `<defs>` block) and used by reference; no path remains."""
    ids: dict[tuple[str, str, str, str], str] = {}

    def use(m: re.Match[str]) -> str:
        key = (_icon_path(m["href"]), m["w"], m["h"], m["aspect"])
        ref = ids.setdefault(key, f"netstack-icon-{len(ids)}")
        return f'<use xlink:href="#{ref}" x="{m["x"]}" y="{m["y"]}"/>'

    body = _IMAGE.sub(use, svg)
    if "<image" in body:
        raise IconError("an <image> element in Graphviz's SVG was not recognised; refusing to ship a path")
    if not ids:
        return body
    defs = "".join(
        f'<image id="{ref}" xlink:href="{_data_uri(path)}" width="{w}" height="{h}"'
        f' preserveAspectRatio="{aspect}"/>'
        for (path, w, h, aspect), ref in ids.items()
    )
    opening = _SVG_OPEN.search(body)
    if opening is None:
        raise IconError("Graphviz output has no <svg> element")
    return f"{body[: opening.end()]}\n<defs>{defs}</defs>{body[opening.end() :]}"
