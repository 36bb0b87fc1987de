"""Graphviz-safe building blocks: HTML-like labels for untrusted text; a `diagrams` graph that stops at DOT.

Why HTML-like labels everywhere: the graphviz Python package passes a string that starts with `<` and
ends with `>` through as an HTML label, and Graphviz interprets `\\N`, `\\l` and a trailing backslash
in quoted labels. An ifname such as `<b>x` or `a\\` would change or break the picture. Building every
label ourselves as `<...>` with entities makes any snapshot string show literally.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import diagrams

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
ICON_DIR = Path(diagrams.__file__).resolve().parent.parent / "resources"
ICON_MASK = "<icons>"


def esc(value: object, limit: int = 48) -> str:
    """Text for an HTML-like label: markup as entities, control characters made visible, long text clipped."""
    s = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))
    # Lone surrogates (bytes an ifname decoded with surrogateescape) are not UTF-8: show the byte.
    s = _SURROGATE.sub(
        lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}" if ord(m.group()) >= 0xDC80 else "\ufffd", s
    )
    if len(s) > limit:
        s = s[: limit - 1] + "\u2026"
    return (
        s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("]", "&#93;")
        .replace("[", "&#91;")
    )


def icon(relpath: str) -> str:
    """Absolute path of an icon shipped by the `diagrams` package (masked in golden DOT)."""
    path = ICON_DIR / relpath
    if not path.is_file():
        raise FileNotFoundError(f"diagrams icon missing: {path}")
    return str(path)


def table(rows: list[str], icon_path: str | None = None, header_bg: str | None = None) -> str:
    """An HTML-like label: an optional small icon left of the rows. `rows` are already-escaped HTML lines."""
    cells = "".join(f'<TR><TD ALIGN="LEFT">{r}</TD></TR>' for r in rows)
    inner = f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{cells}</TABLE>'
    if icon_path is None:
        return f"<{inner}>"
    img = f'<TD FIXEDSIZE="TRUE" WIDTH="32" HEIGHT="32"><IMG SRC="{icon_path}" SCALE="TRUE"/></TD>'
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4"><TR>{img}<TD>{inner}</TD></TR></TABLE>>'


def bold(text: str) -> str:
    return f"<B>{text}</B>"


def colored(text: str, color: str) -> str:
    return f'<FONT COLOR="{color}">{text}</FONT>'


def small(text: str) -> str:
    return f'<FONT POINT-SIZE="10">{text}</FONT>'


GRAPH_ATTR = {
    "pad": "0.3",
    "splines": "spline",
    "nodesep": "0.35",
    "ranksep": "0.6",
    "compound": "true",
    "fontsize": "14",
    "labelloc": "t",
    "newrank": "true",
}
NODE_ATTR = {
    "fixedsize": "false",
    "width": "0",
    "height": "0",
    "margin": "0.08,0.05",
    "shape": "box",
    "style": "rounded,filled",
    "fillcolor": "white",
    "fontsize": "11",
    "labelloc": "c",
}


class SourceDiagram(diagrams.Diagram):
    """A `diagrams.Diagram` that stops at the DOT source: rendering is done later, cached and in parallel.

    `show=False` and an absolute, unique `filename` are still passed (the package has no output-dir
    option); nothing is written at that path because render() is never called here.
    """

    def __init__(self, title: str, filename: str, direction: str = "LR", **graph: str) -> None:
        super().__init__(
            name="",
            filename=filename,
            direction=direction,
            show=False,
            outformat="png",
            graph_attr={**GRAPH_ATTR, **graph},
            node_attr=NODE_ATTR,
        )
        self.dot.graph_attr["label"] = title  # already an HTML-like label (or empty)

    def __exit__(self, *exc: Any) -> None:
        diagrams.setdiagram(None)

    def source(self) -> str:
        return self.dot.source


def masked(source: str) -> str:
    """DOT with the machine-specific icon directory replaced: what golden files and cache keys see."""
    return source.replace(str(ICON_DIR), ICON_MASK)


def unmasked(source: str) -> str:
    return source.replace(ICON_MASK, str(ICON_DIR))
