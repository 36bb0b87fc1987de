"""Hand-built namespaces for trace's unit tests: only the fields trace reads, in the snapshot's shape."""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.trace import Fleet, Packet, TraceResult, trace


def link(ifname: str, kind: str = "device", **extra: Any) -> dict[str, Any]:
    return {
        "ifname": ifname,
        "ifindex": abs(hash(ifname)) % 1000 + 2,
        "kind": kind,
        "flags": ["UP"],
        "master": None,
        "parent": None,
        "xdp": None,
        "info": {},
        **extra,
    }


def addr(ifname: str, cidr: str) -> dict[str, Any]:
    address, _, plen = cidr.partition("/")
    return {
        "ifname": ifname,
        "family": "inet6" if ":" in address else "inet",
        "address": address,
        "prefixlen": int(plen),
        "scope": "global",
    }


def route(
    dst: str, dev: str | None = None, table: str = "main", type_: str = "unicast", **extra: Any
) -> dict:
    family = "inet6" if ":" in dst else "inet"
    return {
        "family": family,
        "table": table,
        "dst": dst,
        "dev": dev,
        "type": type_,
        "gateway": None,
        "metric": None,
        "prefsrc": None,
        **extra,
    }


def nft_rule(chain: str, text: str, *expr: dict, table: str = "t", family: str = "inet") -> dict[str, Any]:
    return {
        "family": family,
        "table": table,
        "chain": chain,
        "text": text,
        "comment": None,
        "handle": 1,
        "occurrence": 1,
        "expr": list(expr),
    }


def chain(
    name: str,
    hook: str | None = None,
    policy: str | None = "accept",
    type_: str = "filter",
    table: str = "t",
    family: str = "inet",
    priority: int = 0,
    device: str | None = None,
) -> dict:
    return {
        "family": family,
        "table": table,
        "name": name,
        "hook": hook,
        "policy": policy if hook else None,
        "type": type_ if hook else None,
        "priority": priority if hook else None,
        "device": device,
        "comment": None,
    }


def match(left: dict, right: Any, op: str = "==") -> dict:
    return {"match": {"left": left, "op": op, "right": right}}


def payload(protocol: str, field: str) -> dict:
    return {"payload": {"protocol": protocol, "field": field}}


def meta(key: str) -> dict:
    return {"meta": {"key": key}}


def namespace(
    ns_id: str = "root",
    *,
    links=(),
    addresses=(),
    routes=(),
    rules=(),
    chains=(),
    nft_rules=(),
    sets=(),
    sockets=(),
    sysctls=None,
    kind: str | None = None,
    neighbours=(),
    fdb=(),
    tc=None,
) -> dict:
    return {
        "id": ns_id,
        "name": ns_id,
        "kind": kind or ("root" if ns_id == "root" else "named"),
        "path": None if ns_id == "root" else f"/run/netns/{ns_id}",
        "owner": None,
        "links": [link("lo", "loopback"), *links],
        "addresses": [addr("lo", "127.0.0.1/8"), *addresses],
        "routes": list(routes),
        "rules": list(rules),
        "neighbours": list(neighbours),
        "fdb": list(fdb),
        "tc": tc or {"qdiscs": [], "classes": [], "filters": []},
        "nftables": {"tables": [], "chains": list(chains), "rules": list(nft_rules), "sets": list(sets)},
        "sockets": {"listening": list(sockets)},
        "sysctls": {"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.rp_filter": "0", **(sysctls or {})},
        "gaps": [],
    }


def sock(proto: str, address: str, port: int, process: str = "daemon", ifname: str | None = None) -> dict:
    return {
        "protocol": proto,
        "family": "inet6" if ":" in address else "inet",
        "local_address": address,
        "port": port,
        "ifname": ifname,
        "process": process,
    }


def fleet(*hosts: tuple[str, list[dict]], env: str = "lab") -> Fleet:
    return Fleet.from_docs(
        {(env, name): {"host": {"env": env, "hostname": name}, "namespaces": nss} for name, nss in hosts}
    )


def run(f: Fleet, packet: Packet, host: str = "h", env: str = "lab", **kw: Any) -> TraceResult:
    return trace(f, env, host, packet, **kw)


def tcp(src: str, dst: str, dport: int, **kw: Any) -> Packet:
    return Packet(src, dst, "tcp", kw.pop("sport", 40000), dport, **kw)
