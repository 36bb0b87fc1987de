"""Build small, schema-valid snapshot documents for diagram tests (recorded-style data, no kernel needed).

Why not the sandbox: vlan, bond and macvlan modules are absent here, and a 200-namespace host is
cheaper to describe than to create; the capture tests prove real kernels produce this shape.
"""

from __future__ import annotations

import copy
from typing import Any

from snapshot_shell import snapshot_document

from netstack_docs.capture.context import empty_namespace


def link(ifindex: int, ifname: str, kind: str, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "ifindex": ifindex,
        "ifname": ifname,
        "kind": kind,
        "mtu": 1500,
        "operstate": "up",
        "flags": ["UP"],
        "master": None,
        "parent": None,
        "info": {},
        "xdp": None,
    }
    doc.update(extra)
    return doc


def addr(ifname: str, cidr: str) -> dict[str, Any]:
    address, _, prefix = cidr.partition("/")
    return {
        "ifname": ifname,
        "family": "inet6" if ":" in address else "inet",
        "address": address,
        "prefixlen": int(prefix),
        "scope": "global",
        "flags": [],
    }


def namespace(
    ns_id: str, kind: str, links: list[dict[str, Any]], addresses: list[dict[str, Any]] = (), **extra: Any
) -> dict[str, Any]:
    doc = empty_namespace(ns_id, kind)
    doc.update(name=ns_id.rpartition("/")[2], path=None, inode=None, owner=None)
    doc.update(links=list(links), addresses=list(addresses))
    doc.update(extra)
    return doc


def snapshot(env: str, hostname: str, namespaces: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    host = {"env": env, "hostname": hostname, "kernel": "6.1.0", "os": "Debian 12", "machine": "x86_64",
            "role": None}
    return copy.deepcopy(snapshot_document(namespaces, host, "2026-11-25T12:00:00Z", **extra))


def veth_pair(
    ns_a: dict[str, Any],
    a: tuple[int, str],
    ns_b: dict[str, Any],
    b: tuple[int, str],
    master_b: str | None = None,
) -> None:
    """Add both ends of a veth pair, each pointing at its peer (and the peer's namespace)."""
    ns_a["links"].append(
        link(a[0], a[1], "veth", parent={"ifname": b[1], "ifindex": b[0], "netns": ns_b["id"]})
    )
    ns_b["links"].append(
        link(
            b[0], b[1], "veth", master=master_b, parent={"ifname": a[1], "ifindex": a[0], "netns": ns_a["id"]}
        )
    )


def k8s_node(pods: int, hostname: str = "k8s-node-1", env: str = "prod", vni: int = 1) -> dict[str, Any]:
    """A Kubernetes-like node: eth0, cni0 bridge, flannel VXLAN, `pods` pod namespaces each with one veth."""
    root = namespace(
        "root",
        "root",
        [
            link(1, "lo", "loopback"),
            link(2, "eth0", "device"),
            link(3, "cni0", "bridge"),
            link(4, "flannel.1", "vxlan", info={"id": vni, "dev": "eth0", "port": 8472}),
        ],
        [
            addr("lo", "127.0.0.1/8"),
            addr("eth0", "192.0.2.10/24"),
            addr("cni0", "10.244.1.1/24"),
            addr("flannel.1", "10.244.1.0/32"),
        ],
    )
    namespaces = [root]
    for i in range(pods):
        pod = namespace(
            f"pid/{1000 + i}",
            "proc",
            [link(1, "lo", "loopback")],
            [addr("eth0", f"10.244.1.{(i % 250) + 2}/24")],
            owner={"pid": 1000 + i, "comm": "pause", "container_id": None},
        )
        veth_pair(pod, (2, "eth0"), root, (10 + i, f"veth{i:04x}"), master_b="cni0")
        namespaces.append(pod)
    return snapshot(env, hostname, namespaces)
