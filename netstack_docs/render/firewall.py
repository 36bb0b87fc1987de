"""The netfilter page read top to bottom: each table's chains in hook and priority order, each chain
one listing of its rules in evaluation order, the way `nft -a list chain` prints it.

Classification gives one component per table, chain, rule and set (each with its anchor, which
runbooks link to); this module regroups them into listings and puts each rule's counters from the
snapshot's `state` beside it. It decides nothing: order comes from the snapshot (rules keep ruleset
order, which is evaluation order) and from the kernel's hook order. All strings stay untrusted: the
template escapes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.model.classify import Component
from netstack_docs.model.nftvalue import nft_value
from netstack_docs.render.iptables_listing import IptablesListing, iptables_listing

# The order a packet meets the hooks (netdev: ingress before egress); unknown hooks last.
HOOK_ORDER = ("ingress", "prerouting", "input", "forward", "output", "postrouting", "egress")
# A set or map with more elements than this is shown collapsed (its header stays visible).
COLLAPSE_OVER = 16
NFT_KINDS = {"nfttable", "nftchain", "nftrule", "nftset"}


@dataclass(frozen=True)
class RuleLine:
    text: str
    anchor: str
    handle: int | None
    counters: str | None  # "packets 12 bytes 3400" from state, None when the rule has no counter


@dataclass
class ChainListing:
    component: Component
    head: list[str]  # the lines nft prints before the rules (type/hook/priority/policy, comment)
    rules: list[RuleLine] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.component.obj["name"])


@dataclass(frozen=True)
class SetListing:
    component: Component
    keyword: str  # set | map
    head: list[str]
    elements: list[str]

    @property
    def collapsed(self) -> bool:
        return len(self.elements) > COLLAPSE_OVER


@dataclass
class TableListing:
    component: Component | None  # None: rules of a table the capture did not list (should not happen)
    family: str
    name: str
    namespace_label: str
    chains: list[ChainListing] = field(default_factory=list)
    sets: list[SetListing] = field(default_factory=list)
    iptables_nft: bool = False  # written by iptables-nft: its rules read as iptables-nft-save prints them


def _chain_sort_key(chain: dict[str, Any]) -> tuple[int, int, int, str]:
    hook = chain.get("hook")
    if hook is None:  # regular chains: after the base chains, by name
        return (1, 0, 0, str(chain["name"]))
    rank = HOOK_ORDER.index(hook) if hook in HOOK_ORDER else len(HOOK_ORDER)
    return (0, rank, int(chain.get("priority") or 0), str(chain["name"]))


def _chain_head(chain: dict[str, Any]) -> list[str]:
    head = []
    if chain.get("hook"):
        device = f' device "{chain["device"]}"' if chain.get("device") else ""
        if chain.get("devices"):  # one netdev chain on several devices
            device = f" devices = {{ {', '.join(str(d) for d in chain['devices'])} }}"
        line = f"type {chain.get('type')} hook {chain['hook']}{device} priority {chain.get('priority')};"
        head.append(line + (f" policy {chain['policy']};" if chain.get("policy") else ""))
    if chain.get("comment"):
        head.append(f'comment "{chain["comment"]}"')
    return head


def _set_listing(c: Component) -> SetListing:
    obj = c.obj
    keyword = "map" if obj.get("map") else "set"
    head = [f"type {obj.get('type')}" + (f" : {obj['map']}" if obj.get("map") else "")]
    if obj.get("flags"):
        head.append("flags " + ",".join(str(f) for f in obj["flags"]))
    if obj.get("comment"):
        head.append(f'comment "{obj["comment"]}"')
    return SetListing(c, keyword, head, [nft_value(e) for e in obj.get("elements") or []])


def _counters(state: dict[str, Any], ns_id: str, rule: dict[str, Any]) -> str | None:
    namespace = (state.get("namespaces") or {}).get(ns_id) or {}
    counters = (namespace.get("nftables") or {}).get("counters") or {}
    found = counters.get(f"{rule['family']} {rule['table']} {rule['chain']} {rule['handle']}")
    if not found:
        return None
    return "; ".join(f"packets {c.get('packets', 0)} bytes {c.get('bytes', 0)}" for c in found)


def nft_tables(components: list[Component], state: dict[str, Any]) -> list[TableListing]:
    """Every nftables table of the layer, in namespace then family/name order, as listings."""
    tables: dict[tuple[str, str, str], TableListing] = {}
    chains: dict[tuple[str, str, str, str], ChainListing] = {}

    def table_of(c: Component) -> TableListing:
        name = c.obj["name"] if c.identity_kind == "nfttable" else c.obj["table"]
        key = (c.namespace.id, str(c.obj["family"]), str(name))
        if key not in tables:
            tables[key] = TableListing(None, key[1], key[2], c.namespace.label)
        return tables[key]

    for c in components:
        if c.identity_kind == "nfttable":
            table_of(c).component = c
        elif c.identity_kind == "nftchain":
            listing = ChainListing(c, _chain_head(c.obj))
            chains[(c.namespace.id, c.obj["family"], c.obj["table"], c.obj["name"])] = listing
            table_of(c).chains.append(listing)
        elif c.identity_kind == "nftset":
            table_of(c).sets.append(_set_listing(c))
    for c in components:  # classification keeps snapshot order: the order nft evaluates rules
        if c.identity_kind != "nftrule":
            continue
        owner = chains.get((c.namespace.id, c.obj["family"], c.obj["table"], c.obj["chain"]))
        if owner is None:
            continue  # a rule of a chain the capture did not list: see rules_outside_listings
        text = rule_text(c)
        if "iptables" in c.obj:
            table_of(c).iptables_nft = True
        counters = _counters(state, c.namespace.id, c.obj)
        owner.rules.append(RuleLine(text, c.anchor, c.obj.get("handle"), counters))
    for table in tables.values():
        table.chains.sort(key=lambda ch: _chain_sort_key(ch.component.obj))
        table.sets.sort(key=lambda s: str(s.component.obj["name"]))
    order: dict[str, int] = {}
    for c in components:
        order.setdefault(c.namespace.id, len(order))
    return [tables[key] for key in sorted(tables, key=lambda k: (order[k[0]], k[1], k[2]))]


def rule_text(c: Component) -> str:
    """The line a rule is shown as. A rule of an iptables-nft table reads as `iptables-nft-save`
    prints it: that is how the people who wrote it (Docker, kube-proxy, firewalld...) and the
    on-call engineer's `iptables -S` know it, and libnftables' own text of xt matches and targets
    may be cut ("XT target MASQUERADE not found"). A cut nft text is never shown as if whole."""
    obj = c.obj
    if obj.get("iptables"):
        return str(obj["iptables"])
    text = obj.get("text")
    if not text:
        return f"(rule text not captured) {c.name}"
    if obj.get("text_incomplete"):
        return f"{text} (incomplete: libnftables could not print an iptables match or target of this rule)"
    return str(text)


def rules_outside_listings(components: Iterable[Component], tables: list[TableListing]) -> list[Component]:
    """Rules whose chain is not in the snapshot: still shown (nothing classified is ever dropped)."""
    listed = {r.anchor for t in tables for ch in t.chains for r in ch.rules}
    return [c for c in components if c.identity_kind == "nftrule" and c.anchor not in listed]


@dataclass(frozen=True)
class FirewallView:
    tables: list[TableListing]
    iptables: list[IptablesListing]
    listed_kinds: list[tuple[Any, int]]  # (ComponentKind, count) shown in the listings, model order
    strays: list[Component]  # rules whose chain the snapshot lacks


def page_context(layer_view: Any, sections: list[Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    """Template context of the netfilter page: listings, plus the other kinds' sections unchanged."""
    components = list(layer_view.components)
    tables = nft_tables(components, snapshot.get("state") or {})
    listed = [s for s in sections if s.components[0].identity_kind in NFT_KINDS | {"iptables"}]
    view = FirewallView(
        tables,
        [iptables_listing(c) for c in components if c.identity_kind == "iptables"],
        [(s.kind, len(s.components)) for s in listed],
        rules_outside_listings(components, tables),
    )
    return {"firewall": view, "kinds": [s for s in sections if s not in listed]}
