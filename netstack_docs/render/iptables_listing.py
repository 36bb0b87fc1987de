"""An iptables-legacy table as one listing, the way `iptables-legacy -S` prints it, chains in hook order.

The capture keeps `iptables-save` rules as text per chain (counters stripped, none in state), so the
listing is the policies, the user chains, then every rule in order. Strings stay untrusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netstack_docs.model.classify import Component

IPTABLES_CHAIN_ORDER = ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")


@dataclass(frozen=True)
class IptablesListing:
    component: Component
    lines: list[str]  # `iptables-save` style: -P policies, then -A rules, chains in hook order


def iptables_listing(c: Component) -> IptablesListing:
    """One iptables-legacy table as `iptables-legacy -S` prints it, chains in hook order."""
    chains: dict[str, Any] = c.obj.get("chains") or {}

    def rank(name: str) -> tuple[int, str]:
        return (IPTABLES_CHAIN_ORDER.index(name), "") if name in IPTABLES_CHAIN_ORDER else (9, name)

    ordered = sorted(chains, key=rank)
    lines = [f"-P {name} {chains[name].get('policy')}" for name in ordered if chains[name].get("policy")]
    lines += [f"-N {name}" for name in ordered if not chains[name].get("policy")]
    for name in ordered:
        lines += [f"-A {name} {rule}" for rule in chains[name].get("rules") or []]
    return IptablesListing(c, lines)
