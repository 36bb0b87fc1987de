"""iptables-legacy tables, evaluated: their rules (captured as iptables-legacy-save text) compiled into
the ops trace runs for nftables rules (iptrules.py), walked by the same chain walker (nft.py).

They run on the same hooks as nftables, at their fixed priorities (netstack_docs.model.hookorder):
raw -300, mangle -150, nat at the NAT core (first packet of a connection only), filter 0,
security 50. A built-in chain's policy applies when no rule decides; user chains are jumped to
(`-j CHAIN`) or gone to (`-g CHAIN`), RETURN pops. A match trace cannot evaluate forks the walk,
a target it cannot follow ends that fork undetermined, as for nftables rules.
"""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.trace.iptparse import RuleSyntaxError, parse
from netstack_docs.analysis.trace.iptrules import NO_EFFECT_TARGETS, VERDICT_TARGETS, compile_text
from netstack_docs.analysis.trace.nftexpr import Undetermined
from netstack_docs.analysis.trace.nftrules import CompiledRule, Op, build_rule


def ipset_lookup(ns_doc: dict[str, Any]) -> Any:
    """name -> the captured ipset (doc["ipsets"]), None when it was not captured."""
    sets = {s.get("name"): s for s in ns_doc.get("ipsets") or [] if isinstance(s, dict)}
    return sets.get


def _stuck(reason: str) -> Op:
    def run(ctx: Any, eff: Any) -> bool:
        raise Undetermined(reason)

    return Op("statement", run=run)


class LegacyTables:
    """One namespace's iptables-legacy tables, compiled chain by chain on first use."""

    def __init__(self, ns_doc: dict[str, Any]):
        self.tables: dict[str, dict[str, Any]] = ns_doc.get("iptables") or {}
        self.ipsets = ipset_lookup(ns_doc)
        self._compiled: dict[tuple[str, str], list[CompiledRule]] = {}

    def changes_packets(self, key: str) -> bool:
        """Whether the table holds anything besides matches and verdicts (a mark, NAT, a target trace
        cannot follow): only then can its order among chains of equal priority change a packet's fate."""
        if key.rpartition(":")[2] in ("nat", "mangle"):
            return True
        chains = self.tables.get(key) or {}
        for chain in chains.values():
            for text in (chain or {}).get("rules") or []:
                try:
                    target = parse(f"-A X {text}").target
                except RuleSyntaxError:
                    return True
                if target is not None and not (
                    target.name in chains
                    or target.name in VERDICT_TARGETS
                    or target.name in NO_EFFECT_TARGETS
                ):
                    return True
        return False

    def exists(self, key: str, chain: str) -> bool:
        return chain in (self.tables.get(key) or {})

    def policy(self, key: str, chain: str) -> str:
        return str(((self.tables.get(key) or {}).get(chain) or {}).get("policy") or "ACCEPT").lower()

    def rules(self, key: str, chain: str) -> list[CompiledRule]:
        if (key, chain) not in self._compiled:
            self._compiled[(key, chain)] = self._compile(key, chain)
        return self._compiled[(key, chain)]

    def _compile(self, key: str, chain: str) -> list[CompiledRule]:
        family, _, table = key.rpartition(":")
        family = family or "ip"
        chains = self.tables.get(key) or {}
        names = frozenset(chains)
        out = []
        for index, text in enumerate((chains.get(chain) or {}).get("rules") or [], start=1):
            rule = {
                "family": family,
                "table": table,
                "chain": chain,
                "handle": index,
                "text": f"-A {chain} {text}",
            }
            try:
                ops = compile_text(str(text), family, self.ipsets, names)
            except (RuleSyntaxError, ValueError) as exc:
                ops = [_stuck(f"iptables rule not understood ({exc})")]
            out.append(build_rule(rule, f"legacy {key}/{chain}/{index}", ops))
        return out
