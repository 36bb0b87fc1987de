"""classify(): every snapshot object lands on exactly one layer page, deterministically, with its gaps."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import pytest
from model_fixtures import copy, minimal

from netstack_docs.model.classify import HostView, classify, gap_layer, layer_of
from netstack_docs.model.identity import IDENTITY
from netstack_docs.model.model import LAYER_SLUGS
from netstack_docs.snapshot.load import schema


def _components(view: HostView) -> list[Any]:
    return [c for layer in view.layers.values() for c in layer.components]


def _raw_objects(doc: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Every object of every section, found by walking the schema, not the model's section table.

    A list in a namespace (or in one of its objects, like `tc`) is a section of objects; so are the
    `{name: value}` maps `sysctls` and `iptables`. A new section in the schema shows up here
    without anyone telling the model, and the coverage test below fails until the model has it.
    """
    ns_props = schema()["$defs"]["namespace"]["properties"]
    out: list[tuple[str, str, Any]] = []
    for ns in doc["namespaces"]:
        out.append((ns["id"], "namespace", ns["id"]))
        for name, prop in ns_props.items():
            value = ns.get(name)
            if name == "rules":  # shown through a view (each rule plus its `ip rule` text): keyed by content
                out += [(ns["id"], name, json.dumps(o, sort_keys=True)) for o in value]
            elif prop.get("type") == "array" and name != "gaps":
                out += [(ns["id"], name, id(o)) for o in value or []]  # optional sections (ipsets)
            elif isinstance(value, dict) and name in ("tc", "nftables", "sockets"):
                out += [(ns["id"], f"{name}.{k}", id(o)) for k, lst in value.items() for o in lst]
            elif isinstance(value, dict) and name in ("sysctls", "iptables"):
                out += [(ns["id"], name, key) for key in value]
            elif name not in ("id", "name", "kind", "path", "inode", "owner", "gaps"):
                assert value is None, f"schema section namespace.{name} is unknown to this test"
    out += [("host", "bpf.programs", id(p)) for p in doc["bpf"]["programs"]]
    out += [("host", "daemons", id(d)) for d in doc["daemons"]]
    return out


def _covered(view: HostView) -> set[tuple[str, str, Any]]:
    got: set[tuple[str, str, Any]] = set()
    for c in _components(view):
        ns = c.namespace.id
        section = c.kind.section
        if section == "namespaces":
            got.add((ns, "namespace", ns))
        elif section in ("nics", "ports"):
            got.add((ns, "links", id(c.obj)) if section == "nics" else (ns, "ports", c.obj["ifname"]))
        elif section == "sysctls":
            got.add((ns, "sysctls", c.obj["name"]))
        elif section == "iptables":
            got.add((ns, "iptables", c.obj["key"]))
        elif section == "rules":
            rule = {k: v for k, v in c.obj.items() if k != "ip_rule"}
            got.add((ns, "rules", json.dumps(rule, sort_keys=True)))
        elif section == "derived":  # one summary stands for all the kernel derived in the namespace
            ns_doc = next(n for n in view.snapshot["namespaces"] if n["id"] == ns)
            got.update((ns, "routes", id(r)) for r in ns_doc["routes"] if r.get("protocol") == "kernel")
        else:
            got.add((ns, section, id(c.obj)))
    return got


def _check_total(doc: dict[str, Any]) -> HostView:
    view = classify(doc)
    raw = _raw_objects(doc)
    missing = [r for r in raw if r not in _covered(view)]
    assert not missing, f"objects on no layer page: {missing[:5]}"
    anchors = Counter((c.layer, c.anchor) for c in _components(view))
    assert not [a for a, n in anchors.items() if n > 1], "an anchor appears twice on one page"
    links = sum(len(ns["links"]) for ns in doc["namespaces"])
    devices = sum(1 for ns in doc["namespaces"] for link in ns["links"] if link["kind"] == "device")
    ports = sum(1 for ns in doc["namespaces"] for link in ns["links"] if link.get("master"))
    derived = [r for ns in doc["namespaces"] for r in ns["routes"] if r.get("protocol") == "kernel"]
    summaries = [c for c in _components(view) if c.kind.section == "derived"]
    # each raw object once, plus the documented second views: NIC of a device, port of an enslaved link;
    # what the kernel derived in a namespace is one summary (older snapshots hold it in routes/addresses)
    expected = len(raw) - len(derived) + len(summaries) + devices + ports
    assert len(_components(view)) == expected, (len(raw), links)
    for c in _components(view):
        assert layer_of(c.identity_kind, c.obj) == c.layer
    return view


def test_every_object_of_a_fresh_real_capture_lands_on_one_layer_page(captured_rich: dict[str, Any]) -> None:
    view = _check_total(captured_rich)
    kinds = Counter(c.kind.id for c in _components(view))
    for kind in (
        "bridge",
        "bridge-port",
        "vxlan",
        "tun-tap",
        "ifb",
        "veth",
        "static-fdb",
        "xdp-program",
        "tc-bpf-program",
        "clsact-qdisc",
        "ingress-qdisc",
        "tc-class",
        "tc-bpf-filter",
        "nft-base-chain",
        "nft-regular-chain",
        "nft-set",
        "nft-map",
        "iptables-legacy-table",
        "ip6tables-legacy-table",
        "named-netns",
        "docker-netns",
        "proc-netns",
        "policy-rule",
        "table-route",
        "permanent-neighbour",
        "tcp-listener",
        "udp-socket",
        "docker",
    ):
        assert kinds[kind] >= 1, kind


@pytest.mark.parametrize("name", ["rich-host", "hostile", "kinds-01"])
def test_every_object_of_the_recorded_snapshots_lands_on_one_layer_page(
    recorded: dict[str, dict[str, Any]], name: str
) -> None:
    _check_total(recorded[name])


def test_home_pages_of_links_follow_the_documented_choice(recorded: dict[str, dict[str, Any]]) -> None:
    view = classify(recorded["kinds-01"])
    homes = {
        (c.kind.section, c.name): (c.layer, c.kind.id) for c in _components(view) if c.namespace.id == "root"
    }
    assert homes[("nics", "eno1")] == ("nic", "physical-nic")
    assert homes[("links", "eno1")] == ("link", "ethernet-link")
    assert homes[("ports", "eno1")] == ("link", "bond-port")
    assert homes[("ports", "eno3")] == ("routing", "vrf-port")
    assert homes[("ports", "eno4")] == ("link", "enslaved-link")
    assert homes[("links", "bond0.100")] == ("link", "vlan")
    assert homes[("links", "vrf-blue")] == ("routing", "vrf")
    assert homes[("links", "nk0")] == ("virtual", "other-link")
    nic = next(c for c in view.layers["nic"].components if c.name == "eno1")
    assert nic.anchor == "nic-root--eno1"
    assert ("Driver", "ice") in nic.facts and ("Speed at capture (Mb/s)", "25000") in nic.facts
    assert ("Offloads", "rx-checksum, tcp-segmentation-offload, tx-checksum-ipv4 (2 off)") in nic.facts
    assert [c.text for c in nic.commands][0] == "ethtool -i eno1"


def test_order_is_deterministic_and_independent_of_namespace_order(
    recorded: dict[str, dict[str, Any]],
) -> None:
    doc = recorded["rich-host"]
    first = [(c.layer, c.anchor) for c in _components(classify(doc))]
    shuffled = copy(doc)
    random.Random(7).shuffle(shuffled["namespaces"])
    assert [(c.layer, c.anchor) for c in _components(classify(shuffled))] == first
    view = classify(doc)
    assert [n.id for n in view.namespaces][0] == "root"
    assert [n.kind for n in view.namespaces] == sorted(
        (n.kind for n in view.namespaces), key=["root", "named", "docker", "proc"].index
    )


def test_layer_of_is_total_over_every_identity_kind() -> None:
    """Even an object with only its identifying fields has a home page, whatever its identity kind."""
    samples: dict[str, dict[str, Any]] = {
        "netns": {"id": "x", "kind": "named"},
        "link": {"ifname": "x", "kind": "strange"},
        "nic": {"ifname": "x", "kind": "device"},
        "port": {"ifname": "x", "master": "y"},
        "addr": {"ifname": "x", "address": "192.0.2.1", "prefixlen": 24, "family": "inet"},
        "route": {"family": "inet", "table": "7", "dst": "default"},
        "rule": {"family": "inet", "priority": 5, "action": "lookup"},
        "neigh": {"ifname": "x", "address": "192.0.2.1", "state": "STALE"},
        "fdb": {"ifname": "x", "lladdr": "02:00:00:00:00:01"},
        "qdisc": {"ifname": "x", "kind": "weird", "handle": "1:", "parent": "2:3"},
        "class": {"ifname": "x", "kind": "htb", "classid": "1:1", "parent": "1:"},
        "filter": {"ifname": "x", "kind": "u32", "parent": "1:"},
        "nfttable": {"family": "inet", "name": "t"},
        "nftchain": {"family": "inet", "table": "t", "name": "c"},
        "nftrule": {"family": "inet", "table": "t", "chain": "c", "handle": 1, "expr": []},
        "nftset": {"family": "inet", "table": "t", "name": "s"},
        "ipset": {"name": "f2b-sshd", "type": "hash:ip", "family": "inet", "members": [], "truncated": False},
        "iptables": {"key": "ip6:raw", "family": "ip6", "table": "raw", "chains": {}},
        "socket": {"protocol": "udp", "family": "inet", "local_address": "0.0.0.0", "port": 1},
        "sysctl": {"name": "net.unix.max_dgram_qlen", "value": "512"},
        "derived": {"count": 1, "tables": {"local": 1}, "routes": ["local 192.0.2.1 dev x table local"]},
        "prog": {"id": 1, "type": "lwt_in"},
        "daemon": {"name": "radvd"},
        "ovsbridge": {"name": "br-int"},
        "ovsport": {"bridge": "br-int", "name": "p1", "type": "dpdk"},
        "ovstable": {"bridge": "br-int", "table": 3},
        "cni": {"file": "/etc/cni/net.d/10.conf"},
        "cnidefault": {"file": "/etc/cni/net.d/10.conf"},
    }
    assert set(samples) == set(IDENTITY), "a new identity kind needs a sample here"
    for kind, obj in samples.items():
        assert layer_of(kind, obj) in LAYER_SLUGS, kind


def test_empty_layers_say_what_was_checked(recorded: dict[str, dict[str, Any]]) -> None:
    view = classify(minimal())
    assert [slug for slug, v in view.layers.items() if v.components] == ["namespaces"]
    assert view.layers["ebpf"].checked == [
        "network sysctls (in 1 namespace)",
        "loaded BPF programs (on the whole host)",
    ]
    assert "tc qdiscs (in 1 namespace)" in view.layers["traffic-control"].checked
    assert all(v.checked for v in view.layers.values())
    assert all(v.layer.check_commands for v in view.layers.values())


def test_capture_gaps_are_attached_to_the_layer_they_concern(recorded: dict[str, dict[str, Any]]) -> None:
    view = classify(recorded["kinds-01"])
    assert [(g.what, g.namespace.label if g.namespace else None) for g in view.layers["netfilter"].gaps] == [
        ("nftables", "root namespace")
    ]
    assert [g.what for g in view.layers["nic"].gaps] == ["nic eno4: ring sizes"]
    proc = view.layers["transport"].gaps
    assert [(g.what, g.reason, g.namespace.label) for g in proc] == [  # type: ignore[union-attr]
        ("sockets", "sock_diag: permission denied", "pid 4242 (pause)")
    ]
    unplaced = [g for g in view.gaps if g.layer is None]
    assert [g.what for g in unplaced] == ["something unforeseen"]
    assert len(view.gaps) == 4


@pytest.mark.parametrize(
    ("what", "layer"),
    [
        ("nftables", "netfilter"),
        ("iptables-legacy-save", "netfilter"),
        ("ip6tables-legacy-save", "netfilter"),
        ("nics", "nic"),
        ("nic eth0: offload features", "nic"),
        ("tc", "traffic-control"),
        ("tcp", "transport"),
        ("bpf programs", "ebpf"),
        ("links", "link"),
        ("routes", "routing"),
        ("daemons", "tooling"),
        ("fdb", "virtual"),
        ("namespace blue", "namespaces"),
        ("zzz", None),
    ],
)
def test_gap_words_map_capture_gaps_to_layers(what: str, layer: str | None) -> None:
    assert gap_layer(what) == layer


def test_snapshot_strings_are_kept_verbatim_in_names_and_facts(recorded: dict[str, dict[str, Any]]) -> None:
    """Classification never escapes or rewrites untrusted text: that is the renderer's job, once."""
    view = classify(recorded["hostile"])
    names = {c.name for c in _components(view)}
    assert {"a|b", "<b>x", "{{7*7}}", "[x](y)", "p`q"} <= names
    link = next(c for c in view.layers["virtual"].components if c.name == "a|b" and c.kind.section == "links")
    assert ("Alias", "<img src=x onerror=window.__pwned=1>") in link.facts


def test_the_same_program_loaded_twice_gets_two_anchors_and_two_places_in_a_diff() -> None:
    from netstack_docs.versions.diff import diff_snapshots

    doc = minimal()
    prog = {"type": "xdp", "name": "xdp_pass", "tag": "aa11", "attached": []}
    doc["bpf"]["programs"] = [dict(prog, id=7), dict(prog, id=9)]
    anchors = [c.anchor for c in classify(doc).layers["ebpf"].components]
    assert len(anchors) == 2 and len(set(anchors)) == 2
    fewer = copy(doc)
    fewer["bpf"]["programs"] = fewer["bpf"]["programs"][:1]
    [removed] = list(diff_snapshots(doc, fewer, "test", "empty").objects())
    assert (removed.kind, removed.op, removed.key[-1]) == ("prog", "removed", "#2")
