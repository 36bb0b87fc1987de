"""Reach-speed benchmark (issue 21, point 7), each figure beside the sampling approach (one trace per
sample, what the exposure view did before the engine) and beside the recorded figures (bench/figures.json).

Three workloads, CPU seconds on one core:
1. exposure of the largest demo host, as the site computes it (`host_exposure`: every listening socket
   of every namespace from every interface, for the packets addressed to the socket, and the outside
   view on its uplinks); goal < 1 s. Also the slowest demo host's, and the wider question the first
   version of this bench asked (every interface x socket over every destination and state: more than
   the page shows, kept for comparison).
2. a node with a kube-proxy-style nftables ruleset for 1,000 services x 3 endpoints, generated the
   way kube-proxy's nftables proxier writes it (a verdict map on `ip daddr . meta l4proto . th dport`,
   a chain per service with `numgen random mod 3 vmap`, a chain per endpoint with its DNAT, masquerade
   marks): who reaches each of the 3,000 endpoints through the uplink (new TCP connections); goal < 10 s.
3. an environment of N hosts, copies of the demo hosts under other names: every host's exposure and
   the environment's outside view, as a site build computes them; goal < 60 s for 1,000 hosts
   (--hosts; the default runs fewer and scales the figure up linearly: the work is per host).

    .venv/bin/python bench/reach.py [--services 100] [--hosts 30] [--record]

The defaults are below the goals' sizes (the figures printed name the size they measured): at the
sizes of the goals the engine is not yet fast enough (see the README, "Reach: what is measured").
"""

from __future__ import annotations

import argparse
import copy
import ipaddress
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)

from bench.figures import Figures, add_record_option  # noqa: E402
from netstack_docs.analysis.reach import Space, reach  # noqa: E402
from netstack_docs.analysis.trace import Fleet, Packet, trace  # noqa: E402


def _interfaces(ns: Any) -> list[str]:
    return sorted(name for name in ns.links if name != "lo")


def _sockets(ns: Any) -> list[str]:
    out = []
    for s in (ns.doc.get("sockets") or {}).get("listening", []):
        if not str(s["local_address"]).startswith("127.") and s["local_address"] != "::1":
            out.append(f"{s['protocol']}/{s['port']}")
    return sorted(set(out))


def exposure(fleet: Fleet, env: str, slug: str) -> tuple[int, int]:
    """(regions, paths) of every (interface, socket) question of one host's root namespace."""
    ns = fleet.host(env, slug).namespace(None)
    regions = paths = 0
    for iif in _interfaces(ns):
        for sock in _sockets(ns):
            answer = reach(fleet, env, slug, ingress=iif, to=sock)
            regions += len(answer.regions)
            paths += answer.paths
    return regions, paths


def sampled_exposure(fleet: Fleet, env: str, slug: str) -> int:
    """Today's approach: one sample source per interface, one trace per local address and socket."""
    ns = fleet.host(env, slug).namespace(None)
    traces = 0
    locals_ = [
        a["address"]
        for a in ns.doc.get("addresses", [])
        if a["family"] == "inet" and not a["address"].startswith("127.")
    ]
    for iif in _interfaces(ns):
        for sock in _sockets(ns):
            proto, port = sock.split("/")
            for dst in locals_:
                trace(fleet, env, slug, Packet("192.0.2.10", dst, proto, 40000, int(port)), ingress=iif)
                traces += 1
    return traces


def largest_demo_host(fleet: Fleet) -> tuple[str, str]:
    host = max(
        fleet.hosts.values(),
        key=lambda h: sum(len(ns.doc["links"]) + len(ns.doc["nftables"]["rules"]) for ns in h.namespaces),
    )
    return host.env, host.slug


FIRST_REMOTE_POD_NET = "10.244.16.0"  # endpoints on other nodes, past the demo's two pod networks

# -- a kube-proxy nftables ruleset ---------------------------------------------------------------------
def _rule(chain: str, handle: int, text: str, *expr: dict[str, Any]) -> dict[str, Any]:
    return {
        "family": "ip",
        "table": "kube-proxy",
        "chain": chain,
        "handle": handle,
        "expr": list(expr),
        "text": text,
        "comment": None,
    }


def _match(left: dict[str, Any], right: Any, op: str = "==") -> dict[str, Any]:
    return {"match": {"left": left, "op": op, "right": right}}


def _payload(proto: str, field: str) -> dict[str, Any]:
    return {"payload": {"protocol": proto, "field": field}}


def _chain(
    name: str, hook: str | None = None, prio: int | None = None, kind: str | None = None
) -> dict[str, Any]:
    return {
        "family": "ip",
        "table": "kube-proxy",
        "name": name,
        "hook": hook,
        "priority": prio,
        "type": kind,
        "policy": "accept" if hook else None,
        "device": None,
        "comment": None,
        "handle": 0,
    }


def kube_proxy_ruleset(services: int, endpoints: int = 3) -> tuple[dict[str, Any], list[str]]:
    """The nftables document kube-proxy (nftables mode) writes for `services` ClusterIP services with
    `endpoints` endpoints each, and the endpoint addresses (spread over the cluster's pod network)."""
    chains = [
        _chain("nat-prerouting", "prerouting", -100, "nat"),
        _chain("nat-postrouting", "postrouting", 100, "nat"),
        _chain("filter-forward", "forward", 0, "filter"),
        _chain("services"),
        _chain("mark-for-masquerade"),
        _chain("masquerading"),
    ]
    handle = iter(range(100, 10**7))
    rules = [
        _rule("nat-prerouting", next(handle), "jump services", {"jump": {"target": "services"}}),
        _rule("nat-postrouting", next(handle), "jump masquerading", {"jump": {"target": "masquerading"}}),
        _rule(
            "masquerading",
            next(handle),
            "meta mark & 0x4000 == 0 return",
            _match({"&": [{"meta": {"key": "mark"}}, 16384]}, 0),
            {"return": None},
        ),
        _rule(
            "masquerading",
            next(handle),
            "masquerade fully-random",
            {"masquerade": {"flags": ["fully-random"]}},
        ),
        _rule(
            "mark-for-masquerade",
            next(handle),
            "meta mark set mark or 0x4000",
            {
                "mangle": {
                    "key": {"meta": {"key": "mark"}},
                    "value": {"|": [{"meta": {"key": "mark"}}, 16384]},
                }
            },
        ),
        _rule(
            "filter-forward",
            next(handle),
            "ct state invalid drop",
            _match({"ct": {"key": "state"}}, "invalid", "in"),
            {"drop": None},
        ),
        _rule(
            "services",
            next(handle),
            "ip daddr . meta l4proto . th dport vmap @service-ips",
            {
                "vmap": {
                    "key": {
                        "concat": [
                            _payload("ip", "daddr"),
                            {"meta": {"key": "l4proto"}},
                            _payload("th", "dport"),
                        ]
                    },
                    "data": "@service-ips",
                }
            },
        ),
    ]
    elements, endpoint_ips = [], []
    for i in range(services):
        ip = str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.96.0.0")) + 16 + i))
        port = 80 + (i % 50)
        svc = f"service-{i:05d}-ns/svc{i}/tcp/p{port}"
        chains.append(_chain(svc))
        elements.append([{"concat": [ip, "tcp", port]}, {"goto": {"target": svc}}])
        rules.append(
            _rule(
                svc,
                next(handle),
                f"ip daddr {ip} tcp dport {port} ip saddr != 10.244.0.0/16 jump mark-for-masquerade",
                _match(_payload("ip", "daddr"), ip),
                _match(_payload("tcp", "dport"), port),
                _match(_payload("ip", "saddr"), {"prefix": {"addr": "10.244.0.0", "len": 16}}, "!="),
                {"jump": {"target": "mark-for-masquerade"}},
            )
        )
        choices = []
        for j in range(endpoints):
            n = i * endpoints + j
            first = int(ipaddress.IPv4Address(FIRST_REMOTE_POD_NET))
            ep = str(ipaddress.IPv4Address(first + 2 + n + (n // 250) * 6))
            endpoint_ips.append(ep)
            name = f"endpoint-{n:05d}-ns/svc{i}/tcp/p{port}__{ep}/8080"
            chains.append(_chain(name))
            choices.append([j, {"goto": {"target": name}}])
            rules.append(
                _rule(
                    name,
                    next(handle),
                    f"ip saddr {ep} jump mark-for-masquerade",
                    _match(_payload("ip", "saddr"), ep),
                    {"jump": {"target": "mark-for-masquerade"}},
                )
            )
            rules.append(
                _rule(
                    name,
                    next(handle),
                    f"meta l4proto tcp dnat to {ep}:8080",
                    _match({"meta": {"key": "l4proto"}}, "tcp"),
                    {"dnat": {"addr": ep, "port": 8080}},
                )
            )
        rules.append(
            _rule(
                svc,
                next(handle),
                f"numgen random mod {endpoints} vmap {{ ... }}",
                {
                    "vmap": {
                        "key": {"numgen": {"mode": "random", "mod": endpoints, "offset": 0}},
                        "data": {"set": choices},
                    }
                },
            )
        )
    sets = [
        {
            "family": "ip",
            "table": "kube-proxy",
            "name": "service-ips",
            "type": ["ipv4_addr", "inet_proto", "inet_service"],
            "map": "verdict",
            "flags": [],
            "elements": elements,
            "comment": None,
        }
    ]
    doc = {
        "tables": [{"family": "ip", "name": "kube-proxy", "handle": 1, "flags": [], "comment": None}],
        "chains": chains,
        "rules": rules,
        "sets": sets,
    }
    return doc, endpoint_ips


def kube_node(services: int) -> tuple[Fleet, str, str, str, list[str]]:
    demo = Fleet.load(REPO / "snapshots")
    node = demo.host("prod", "k8s-node-01")
    doc = copy.deepcopy(node.doc)
    nft, endpoints = kube_proxy_ruleset(services)
    root = doc["namespaces"][0] if "namespaces" in doc else doc
    root["nftables"] = nft
    _remote_pod_networks(root, endpoints)
    fleet = Fleet.from_docs({("bench", "kube-node"): doc})
    uplink = next(
        r["dev"] for r in root["routes"] if r["dst"] == "default" and r["family"] == "inet" and r.get("dev")
    )
    return fleet, "bench", "kube-node", uplink, endpoints


def _remote_pod_networks(root: dict[str, Any], endpoints: list[str]) -> None:
    """The pod networks the endpoints live in, as flannel (VXLAN) sets them up for other nodes on this
    one: a route via flannel.1 onlink, the remote VTEP's neighbour entry and its forwarding entry (the
    demo node knows one other node; the endpoints spread over as many /24s as they need)."""
    nets = sorted(
        {ipaddress.ip_network(f"{ep}/24", strict=False) for ep in endpoints}, key=lambda n: n.network_address
    )
    for i, net in enumerate(nets):
        gateway = str(net.network_address)
        mac = f"0a:58:0a:f4:{i // 256:02x}:{i % 256:02x}"
        vtep = str(ipaddress.IPv4Address("192.168.60.0") + 1 + i)
        root["routes"].append(
            {
                "dev": "flannel.1", "dst": str(net), "family": "inet", "gateway": gateway, "metric": None,
                "nexthops": [], "onlink": True, "prefsrc": None, "protocol": "boot", "scope": "global",
                "table": "main", "type": "unicast",
            }
        )
        root["neighbours"].append(
            {"address": gateway, "family": "inet", "ifname": "flannel.1", "lladdr": mac, "router": False,
             "state": "PERMANENT"}
        )
        root["fdb"].append(
            {"dst": vtep, "flags": ["self"], "ifname": "flannel.1", "lladdr": mac, "master": None,
             "state": "permanent", "vlan": None}
        )


def kube_reach(fleet: Fleet, env: str, slug: str, uplink: str) -> Any:
    return reach(fleet, env, slug, ingress=uplink, proto="tcp", src=Space.where(family=4, state="new"))


def kube_sampled(fleet: Fleet, env: str, slug: str, uplink: str, services: int) -> int:
    """Today's approach: one sample source per service, one trace each."""
    for i in range(services):
        ip = str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.96.0.0")) + 16 + i))
        trace(fleet, env, slug, Packet("192.0.2.10", ip, "tcp", 40000, 80 + (i % 50)), ingress=uplink)
    return services


def environment(hosts: int) -> tuple[float, int]:
    """CPU seconds of every host's exposure and the outside view in an environment of `hosts` copies of
    the demo hosts (renamed), as a build computes them (site.build.exposures_ahead); and the regions found."""
    from netstack_docs.analysis.reach.exposure import host_exposure
    from netstack_docs.analysis.reach.outside import outside_of

    demo = Fleet.load(REPO / "snapshots")
    originals = sorted(demo.hosts.values(), key=lambda h: (h.env, h.slug))
    docs = {}
    for i in range(hosts):
        h = originals[i % len(originals)]
        docs[("fleet", f"{h.slug}-{i:04d}")] = h.doc
    fleet = Fleet.from_docs(docs)
    cpu, regions = time.process_time(), 0
    outside = outside_of({slug: doc for (_, slug), doc in docs.items()})
    for env, slug in docs:
        e = host_exposure(fleet, env, slug, outside)
        regions += sum(len(r.regions) for r in e.rows + e.outside)
    return time.process_time() - cpu, regions


def product_exposure(fleet: Fleet, env: str, slug: str) -> int:
    """The exposure view of one host as a build computes it (with its environment's outside)."""
    from netstack_docs.analysis.reach.exposure import host_exposure
    from netstack_docs.analysis.reach.outside import outside_of

    outside = outside_of({h.slug: h.doc for h in fleet.hosts.values() if h.env == env})
    e = host_exposure(fleet, env, slug, outside)
    return sum(len(r.regions) for r in e.rows + e.outside)


def endpoints_in(end: str) -> set[str]:
    """The addresses a region's end names after NAT ("flannel.1 to 10.244.0.5:8080 | ...")."""
    return {part.split(" to ", 1)[1].rsplit(":", 1)[0] for part in end.split(" | ") if " to " in part}


def _cpu(fn: Any, *args: Any) -> tuple[float, Any]:
    start = time.process_time()
    out = fn(*args)
    return time.process_time() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--services", type=int, default=100, help="services of the kube-proxy node (goal: 1000)"
    )
    parser.add_argument("--hosts", type=int, default=30, help="hosts of the environment figure (demo copies)")
    add_record_option(parser)
    args = parser.parse_args()
    figures = Figures("reach", args.record)

    fleet = Fleet.load(REPO / "snapshots")
    env, slug = largest_demo_host(fleet)
    product_exposure(fleet, env, slug)  # warm: the layer model, the compiled rules
    cpu, regions = _cpu(product_exposure, fleet, env, slug)
    print(f"exposure of {env}/{slug} (the largest demo host) as a build computes it: {regions} regions")
    figures.show("exposure as built, largest demo host CPU s", cpu, "s")
    for h in fleet.hosts.values():
        product_exposure(fleet, h.env, h.slug)  # warm each host's compiled rules, as for the largest
    slowest = max(
        (_cpu(product_exposure, fleet, h.env, h.slug)[0], f"{h.env}/{h.slug}") for h in fleet.hosts.values()
    )
    figures.show(f"  slowest demo host ({slowest[1]}) exposure CPU s", slowest[0], "s", keep=False)
    cpu, (regions, paths) = _cpu(exposure, fleet, env, slug)
    print(f"{env}/{slug}, every interface x socket, all packets: {regions} regions, {paths} walks")
    figures.show("every destination and state, largest demo host CPU s", cpu, "s")
    cpu, traces = _cpu(sampled_exposure, fleet, env, slug)
    figures.show(f"  sampling: {traces} traces, CPU s", cpu, "s", keep=False)

    kfleet, kenv, kslug, uplink, endpoints = kube_node(args.services)
    kube_sampled(kfleet, kenv, kslug, uplink, 1)  # compile the ruleset once
    cpu, answer = _cpu(kube_reach, kfleet, kenv, kslug, uplink)
    reached = {e for r in answer.regions if r.fate == "forwarded" for e in endpoints_in(r.end)}
    print(
        f"kube-proxy node ({args.services} services x 3 endpoints): {len(answer.regions)} regions from "
        f"{answer.paths} paths; endpoints reached through {uplink}: {len(reached & set(endpoints))} of "
        f"{len(endpoints)} (goal < 10 s)"
    )
    figures.show(f"kube-proxy {args.services}x3 who-reaches CPU s", cpu, "s")
    figures.show("  per service, CPU s", cpu / args.services, "s", digits=4, keep=False)
    cpu, traces = _cpu(kube_sampled, kfleet, kenv, kslug, uplink, args.services)
    figures.show(f"  sampling: {traces} traces, CPU s", cpu, "s", keep=False)

    cpu, regions = environment(args.hosts)
    scaled = cpu * 1000 / args.hosts
    print(
        f"environment of {args.hosts} hosts (demo copies): every exposure and the outside view, {regions} "
        f"regions, {cpu:.1f} s; scaled to 1,000 hosts (goal < 60 s)"
    )
    figures.show("1,000-host exposure and outside view CPU s (scaled)", scaled, "s", digits=1)
    figures.close("reach: trace on representatives, conditions read back from the walk")


if __name__ == "__main__":
    main()
