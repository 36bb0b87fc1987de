"""Bridge ports that nothing tells apart answer once (netstack_docs.analysis.reach.ports).

The exposure view asks the engine for one port of a class; the other ports' rows are its regions
renamed, each example traced again on the port. These tests hold the rows so made to the engine's own
rows for every port of every demo host, and show what keeps a port out of a class.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from netstack_docs.analysis.reach import exposure
from netstack_docs.analysis.reach.engine import reach
from netstack_docs.analysis.reach.exposure import host_exposure
from netstack_docs.analysis.reach.outside import outside_of
from netstack_docs.analysis.reach.ports import interchangeable_ports
from netstack_docs.analysis.trace import Fleet

REPO = Path(__file__).resolve().parents[2]
ASSUME = ("xdp:wan0=pass", "tc:lan0:ingress:*=ok")  # as the demo's mkdocs.yml states them
K8S = REPO / "snapshots" / "prod" / "k8s-node-01.json"
PORTS = [f"veth1a2b010{i}" for i in range(1, 7)]  # the node's six pod ports on cni0
V4 = frozenset({4})


def _rows(fleet: Fleet, env: str, slug: str, classes: bool) -> tuple[list[Any], int]:
    """The host's exposure rows, with or without port classes; and how often the engine was asked."""
    asked = [0]

    def counting(*args: Any, **kwargs: Any) -> Any:
        asked[0] += 1
        return reach(*args, **kwargs)

    outside = outside_of({h.slug: h.doc for h in fleet.hosts.values() if h.env == env})
    saved = exposure._ports_alike
    if not classes:  # every port asked of the engine, as before classes
        exposure._ports_alike = lambda *args, **kwargs: {}  # type: ignore[assignment]
    try:
        return host_exposure(fleet, env, slug, outside, reach=counting).rows, asked[0]
    finally:
        exposure._ports_alike = saved  # type: ignore[assignment]


def _same_rows(a: list[Any], b: list[Any]) -> None:
    assert [(r.netns, r.socket_name, r.ifname, r.ids) for r in a] == [
        (r.netns, r.socket_name, r.ifname, r.ids) for r in b
    ]
    for ra, rb in zip(a, b, strict=True):
        assert len(ra.regions) == len(rb.regions)
        for x, y in zip(ra.regions, rb.regions, strict=True):
            assert (x.key, x.description) == (y.key, y.description)
            assert x.space.equals(y.space), (ra.ifname, x.description)
            assert x.example_trace.to_json() == y.example_trace.to_json()


@pytest.mark.parametrize(
    "slug", ["prod/edge-01", "prod/k8s-node-01", "prod/k8s-node-02", "staging/docker-01"]
)
def test_rows_of_ports_in_a_class_are_the_engines_rows(slug: str) -> None:
    """Each demo host's rows with port classes are the engine's rows port by port (regions, their
    spaces, words, ids and example traces); the hosts with a bridge of pods ask the engine less."""
    env, host = slug.split("/")
    fleet_a, fleet_b = Fleet.load(REPO / "snapshots", ASSUME), Fleet.load(REPO / "snapshots", ASSUME)
    with_classes, asked = _rows(fleet_a, env, host, classes=True)
    engine_only, asked_all = _rows(fleet_b, env, host, classes=False)
    _same_rows(with_classes, engine_only)
    if host in ("k8s-node-01", "docker-01"):
        assert asked < asked_all  # the classes did answer for some ports
    if host == "k8s-node-01":  # six alike pod ports, two sockets: the engine asked for one port each
        pod_rows = [r for r in with_classes if r.ifname in PORTS]
        assert len(pod_rows) == 12 and asked_all - asked == 10


def _k8s() -> dict[str, Any]:
    return json.loads(K8S.read_text())


def _root(doc: dict[str, Any]) -> dict[str, Any]:
    return next(n for n in doc["namespaces"] if n["id"] == "root")


def _classes(
    doc: dict[str, Any], families: frozenset[int] = V4, assume: tuple[str, ...] = ()
) -> dict[str, str]:
    root = _root(doc)
    names = sorted(lk["ifname"] for lk in root["links"])
    return interchangeable_ports(doc, "root", names, families, assume)


def test_the_demo_nodes_pod_ports_are_one_class() -> None:
    assert _classes(_k8s()) == {p: PORTS[0] for p in PORTS[1:]}


def _link(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(lk for lk in _root(doc)["links"] if lk["ifname"] == name)


def _rule(text: str, expr: list[dict[str, Any]]) -> dict[str, Any]:
    return {"family": "ip", "table": "kube-proxy", "chain": "filter-forward", "handle": 900, "expr": expr,
            "text": text, "comment": None}


def _iifname(value: str) -> dict[str, Any]:
    return {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": value}}


CHANGES = {
    # a rule naming one port
    "rule": lambda d: _root(d)["nftables"]["rules"].append(
        _rule('iifname "veth1a2b0103" drop', [_iifname("veth1a2b0103"), {"drop": None}])
    ),
    # a per-interface sysctl of one port
    "sysctl": lambda d: _root(d)["sysctls"].__setitem__("net.ipv4.conf.veth1a2b0103.rp_filter", "1"),
    # a tc object on one port
    "tc": lambda d: _root(d)["tc"]["qdiscs"].append(
        {"handle": "ffff:", "ifname": "veth1a2b0103", "kind": "clsact", "options": {}, "parent": "ffff:fff1"}
    ),
    # XDP on one port, one port down
    "xdp": lambda d: _link(d, "veth1a2b0103").__setitem__("xdp", {"prog_id": 7, "mode": "generic"}),
    "down": lambda d: _link(d, "veth1a2b0103").__setitem__("flags", ["BROADCAST", "MULTICAST"]),
    "operstate": lambda d: d["state"]["namespaces"]["root"]["links"]["veth1a2b0103"].__setitem__(
        "operstate", "DOWN"
    ),
    # a host-wide reference by index (a BPF program attached to the port's ifindex)
    "index": lambda d: d["bpf"].setdefault("attached", []).append(
        {"ifindex": _link(d, "veth1a2b0103")["ifindex"], "kind": "tcx"}
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_what_names_one_port_takes_it_out_of_the_class(change: str) -> None:
    doc = _k8s()
    CHANGES[change](doc)
    classes = _classes(doc)
    assert "veth1a2b0103" not in classes and "veth1a2b0103" not in classes.values()
    assert classes == {p: PORTS[0] for p in PORTS[1:] if p != "veth1a2b0103"}


def test_an_assumption_naming_a_port_takes_it_out() -> None:
    assert "veth1a2b0104" not in _classes(_k8s(), assume=("tc:veth1a2b0104:ingress:*=ok",))


def test_patterns_tell_ports_apart_only_when_they_match_one() -> None:
    doc = _k8s()
    for port, new in zip(PORTS, ["pa1", "pa2", "pb1", "pb2", "pb3", "pb4"], strict=True):
        text = json.dumps(doc).replace(f'"{port}"', f'"{new}"').replace(f".{port}.", f".{new}.")
        doc = json.loads(text)
    same = copy.deepcopy(doc)
    _root(same)["nftables"]["rules"].append(_rule('iifname "p*" accept', [_iifname("p*"), {"accept": None}]))
    assert _classes(same) == _classes(doc) == {p: "pa1" for p in ("pa2", "pb1", "pb2", "pb3", "pb4")}
    apart = copy.deepcopy(doc)
    rule = _rule('iifname "pa*" accept', [_iifname("pa*"), {"accept": None}])
    _root(apart)["nftables"]["rules"].append(rule)
    classes = _classes(apart)
    assert classes == {"pa2": "pa1", "pb2": "pb1", "pb3": "pb1", "pb4": "pb1"}
    iptables = copy.deepcopy(doc)  # iptables-save's `-i pb+` in a rule's text
    _root(iptables)["nftables"]["rules"].append(_rule("-A FORWARD -i pb+ -j ACCEPT", []))
    assert _classes(iptables) == {"pa2": "pa1", "pb2": "pb1", "pb3": "pb1", "pb4": "pb1"}


def test_a_question_over_ipv6_sees_each_ports_link_local_address() -> None:
    """Each pod port holds its own IPv6 link-local address (the kernel's): a question over IPv4 does not
    read it, one over both versions (a `::` socket) does, and no port answers for another there."""
    doc = _k8s()
    assert _classes(doc, V4)
    assert _classes(doc, frozenset({4, 6})) == {}


def test_a_port_whose_example_ends_otherwise_is_asked_of_the_engine() -> None:
    """The second guard: were a port put in a class it does not belong to (here by force: XDP on it,
    which the class check refuses), its rows are still the engine's, as each region's example traced
    on the port itself ends otherwise (the XDP program's fork)."""
    doc = _k8s()
    CHANGES["xdp"](doc)
    forced = {"veth1a2b0103": "veth1a2b0101"}
    saved = exposure._ports_alike
    exposure._ports_alike = lambda *args, **kwargs: forced  # type: ignore[assignment]
    try:
        rows, _ = _rows(_fleet(doc), "prod", "k8s-node-01", True)
    finally:
        exposure._ports_alike = saved  # type: ignore[assignment]
    engine_only, _ = _rows(_fleet(copy.deepcopy(doc)), "prod", "k8s-node-01", False)
    _same_rows(rows, engine_only)
    assert any(r.fate == "depends" for row in rows if row.ifname == "veth1a2b0103" for r in row.regions)


def _fleet(doc: dict[str, Any]) -> Fleet:
    return Fleet.from_docs({("prod", "k8s-node-01"): doc}, ASSUME)
