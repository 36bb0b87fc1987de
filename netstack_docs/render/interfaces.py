"""The lists of the interfaces page as Markdown: stages in order, each a tree of items linked to components.

Written here rather than by template macros: a host has a few hundred items, and a Jinja2 macro call
per item made the page the most expensive of the host's (measured: about half of its render time).
Every untrusted string goes through md_text/md_code; links are relative `.md` links within the host's
directory (`<layer>.md#anchor`, `interfaces.md#anchor`), which the strict build checks.
"""

from __future__ import annotations

from collections.abc import Iterable

from netstack_docs.model.interfaces import Item, StageView, Target, flatten
from netstack_docs.render.env import anchor_id
from netstack_docs.render.escape import Trusted, md_code, md_text

INTERFACES_PAGE = "interfaces.md"
BRANCH = {"forward": "if forwarded", "local": "if for this host"}


def _href(target: Target) -> str:
    """A link from the interfaces page to a page of the same host (all in one directory)."""
    page = f"{target.layer}.md" if target.layer else INTERFACES_PAGE
    if target.layer is not None and not set(target.layer) <= set("abcdefghijklmnopqrstuvwxyz-"):
        raise ValueError(f"not a layer slug: {target.layer!r}")
    return f"{page}#{anchor_id(target.anchor)}"


def item_md(item: Item) -> Trusted:
    """One item on one line: its name (a link when it has a target), its code, its note."""
    text = md_text(item.text)
    out = f"[{text}]({_href(item.target)})" if item.target else text
    if item.code:
        out += f" {md_code(item.code)}"
    if item.note:
        out += f"{': ' if out else ''}{md_text(item.note)}"
    return Trusted(out)


def items_md(items: Iterable[Item], indent: int = 0) -> Trusted:
    """A nested Markdown list (four spaces per level), `indent` levels in."""
    lines = (f"{'    ' * (indent + depth)}- {item_md(item)}\n" for depth, item in flatten(items))
    return Trusted("".join(lines))


def stages_md(stages: Iterable[StageView]) -> Trusted:
    """The stages as a numbered list in the kernel's order, the items of each nested under it."""
    out = []
    for n, stage in enumerate(stages, 1):
        head = f"{n}. **{md_text(stage.title)}**"
        if stage.branch:
            head += f" *({BRANCH.get(stage.branch, md_text(stage.branch))})*"
        if stage.note:
            head += f": {md_text(stage.note)}"
        out.append(f"{head}\n{items_md(stage.items, 1)}\n")
    return Trusted("".join(out))
