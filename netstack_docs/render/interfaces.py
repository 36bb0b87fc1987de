"""The lists of the interfaces page as HTML: stages in order, each a tree of items linked to components.

Written here rather than by template macros: a host has a few hundred items, and a Jinja2 macro call
per item made the page the most expensive of the host's (measured: about half of its render time);
and as HTML (the page is written whole as HTML, netstack_docs.render.ready.PAGE) rather than
Markdown, whose nested lists and links cost Python-Markdown several times more again (issue 24).
The HTML is what Python-Markdown wrote for the same lists. Every untrusted string goes through
html_text; links are relative `.md` links within the host's directory (`<layer>.md#anchor`,
`interfaces.md#anchor`), which the site checks and turns into URLs as MkDocs does for Markdown
links. One `<li>` a line, indented four spaces a level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from netstack_docs.model.interfaces import DeviceView, Item, StageView, Target
from netstack_docs.render.env import anchor_id
from netstack_docs.render.escape import Trusted, html_text

INTERFACES_PAGE = "interfaces.md"
BRANCH = {"forward": "if forwarded", "local": "if for this host"}


def _href(target: Target) -> str:
    """A link from the interfaces page to a page of the same host (all in one directory)."""
    page = f"{target.layer}.md" if target.layer else INTERFACES_PAGE
    if target.layer is not None and not set(target.layer) <= set("abcdefghijklmnopqrstuvwxyz-"):
        raise ValueError(f"not a layer slug: {target.layer!r}")
    return f"{page}#{anchor_id(target.anchor)}"


def item_html(item: Item) -> str:
    """One item: its name (a link when it has a target), its code, its note."""
    text = html_text(item.text)
    out = f'<a href="{_href(item.target)}">{text}</a>' if item.target else text
    if item.code:
        out += f"{' ' if out else ''}<code>{html_text(item.code)}</code>"
    if item.note:
        out += f"{': ' if out else ''}{html_text(item.note)}"
    return out


def _items(items: Iterable[Item], depth: int, out: list[str]) -> None:
    pad = "    " * depth
    for item in items:
        if item.children:
            out.append(f"{pad}<li>{item_html(item)}<ul>")
            _items(item.children, depth + 1, out)
            out.append(f"{pad}</ul></li>")
        else:
            out.append(f"{pad}<li>{item_html(item)}</li>")


def items_html(items: Iterable[Item], depth: int = 0) -> str:
    """A nested list, `depth` levels in ("" when there are no items)."""
    out: list[str] = []
    _items(items, depth, out)
    return "<ul>\n" + "\n".join(out) + "\n</ul>" if out else ""


def stages_html(stages: Sequence[StageView]) -> str:
    """The stages as a numbered list in the kernel's order, the items of each nested under it (a
    loose list, each stage's title a paragraph, when there is more than one stage)."""
    if not stages:
        return ""
    loose = len(stages) > 1
    out = ["<ol>"]
    for stage in stages:
        head = f"<strong>{html_text(stage.title)}</strong>"
        if stage.branch:
            head += f" <em>({html_text(BRANCH.get(stage.branch, stage.branch))})</em>"
        if stage.note:
            head += f": {html_text(stage.note)}"
        items = items_html(stage.items, 1)
        if loose:
            out.append(f"<li>\n<p>{head}</p>" + (f"\n{items}" if items else "") + "\n</li>")
        else:
            out.append(f"<li>{head}{items}\n</li>" if items else f"<li>{head}</li>")
    out.append("</ol>")
    return "\n".join(out)


def device_block(d: DeviceView) -> Trusted:
    """One device's section below its heading: facts, addresses, then arriving and leaving, in order."""
    ifname = html_text(d.ifname)
    parts = [items_html(d.facts)] if d.facts else []
    if d.addresses:
        parts.append(f"<p>Addresses: {', '.join(item_html(a) for a in d.addresses)}.</p>")
    arriving = ": nothing acts on it before the IP stack, and no hook or socket names it."
    leaving = ": no route, hook, neighbour or qdisc concerns it."
    for word, stages, none in (("Arriving on", d.ingress, arriving), ("Leaving through", d.egress, leaving)):
        parts.append(f"<p><strong>{word} {ifname}</strong>{'' if stages else none}</p>")
        if stages:
            parts.append(stages_html(stages))
    return Trusted("\n".join(parts))
