"""`same_across: [sysctls, nftables, routes, qdiscs, listening]`: the selected hosts agree, odd ones named.

Each aspect is reduced to a set of comparable lines per host (in its selected namespaces). The most
common set is the reference when more than half the hosts share it; a host that differs fails with
what it lacks and what it has in addition. Without a majority every host that differs from the
largest group fails, and the finding says there was no majority. Names that differ by design from
host to host are left out: per-interface sysctls (pod veths are named per host) and the local
routing table (it lists each host's own addresses).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from netstack_docs.analysis.check.assertions.base import AssertionKind, Context, finding
from netstack_docs.analysis.check.assertions.listening import socket_label
from netstack_docs.analysis.check.findings import FAIL, PASS, Finding, host_ref
from netstack_docs.analysis.check.hosts import Host, select_namespaces
from netstack_docs.analysis.check.intent import Intent

_PER_INTERFACE = re.compile(r"^net\.(ipv4|ipv6)\.(conf|neigh)\.(?!all\.|default\.)")


def _sysctls(ns: dict[str, Any]) -> set[str]:
    return {
        f"{k} = {' '.join(str(v).split())}"
        for k, v in (ns.get("sysctls") or {}).items()
        if not _PER_INTERFACE.match(k)
    }


def _nftables(ns: dict[str, Any]) -> set[str]:
    nft = ns.get("nftables") or {}
    chains = {
        f"chain {c['family']} {c['table']} {c['name']} hook {c.get('hook')} policy {c.get('policy')}"
        for c in nft.get("chains", [])
    }
    rules = {
        f"rule {r['family']} {r['table']} {r['chain']}: {r.get('text', '')}" for r in nft.get("rules", [])
    }
    return chains | rules


def _routes(ns: dict[str, Any]) -> set[str]:
    return {
        f"{r['dst']} via {r.get('gateway')} dev {r.get('dev')} table {r['table']}"
        for r in ns.get("routes", [])
        if r["table"] != "local"
    }


def _qdiscs(ns: dict[str, Any]) -> set[str]:
    return {f"{q['ifname']} {q['parent']} {q['kind']}" for q in (ns.get("tc") or {}).get("qdiscs", [])}


def _listening(ns: dict[str, Any]) -> set[str]:
    return {socket_label(s) for s in (ns.get("sockets") or {}).get("listening", [])}


ASPECTS: dict[str, Callable[[dict[str, Any]], set[str]]] = {
    "sysctls": _sysctls,
    "nftables": _nftables,
    "routes": _routes,
    "qdiscs": _qdiscs,
    "listening": _listening,
}
SHOWN = 5  # differences listed per finding; the rest are counted


def _lines(host: Host, intent: Intent, aspect: str) -> frozenset[str]:
    out: set[str] = set()
    for ns in select_namespaces(host, intent.namespaces):
        prefix = "" if ns["kind"] == "root" else f"[{ns['id']}] "
        out |= {prefix + line for line in ASPECTS[aspect](ns)}
    return frozenset(out)


def _difference(mine: frozenset[str], ref: frozenset[str]) -> str:
    parts = []
    for word, items in (("missing", sorted(ref - mine)), ("extra", sorted(mine - ref))):
        if items:
            more = f" (+{len(items) - SHOWN} more)" if len(items) > SHOWN else ""
            parts.append(f"{word}: " + "; ".join(items[:SHOWN]) + more)
    return " | ".join(parts)


def evaluate(intent: Intent, hosts: list[Host], ctx: Context) -> list[Finding]:
    out = []
    for aspect in intent.spec:
        sets = {(h.env, h.slug): _lines(h, intent, aspect) for h in hosts}
        counts = Counter(sets.values())
        if not counts:
            continue
        ref, size = max(counts.items(), key=lambda kv: (kv[1], sorted(kv[0])))
        majority = size * 2 > len(hosts)
        holders = sorted(h.slug for h in hosts if sets[(h.env, h.slug)] == ref)
        expected = (
            f"{aspect} as on the majority ({size} of {len(hosts)} hosts)"
            if majority
            else f"{aspect} the same on all {len(hosts)} hosts (no majority; compared with "
            f"{', '.join(holders)})"
        )
        for host in hosts:
            mine = sets[(host.env, host.slug)]
            if mine == ref:
                out.append(finding(intent, host, None, PASS, expected, f"{aspect}: same", host_ref(aspect)))
            else:
                actual = f"{host.slug} differs in {aspect}: {_difference(mine, ref)}"
                out.append(finding(intent, host, None, FAIL, expected, actual, host_ref(aspect)))
    return out


KIND = AssertionKind(
    "same_across", evaluate, lambda i: "same " + ", ".join(i.spec) + " on the selected hosts"
)
