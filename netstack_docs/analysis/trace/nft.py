"""Netfilter hooks as the kernel runs them: every chain on the hook, in the order of the hook model.

The order (priorities, devices, equal priorities) is netstack_docs.model.hookorder's, the same the
packet path draws. Within a base chain rules run in order; `jump` pushes, `goto` replaces, `return`
pops, the end of a base chain applies its policy. `accept` ends one base chain only: the next chain
on the hook still sees the packet; `drop` and `reject` end the walk. Chains of type nat see only the
first packet of a connection (ct state new); later packets follow the connection's NAT, not the
rules. Where the order of chains of equal priority is unknown and one of them changes the packet
(NAT, a mark, an effect trace cannot compute), the walk forks over the orders.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netstack_docs.analysis.trace.iptables import LegacyTables, ipset_lookup
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.nftexpr import EvalContext
from netstack_docs.analysis.trace.nftrules import CompiledRule, Effect, Fork, compile_rule
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.trail import Trail
from netstack_docs.model.hookorder import HookEntry, Slot, ip_hook, netdev_hook

MAX_JUMPS = 64  # the kernel's own jump stack depth is 16; loops in a snapshot must not hang a trace
PLAIN = {
    "match",
    "accept",
    "drop",
    "reject",
    "return",
    "jump",
    "goto",
    "continue",
    "counter",
    "log",
    "comment",
}


@dataclass(frozen=True)
class ChainTable:
    """The chains one base chain may jump to: an nftables table, or an iptables-legacy table."""

    label: str  # "ip filter", "iptables-legacy nat"
    rules: Callable[[str], list[CompiledRule]]
    exists: Callable[[str], bool]
    kind: str = "nftrule"  # the steps' anchor kind for its rules


@dataclass
class HookOutcome:
    verdict: str  # accept | drop | reject | undetermined
    nat: list[tuple[str, dict[str, Any], dict[str, Any]]]  # (statement, arguments, rule) in order


class Ruleset:
    """One namespace's nftables ruleset, compiled on first use, and its hooks' order."""

    def __init__(self, ns: Namespace):
        self.ns = ns
        doc = ns.doc.get("nftables") or {}
        self.chains = {(c["family"], c["table"], c["name"]): c for c in doc.get("chains", [])}
        self.sets = {(s["family"], s["table"], s["name"]): s for s in doc.get("sets", [])}
        self._rules: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for rule in doc.get("rules", []):
            self._rules.setdefault((rule["family"], rule["table"], rule["chain"]), []).append(rule)
        self._compiled: dict[tuple[str, str, str], list[CompiledRule]] = {}
        self._slots: dict[tuple[str, int, str | None], list[Slot]] = {}
        self._changes: dict[tuple[str, str], bool] = {}
        self.ipsets = ipset_lookup(ns.doc)
        self._legacy: LegacyTables | None = None
        self._tables: dict[tuple[str, str], ChainTable] = {}

    def table(self, family: str, table: str) -> ChainTable:
        key = (family, table)
        if key not in self._tables:
            self._tables[key] = ChainTable(
                f"{family} {table}",
                lambda chain: self.rules((family, table, chain)),
                lambda chain: (family, table, chain) in self.chains,
            )
        return self._tables[key]

    def _legacy_tables(self) -> LegacyTables:
        if self._legacy is None:
            self._legacy = LegacyTables(self.ns.doc)
        return self._legacy

    def legacy(self, key: str) -> ChainTable:
        if ("legacy", key) not in self._tables:
            tables = self._legacy_tables()
            self._tables[("legacy", key)] = ChainTable(
                f"iptables-legacy {key}",
                lambda chain: tables.rules(key, chain),
                lambda chain: tables.exists(key, chain),
                "iptables",
            )
        return self._tables[("legacy", key)]

    def legacy_policy(self, key: str, chain: str) -> str:
        return self._legacy_tables().policy(key, chain)

    def slots(self, hook: str, version: int, device: str | None = None) -> list[Slot]:
        key = (hook, version, device)
        if key not in self._slots:
            if hook in ("ingress", "egress"):
                self._slots[key] = netdev_hook(self.ns.doc, hook, device)
            else:
                self._slots[key] = ip_hook(self.ns.doc, hook, version)
        return self._slots[key]

    def rules(self, key: tuple[str, str, str]) -> list[CompiledRule]:
        if key not in self._compiled:
            family, table, _ = key

            def find(name: str) -> dict[str, Any] | None:
                return self.sets.get((family, table, name))

            self._compiled[key] = [compile_rule(r, find, self.ipsets) for r in self._rules.get(key, [])]
        return self._compiled[key]

    def changes_packets(self, entry: HookEntry) -> bool:
        """Whether the entry's table holds anything besides plain matches and verdicts: only then can the
        order among chains of equal priority change a packet's fate."""
        if entry.source == "iptables-legacy":
            return self._legacy_tables().changes_packets(entry.obj["key"])
        if entry.source != "nftables":
            return True
        key = (entry.obj["family"], entry.obj["table"])
        if key not in self._changes:
            self._changes[key] = any(
                set(e) - PLAIN
                for (f, t, _), rules in self._rules.items()
                if (f, t) == key
                for r in rules
                for e in r.get("expr") or []
                if isinstance(e, dict)
            ) or any(c.get("type") == "nat" for (f, t, _), c in self.chains.items() if (f, t) == key)
        return self._changes[key]


MAX_ORDERED = 4  # 24 orders to walk; more chains of unknown order end the walk undetermined


def _ordered(trail: Trail, ruleset: Ruleset, hook: str, slot: Slot) -> tuple[HookEntry, ...] | None:
    """The entries of one priority in the order this walk runs them (forked when unknown and it matters);
    None when there are too many orders to walk."""
    entries = slot.entries
    if slot.known or len(entries) < 2 or not any(ruleset.changes_packets(e) for e in entries):
        return entries
    if len(entries) > MAX_ORDERED:
        what = (
            f"{hook}: {len(entries)} chains of equal priority {slot.priority} in an order the snapshot does "
            f"not tell ({', '.join(e.label for e in entries)}), too many orders to walk"
        )
        trail.step(ruleset.ns, "netfilter", what, undetermined=True, decides=True)
        return None
    orders = list(itertools.permutations(entries))
    names = tuple(" then ".join(e.label for e in order) for order in orders)
    picked = trail.choose(
        ruleset.ns,
        "netfilter",
        f"order:{hook}:{slot.priority}",
        f"{hook} chains of equal priority {slot.priority} ({', '.join(e.label for e in entries)}): "
        "the kernel runs the most recently registered first, which the snapshot does not tell",
        names,
    )
    return orders[names.index(picked)]


NatApply = Callable[[Packet, list[tuple[str, dict[str, Any], dict[str, Any]]]], "Packet | None"]


def run_hook(
    trail: Trail,
    ruleset: Ruleset,
    hook: str,
    ctx: EvalContext,
    device: str | None = None,
    nat_done: bool = False,
    apply_nat: NatApply | None = None,
) -> HookOutcome:
    """Run every chain of `hook`; marks and NAT are applied to ctx.packet as they happen, so the chains
    after the NAT core see the rewritten packet, as in the kernel.

    `nat_done`: the connection's NAT is already set up (a locally sent packet looping back through
    lo), so nat chains do not run again. Once a nat chain has set up the connection's NAT, the NAT
    core calls no further nat chain of the hook (nf_nat_inet_fn)."""
    nat: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    ns = ruleset.ns
    ctx.choose = lambda key, what, outcomes, random: trail.choose(
        ns, "netfilter", key, what, outcomes, random=random
    )
    for slot in ruleset.slots(hook, ctx.packet.version, device):
        ordered = _ordered(trail, ruleset, hook, slot)
        if ordered is None:
            return HookOutcome("undetermined", nat)
        for entry in ordered:
            chain = entry.obj
            ctx.priority, ctx.tracked = entry.priority, nat_done
            # later packets of a connection follow its NAT, not the rules; an untracked one has no NAT
            skip_nat = ctx.packet.state != "new" or nat_done or ctx.packet.untracked
            if entry.source == "iptables-legacy":
                if chain["table"] == "nat" and skip_nat:
                    continue
                table, name = ruleset.legacy(chain["key"]), chain["chain"]
                kind, obj, policy = "iptables", chain, ruleset.legacy_policy(chain["key"], name)
                label = f"iptables-legacy {entry.label}"
            else:
                if chain.get("type") == "nat" and skip_nat:
                    continue
                table, name = ruleset.table(chain["family"], chain["table"]), chain["name"]
                kind, obj, policy = "nftchain", chain, chain.get("policy") or "accept"
                label = entry.label
            verdict, rule = _run_chain(trail, ns, table, name, ctx, nat)
            if verdict == "undetermined":
                return HookOutcome("undetermined", nat)
            if nat and apply_nat is not None:
                rewritten = apply_nat(ctx.packet, nat)
                if rewritten is None:
                    return HookOutcome("undetermined", [])
                ctx.packet, nat_done, nat = rewritten, True, []
            if rule is None:
                trail.step(
                    ns,
                    "netfilter",
                    f"{hook}: {label}: no rule decided, chain policy {policy}",
                    kind,
                    obj,
                    decides=policy == "drop",
                )
                verdict = policy
            if verdict in ("drop", "reject"):
                return HookOutcome(verdict, nat)
    return HookOutcome("accept", nat)


def _run_chain(
    trail: Trail, ns: Namespace, table: ChainTable, base: str, ctx: EvalContext, nat: list[Any]
) -> tuple[str, dict[str, Any] | None]:
    """(verdict, deciding rule or None when the base chain ran off its end)."""
    base_name = f"{table.label} {base}"
    kind = table.kind
    stack: list[tuple[str, int]] = []
    chain, index, jumps = base, 0, 0
    fork = _fork(trail, ns, kind)
    while True:
        rules = table.rules(chain)
        eff = None
        while index < len(rules) and eff is None:  # the hot loop: most rules do not match
            compiled = rules[index]
            index += 1
            eff = compiled.run(ctx, fork)
        if eff is None:
            if not stack:
                return "continue", None
            chain, index = stack.pop()
            continue
        rule = compiled.rule
        text = rule_text(rule)
        if eff.undetermined:
            trail.step(
                ns,
                "netfilter",
                f"{chain}: `{text}` matches, and what it does cannot be evaluated: {eff.undetermined}",
                kind,
                rule,
                undetermined=True,
                decides=True,
            )
            return "undetermined", rule
        _apply(trail, ns, chain, rule, text, eff, ctx, nat, kind)
        if eff.verdict in ("jump", "goto"):
            jumps += 1
            if jumps > MAX_JUMPS or not table.exists(str(eff.target)):
                trail.step(
                    ns,
                    "netfilter",
                    f"{chain}: {eff.verdict} {eff.target}: chain missing or loop",
                    kind,
                    rule,
                    undetermined=True,
                    decides=True,
                )
                return "undetermined", rule
            if eff.verdict == "jump":
                stack.append((chain, index))
            chain, index = str(eff.target), 0
            continue
        if eff.verdict == "return":
            if not stack:
                return "continue", None
            chain, index = stack.pop()
            continue
        if eff.verdict in ("accept", "drop", "reject") or eff.nat is not None:
            verdict = eff.verdict or "accept"  # a NAT statement ends the nat chain with accept
            trail.step(
                ns,
                "netfilter",
                f"{base_name}: {verdict} by `{text}`" + (f" (in {chain})" if chain != base else ""),
                kind,
                rule,
                decides=verdict in ("drop", "reject"),
            )
            return verdict, rule


def rule_text(rule: dict[str, Any]) -> str:
    """How a step names a rule: nft's text, or the iptables-nft rule in iptables form when nft could not
    print its xt match or target (`text_incomplete`)."""
    if rule.get("text_incomplete") and rule.get("iptables"):
        return str(rule["iptables"])
    return str(rule.get("text") or rule.get("comment") or "rule")


def _fork(trail: Trail, ns: Namespace, kind: str = "nftrule") -> Fork:
    def fork(compiled: CompiledRule, reasons: list[str]) -> bool:
        rule = compiled.rule
        text = rule_text(rule)
        what = f"whether `{text}` in {rule.get('chain')} matches ({'; '.join(reasons)})"
        outcome = trail.choose(
            ns, "netfilter", f"rule:{compiled.key}", what, ("match", "nomatch"), kind, rule
        )
        return outcome == "match"

    return fork


def _apply(
    trail: Trail,
    ns: Namespace,
    chain: str,
    rule: dict[str, Any],
    text: str,
    eff: Effect,
    ctx: EvalContext,
    nat: list[Any],
    kind: str = "nftrule",
) -> None:
    if eff.sets:
        ctx.packet = ctx.packet.with_(**eff.sets)
        for name, value in sorted(eff.sets.items()):
            if name == "untracked":
                what = f"{chain}: untracked by `{text}` (no connection: conntrack and NAT leave it alone)"
            else:
                field = "mark" if name == "mark" else "conntrack mark"
                what = f"{chain}: {field} set to {value:#x} by `{text}`"
            trail.step(ns, "netfilter", what, kind, rule)
    if eff.nat is not None:
        nat.append((eff.nat[0], eff.nat[1], rule))
