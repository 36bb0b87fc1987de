"""What a host contributes to the site's search index: one compact section on its host page.

Material's search downloads one JSON index of every page section on the reader's first search; with
a fleet, the per-layer pages of every host made it 34 MB at 1,000 hosts. So the layer pages are left
out of the index (front matter `search: exclude`, see hostnav.py), every other section of the host
page is marked `data-search-exclude`, and this summary is what remains searchable: the host's name,
its interface names, its addresses and the kinds of component it has. Each entry links to the
component's anchor on its layer page, so a search still leads to the object in two clicks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# identity kinds (netstack_docs.model.sections) whose names a reader types into the search box
INTERFACE_KINDS = ("link",)
ADDRESS_KINDS = ("addr",)


@dataclass(frozen=True)
class SearchEntry:
    text: str  # untrusted: the template escapes it
    layer: str  # layer slug of the page holding the anchor
    anchor: str


@dataclass(frozen=True)
class SearchSummary:
    interfaces: list[SearchEntry]
    addresses: list[SearchEntry]
    kinds: list[tuple[str, int, str, str]]  # (kind title, count, layer slug, kind id)


# Names every host has: they would cost index space on every host page and find every host.
COMMON_NAMES = frozenset({"lo", "127.0.0.1", "::1"})


def _entries(view: Any, identity_kinds: tuple[str, ...], text: Any) -> list[SearchEntry]:
    """One entry per distinct text (its first component: the root namespace comes first)."""
    seen: dict[str, SearchEntry] = {}
    for layer_view in view.layers.values():
        for c in layer_view.components:
            if c.identity_kind not in identity_kinds:
                continue
            value = str(text(c))
            if value not in seen and value not in COMMON_NAMES and not value.lower().startswith("fe80:"):
                seen[value] = SearchEntry(value, c.layer, c.anchor)
    return list(seen.values())


def search_summary(view: Any) -> SearchSummary:
    """Interfaces (by name), addresses (without prefix length) and component kinds of one host."""
    interfaces = _entries(view, INTERFACE_KINDS, lambda c: c.obj.get("ifname") or c.name)
    addresses = _entries(view, ADDRESS_KINDS, lambda c: c.obj.get("address") or c.name)
    kinds: dict[str, tuple[str, int, str, str]] = {}
    for layer_view in view.layers.values():
        for c in layer_view.components:
            title, count, layer, kind_id = kinds.get(c.kind.id, (c.kind.title, 0, c.layer, c.kind.id))
            kinds[c.kind.id] = (title, count + 1, layer, kind_id)
    return SearchSummary(interfaces, addresses, list(kinds.values()))
