"""nftables hooks as the kernel runs them: every base chain on the hook, all tables, by priority.

Within a base chain rules run in order; `jump` pushes, `goto` replaces, `return` pops, the end of a
base chain applies its policy. `accept` ends one base chain only: the next chain on the hook still
sees the packet; `drop` and `reject` end the walk. Chains of type nat see only the first packet of
a connection (ct state new); later packets follow the connection's NAT, not the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from netstack_docs.analysis.trace.iptables import legacy_hook
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.nftexpr import EvalContext
from netstack_docs.analysis.trace.nftrules import CompiledRule, Effect, compile_rule
from netstack_docs.analysis.trace.trail import Trail

FAMILIES = {4: ("ip", "inet"), 6: ("ip6", "inet")}
MAX_JUMPS = 64  # the kernel's own jump stack depth is 16; loops in a snapshot must not hang a trace


@dataclass
class HookOutcome:
    verdict: str  # accept | drop | reject | undetermined
    nat: list[tuple[str, dict[str, Any], dict[str, Any]]]  # (statement, arguments, rule) in order


class Ruleset:
    """One namespace's nftables ruleset, compiled on first use."""

    def __init__(self, ns: Namespace):
        self.ns = ns
        doc = ns.doc.get("nftables") or {}
        self.chains = {(c["family"], c["table"], c["name"]): c for c in doc.get("chains", [])}
        self.sets = {(s["family"], s["table"], s["name"]): s for s in doc.get("sets", [])}
        self._rules: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for rule in doc.get("rules", []):
            self._rules.setdefault((rule["family"], rule["table"], rule["chain"]), []).append(rule)
        self._compiled: dict[tuple[str, str, str], list[CompiledRule]] = {}

    @cached_property
    def base_chains(self) -> list[dict[str, Any]]:
        base = [c for c in self.chains.values() if c.get("hook")]
        return sorted(base, key=lambda c: (c.get("priority") or 0, c["family"], c["table"], c["name"]))

    def hook_chains(self, hook: str, version: int, device: str | None = None) -> list[dict[str, Any]]:
        if hook == "ingress":
            return [
                c
                for c in self.base_chains
                if c["family"] == "netdev" and c["hook"] == "ingress" and device in _devices(c)
            ]
        fams = FAMILIES[version]
        return [c for c in self.base_chains if c["hook"] == hook and c["family"] in fams]

    def rules(self, key: tuple[str, str, str]) -> list[CompiledRule]:
        if key not in self._compiled:
            family, table, _ = key

            def find(name: str) -> dict[str, Any] | None:
                return self.sets.get((family, table, name))

            self._compiled[key] = [compile_rule(r, find) for r in self._rules.get(key, [])]
        return self._compiled[key]


def _devices(chain: dict[str, Any]) -> list[str]:
    devices = chain.get("devices") or []
    return [*devices, chain["device"]] if chain.get("device") else list(devices)


def _chain_name(c: dict[str, Any]) -> str:
    return f"{c['family']} {c['table']} {c['name']}"


def run_hook(
    trail: Trail,
    ruleset: Ruleset,
    hook: str,
    ctx: EvalContext,
    device: str | None = None,
    nat_done: bool = False,
) -> HookOutcome:
    """Run every base chain of `hook`; mark changes are applied to ctx.packet as they happen.

    `nat_done`: the connection's NAT is already set up (a locally sent packet looping back through
    lo), so nat chains do not run again."""
    nat: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    ns = ruleset.ns
    legacy_hook(trail, ns, hook, ctx.packet.version, ctx.packet.state == "new")
    for chain in ruleset.hook_chains(hook, ctx.packet.version, device):
        if chain.get("type") == "nat" and (ctx.packet.state != "new" or nat_done):
            continue
        verdict, rule = _run_chain(trail, ruleset, chain, ctx, nat)
        name = _chain_name(chain)
        if verdict == "undetermined":
            return HookOutcome("undetermined", nat)
        if rule is None:
            policy = chain.get("policy") or "accept"
            trail.step(
                ns,
                "netfilter",
                f"{hook}: {name}: no rule decided, chain policy {policy}",
                "nftchain",
                chain,
                decides=policy == "drop",
            )
            verdict = policy
        if verdict in ("drop", "reject"):
            return HookOutcome(verdict, nat)
    return HookOutcome("accept", nat)


def _run_chain(
    trail: Trail, ruleset: Ruleset, base: dict[str, Any], ctx: EvalContext, nat: list[Any]
) -> tuple[str, dict[str, Any] | None]:
    """(verdict, deciding rule or None when the base chain ran off its end)."""
    ns = ruleset.ns
    family, table = base["family"], base["table"]
    stack: list[tuple[str, int]] = []
    chain, index, jumps = base["name"], 0, 0
    while True:
        rules = ruleset.rules((family, table, chain))
        eff = None
        while index < len(rules) and eff is None:  # the hot loop: most rules do not match
            compiled = rules[index]
            index += 1
            eff = compiled.run(ctx)
        if eff is None:
            if not stack:
                return "continue", None
            chain, index = stack.pop()
            continue
        rule = compiled.rule
        text = rule.get("text") or rule.get("comment") or "rule"
        for assumption in eff.assumptions:
            trail.assume(f"{assumption} ({_chain_name(base)}: {text})")
        if eff.undetermined:
            trail.step(
                ns,
                "netfilter",
                f"{chain}: cannot evaluate `{text}`: {eff.undetermined}; assuming it does not match",
                "nftrule",
                rule,
                undetermined=True,
            )
            trail.assume(f"assuming `{text}` in {family} {table} {chain} does not match ({eff.undetermined})")
            continue
        _apply(trail, ns, chain, rule, text, eff, ctx, nat)
        if eff.verdict in ("jump", "goto"):
            jumps += 1
            if jumps > MAX_JUMPS or (family, table, eff.target) not in ruleset.chains:
                trail.step(
                    ns,
                    "netfilter",
                    f"{chain}: {eff.verdict} {eff.target}: chain missing or loop",
                    "nftrule",
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
                f"{_chain_name(base)}: {verdict} by `{text}`"
                + (f" (in {chain})" if chain != base["name"] else ""),
                "nftrule",
                rule,
                decides=verdict in ("drop", "reject"),
            )
            return verdict, rule


def _apply(
    trail: Trail,
    ns: Namespace,
    chain: str,
    rule: dict[str, Any],
    text: str,
    eff: Effect,
    ctx: EvalContext,
    nat: list[Any],
) -> None:
    if eff.mark is not None:
        ctx.packet = ctx.packet.with_(mark=eff.mark)
        trail.step(ns, "netfilter", f"{chain}: mark set to {eff.mark:#x} by `{text}`", "nftrule", rule)
    if eff.nat is not None:
        nat.append((eff.nat[0], eff.nat[1], rule))
