"""`route: {dst: CIDR, via: ADDR, dev: IFNAME, table: NAME}`: such a route exists (table main by default)."""

from __future__ import annotations

import ipaddress
from typing import Any

from netstack_docs.analysis.check.assertions.base import AssertionKind, Outcome, Problems, per_namespace
from netstack_docs.analysis.check.findings import FAIL, PASS, component, host_ref
from netstack_docs.analysis.check.hosts import Host
from netstack_docs.analysis.check.intent import Intent

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def network(text: str, family: str | None = None) -> Network:
    """`default` is 0.0.0.0/0 (or ::/0); a bare address is a host route, as `ip route` reads it."""
    if text == "default":
        return ipaddress.ip_network("::/0" if family == "inet6" else "0.0.0.0/0")
    return ipaddress.ip_network(text, strict=False)


def _gateways(route: dict[str, Any]) -> set[str]:
    hops = {str(h.get("gateway")) for h in route.get("nexthops") or [] if h.get("gateway")}
    return hops | ({route["gateway"]} if route.get("gateway") else set())


def _devs(route: dict[str, Any]) -> set[str]:
    return {str(h.get("dev")) for h in route.get("nexthops") or [] if h.get("dev")} | (
        {route["dev"]} if route.get("dev") else set()
    )


def describe_spec(spec: dict[str, Any]) -> str:
    parts = [spec["dst"]] + [f"{k} {spec[k]}" for k in ("via", "dev") if k in spec]
    return " ".join(parts) + f" table {spec.get('table', 'main')}"


def route_label(route: dict[str, Any]) -> str:
    via = f" via {', '.join(sorted(_gateways(route)))}" if _gateways(route) else ""
    dev = f" dev {', '.join(sorted(_devs(route)))}" if _devs(route) else ""
    return f"{route['dst']}{via}{dev} table {route['table']}"


def check(intent: Intent, host: Host, ns: dict[str, Any]) -> list[Outcome]:
    spec = intent.spec
    wanted = network(spec["dst"])
    table = spec.get("table", "main")
    same_dst = [
        r
        for r in ns.get("routes", [])
        if r["table"] == table
        and (r.get("type") or "unicast") == "unicast"
        and network(r["dst"], r["family"]) == wanted
    ]
    expected = describe_spec(spec)
    for r in same_dst:
        via_ok = "via" not in spec or ipaddress.ip_address(spec["via"]) in {
            ipaddress.ip_address(g) for g in _gateways(r)
        }
        if via_ok and ("dev" not in spec or spec["dev"] in _devs(r)):
            return [(PASS, expected, route_label(r), component("route", ns["id"], r, route_label(r)))]
    if same_dst:
        r = same_dst[0]
        actual = "; ".join(route_label(x) for x in same_dst)
        return [(FAIL, expected, actual, component("route", ns["id"], r, route_label(r)))]
    return [(FAIL, expected, f"no route to {spec['dst']} in table {table}", host_ref(f"table {table}"))]


def validate(spec: dict[str, Any]) -> Problems:
    problems: Problems = []
    try:
        network(spec["dst"])
    except ValueError:
        problems.append((("dst",), f"{spec['dst']!r} is not a CIDR prefix (or `default`)"))
    if "via" in spec:
        try:
            ipaddress.ip_address(spec["via"])
        except ValueError:
            problems.append((("via",), f"{spec['via']!r} is not an IP address"))
    return problems


KIND = AssertionKind("route", per_namespace(check), lambda i: "route " + describe_spec(i.spec), validate)
