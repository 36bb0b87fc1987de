"""A wildcard listener while the input policy accepts: the service answers on every address, the uplink too.

Only the root namespace is checked: a container's wildcard listener sits behind the host's NAT.
"Accepts" means no input base chain drops by policy (nftables) and iptables INPUT's policy is not DROP.
"""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.check.assertions.listening import socket_label
from netstack_docs.analysis.check.builtins.base import Builtin, Problem
from netstack_docs.analysis.check.findings import FAIL, component
from netstack_docs.analysis.check.hosts import Host

WILDCARDS = ("0.0.0.0", "::")


def input_drops(ns: dict[str, Any]) -> bool:
    chains = (ns.get("nftables") or {}).get("chains", [])
    if any(c.get("hook") == "input" and c.get("policy") == "drop" for c in chains):
        return True
    tables = ns.get("iptables") or {}
    return any(
        ((tables.get(t) or {}).get("INPUT") or {}).get("policy") == "DROP" for t in ("filter", "ip6:filter")
    )


def _check(host: Host) -> list[Problem]:
    out: list[Problem] = []
    for ns in host.namespaces:
        if ns["kind"] != "root" or input_drops(ns):
            continue
        for sock in (ns.get("sockets") or {}).get("listening", []):
            if sock["local_address"] in WILDCARDS and not sock.get("ifname"):
                actual = f"{socket_label(sock)} on every address, and no input chain drops by policy"
                out.append((FAIL, ns["id"], actual, component("socket", ns["id"], sock, socket_label(sock))))
    return out


BUILTIN = Builtin(
    "wildcard-listener-input-accept",
    "wildcard listener while the input policy accepts",
    "no listener on 0.0.0.0 or :: unless an input chain drops by policy",
    "transport",
    _check,
)
