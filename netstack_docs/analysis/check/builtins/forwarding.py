"""ip_forward off while forward rules or NAT exist: the rules say the namespace routes, the kernel won't."""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.check.builtins.base import Builtin, Problem
from netstack_docs.analysis.check.findings import FAIL, component
from netstack_docs.analysis.check.hosts import Host

FORWARD_SYSCTL = "net.ipv4.ip_forward"


def routing_rules(ns: dict[str, Any]) -> list[str]:
    """What in the namespace's firewall only makes sense on a router: forward and NAT rules."""
    nft = ns.get("nftables") or {}
    rules_per_chain: dict[tuple[str, str, str], int] = {}
    for rule in nft.get("rules", []):
        key = (rule["family"], rule["table"], rule["chain"])
        rules_per_chain[key] = rules_per_chain.get(key, 0) + 1
    found = []
    for c in nft.get("chains", []):
        routed = c.get("hook") == "forward" or (
            c.get("type") == "nat" and c.get("hook") in ("prerouting", "postrouting")
        )
        count = rules_per_chain.get((c["family"], c["table"], c["name"]), 0)
        if routed and count and c.get("family") in ("ip", "inet"):
            found.append(f"nft {c['family']} {c['table']} {c['name']} ({count} rule(s))")
    for table, chains in sorted((ns.get("iptables") or {}).items()):
        if table.startswith("ip6:"):
            continue
        for name in ("FORWARD", "PREROUTING", "POSTROUTING") if table in ("filter", "nat") else ():
            if (chains.get(name) or {}).get("rules"):
                found.append(f"iptables {table} {name} ({len(chains[name]['rules'])} rule(s))")
    return found


def _check(host: Host) -> list[Problem]:
    out: list[Problem] = []
    for ns in host.namespaces:
        value = (ns.get("sysctls") or {}).get(FORWARD_SYSCTL)
        if value is None or str(value).strip() != "0":
            continue
        rules = routing_rules(ns)
        if rules:
            ref = component("sysctl", ns["id"], {"name": FORWARD_SYSCTL, "value": value}, FORWARD_SYSCTL)
            out.append((FAIL, ns["id"], f"{FORWARD_SYSCTL} = 0 while " + "; ".join(rules), ref))
    return out


BUILTIN = Builtin(
    "forwarding-off-with-rules",
    "ip_forward off while forward rules or NAT exist",
    "net.ipv4.ip_forward = 1 wherever forward or NAT rules exist",
    "routing",
    _check,
)
