"""The snapshot diff: what counts as a change, what never does, and in which order it is told."""

from __future__ import annotations

import copy
import random

from versions_fixtures import namespace, recaptured, snapshot

from netstack_docs.versions.diff import diff_sets, diff_snapshots


def changes(old, new):
    host = diff_snapshots(old, new, "prod", "edge-01")
    return [(o.kind, o.op, o.namespace, o.key, [(f.field, f.old, f.new) for f in o.fields])
            for o in host.objects()]


def test_recapture_of_an_unchanged_host_is_no_change():
    old = snapshot()
    old["bpf"]["programs"].append({"id": 31, "type": "xdp", "name": "xdp_pass", "tag": "aa11"})
    old["namespaces"][0]["links"][1]["xdp"] = {"mode": "generic", "prog_id": 31, "prog_name": "xdp_pass"}
    new = recaptured(old)
    [eth0] = [link for link in new["namespaces"][0]["links"] if link["ifname"] == "eth0"]
    eth0["xdp"]["prog_id"] = 131
    # a neighbour learned between the two captures is state (capture files it there), not configuration
    new["state"]["namespaces"]["root"]["neighbours"] = [{"ifname": "eth0", "address": "10.0.0.5"}]
    host = diff_snapshots(old, new, "prod", "edge-01")
    assert not host.changed, host


def test_added_route_is_one_added_object():
    old = snapshot()
    new = copy.deepcopy(old)
    new["namespaces"][0]["routes"].append(
        {"family": "inet", "table": "main", "dst": "192.0.2.0/24", "gateway": "10.0.0.254", "dev": "eth0"})
    assert changes(old, new) == [("route", "added", "root", ("inet", "main", "unicast", "192.0.2.0/24"), [])]


def test_changed_qdisc_reports_each_field_old_to_new():
    old = snapshot()
    new = copy.deepcopy(old)
    new["namespaces"][0]["tc"]["qdiscs"][0]["options"] = {"rate": "5mbit", "burst": 1600, "latency": 50}
    assert changes(old, new) == [("qdisc", "changed", "root", ("eth0", "root"), [
        ("options.latency", None, 50), ("options.rate", "1mbit", "5mbit")])]


def test_qdisc_handle_chosen_by_the_kernel_is_no_change_but_a_chosen_one_is():
    old = snapshot()
    old["namespaces"][0]["tc"]["qdiscs"][0]["handle"] = "8001:"
    recreated = copy.deepcopy(old)
    recreated["namespaces"][0]["tc"]["qdiscs"][0]["handle"] = "8007:"  # `tc qdisc replace` without handle
    assert changes(old, recreated) == []
    renamed = copy.deepcopy(old)
    renamed["namespaces"][0]["tc"]["qdiscs"][0]["handle"] = "1:"
    expected = [("qdisc", "changed", "root", ("eth0", "root"), [("handle", "8001:", "1:")])]
    assert changes(old, renamed) == expected


def test_replaced_qdisc_kind_is_a_field_change_of_the_same_handle():
    old = snapshot()
    new = copy.deepcopy(old)
    new["namespaces"][0]["tc"]["qdiscs"][0].update(kind="htb", options={"default": "0x10"})
    [(kind, op, _, _, fields)] = changes(old, new)
    assert (kind, op) == ("qdisc", "changed")
    assert ("kind", "tbf", "htb") in fields


def test_removed_objects_of_every_namespaced_kind():
    old = snapshot()
    new = copy.deepcopy(old)
    ns = new["namespaces"][0]
    ns["nftables"]["rules"].clear()
    ns["neighbours"].clear()
    ns["sockets"]["listening"].clear()
    ns["sysctls"]["net.ipv4.ip_forward"] = "1"
    got = [(k, op) for k, op, *_ in changes(old, new)]
    assert got == [("neigh", "removed"), ("nftrule", "removed"), ("socket", "removed"), ("sysctl", "changed")]


def test_xdp_attached_and_program_loaded():
    old = snapshot()
    new = copy.deepcopy(old)
    new["namespaces"][0]["links"][1]["xdp"] = {"mode": "generic", "prog_id": 8, "prog_name": "xdp_drop"}
    new["bpf"]["programs"].append({"id": 8, "type": "xdp", "name": "xdp_drop", "tag": "bb22",
                                   "attached": [{"kind": "xdp", "namespace": "root", "ifname": "eth0"}]})
    got = changes(old, new)
    assert got == [
        ("link", "changed", "root", ("eth0",),
         [("xdp.mode", None, "generic"), ("xdp.prog_name", None, "xdp_drop")]),
        ("prog", "added", "host", ("xdp", "xdp_drop", "bb22"), []),
    ]


def test_namespace_added_lists_its_objects_and_root_comes_first():
    old = snapshot()
    new = copy.deepcopy(old)
    new["namespaces"].insert(0, namespace("blue", "named"))
    host = diff_snapshots(old, new, "prod", "edge-01")
    assert [(ns.id, ns.op) for ns in host.namespaces] == [("blue", "added")]
    assert {o.op for o in host.objects()} == {"added"}
    assert ("link", ("eth0",)) in {(o.kind, o.key) for o in host.objects()}
    back = diff_snapshots(new, old, "prod", "edge-01")
    assert [(ns.id, ns.op) for ns in back.namespaces] == [("blue", "removed")]


def test_host_fields_and_hosts_added_removed():
    a, b = snapshot(hostname="edge-01"), snapshot(hostname="edge-02")
    b2 = copy.deepcopy(b)
    b2["host"]["kernel"] = "6.12.0"
    result = diff_sets({("prod", "edge-01"): a, ("prod", "edge-02"): b},
                       {("prod", "edge-02"): b2, ("stage", "edge-03"): snapshot("stage", "edge-03")})
    assert [(h.env, h.host, h.op) for h in result.hosts] == [
        ("prod", "edge-01", "removed"), ("prod", "edge-02", None), ("stage", "edge-03", "added")]
    assert [(f.field, f.old, f.new) for f in result.hosts[1].fields] == [("kernel", "6.1.0", "6.12.0")]
    assert not result.identical


def test_order_does_not_depend_on_capture_order():
    old = snapshot()
    new = copy.deepcopy(old)
    ns = new["namespaces"][0]
    for i in range(20):
        ns["routes"].append({"family": "inet", "table": str(100 + i), "dst": f"198.51.100.{i}/32"})
        ns["sysctls"][f"net.ipv4.conf.veth{i}.forwarding"] = "1"
    first = changes(old, new)
    random.Random(7).shuffle(ns["routes"])
    ns["sysctls"] = dict(random.Random(8).sample(sorted(ns["sysctls"].items()), len(ns["sysctls"])))
    assert changes(old, new) == first
    assert [k for k, *_ in first] == ["route"] * 20 + ["sysctl"] * 20


def test_repeated_identity_is_kept_apart_not_lost():
    old = snapshot()
    old["namespaces"][0]["routes"][0]["protocol"] = "static"  # configured (the kernel's own are state)
    new = copy.deepcopy(old)
    new["namespaces"][0]["routes"].append(copy.deepcopy(new["namespaces"][0]["routes"][0]))
    [(kind, op, _, key, _)] = changes(old, new)
    assert (kind, op, key[-1]) == ("route", "added", "#2")


def test_state_never_changes_and_running_values_moved_to_state_are_no_change():
    """Kernel-derived routes and link-local addresses, operstate, port state, NIC speed: whether an older
    snapshot kept them in the configuration or a newer one in state, or they came and went, no change."""
    old = snapshot()
    ns = old["namespaces"][0]
    old["state"]["namespaces"] = {"root": {"derived_addresses": [
        {"ifname": "eth0", "family": "inet6", "address": "fe80::1", "prefixlen": 64, "scope": "link"}]}}
    ns["links"][0]["port"] = {"kind": "bridge", "state": "forwarding", "cost": 2}
    new = recaptured(old)
    new_ns = new["namespaces"][0]
    state = new["state"].setdefault("namespaces", {}).setdefault("root", {})
    state["derived_routes"] = new_ns.pop("routes")  # the connected route, now where the capture puts it
    state["derived_routes"].append({"family": "inet", "table": "local", "type": "local", "dst": "10.0.0.1/32",
                                    "dev": "eth0", "protocol": "kernel"})  # appeared after DAD: no change
    new_ns["routes"] = []
    state["derived_addresses"] = []  # the link went down and up: its link-local address is not back yet
    links = state.setdefault("links", {})
    for link in new_ns["links"]:
        links[link["ifname"]] = {"operstate": link.pop("operstate", None)}
        if link.get("port"):
            links[link["ifname"]]["port"] = {"state": link["port"].pop("state")}
    assert changes(old, new) == []
    assert changes(new, old) == []


def test_an_added_links_own_sysctls_are_folded_into_its_line_and_changed_ones_stay_listed():
    from netstack_docs.versions.changes import changes_pages
    from netstack_docs.versions.report import to_json_data, to_text

    old = snapshot()
    old["namespaces"][0]["sysctls"]["net.ipv4.conf.eth0.rp_filter"] = "0"
    new = copy.deepcopy(old)
    root = new["namespaces"][0]
    root["links"].append({"ifindex": 9, "ifname": "veth9.1", "kind": "veth", "mtu": 1500, "flags": ["UP"]})
    for i in range(20):
        root["sysctls"][f"net.ipv4.conf.veth9/1.s{i:02}"] = "1"
        root["sysctls"][f"net.ipv6.neigh.veth9/1.n{i:02}"] = "1"
    root["sysctls"]["net.ipv4.conf.eth0.rp_filter"] = "1"  # a setting of a link that stays: listed
    root["sysctls"]["net.ipv4.conf.all.forwarding"] = "1"  # namespace-wide: listed
    host = diff_snapshots(old, new, "prod", "edge-01")
    assert [(o.kind, o.name, len(o.folded)) for o in host.objects()] == [
        ("link", "veth9.1", 40),
        ("sysctl", "net.ipv4.conf.all.forwarding", 0),
        ("sysctl", "net.ipv4.conf.eth0.rp_filter", 0),
    ]
    diff = diff_sets({("prod", "edge-01"): old}, {("prod", "edge-01"): new})
    text = to_text(diff)
    assert "    + link veth9.1 (40 sysctls)\n" in text and "veth9/1.s00" not in text
    assert len(to_json_data(diff)["hosts"][0]["namespaces"][0]["objects"][0]["folded"]) == 40
    page = changes_pages({("prod", "edge-01"): old}, {("prod", "edge-01"): new})["prod/edge-01/changes.md"]
    assert "\\(40 sysctls\\)" in page and "s00" not in page and "2 added, 1 changed, 0 removed" in page
    # the same when the link goes away again
    back = diff_snapshots(new, old, "prod", "edge-01")
    assert [(o.op, o.name, len(o.folded)) for o in back.objects() if o.kind == "link"] == [
        ("removed", "veth9.1", 40)
    ]


def test_an_added_namespace_folds_its_own_sysctls_into_its_line():
    from netstack_docs.versions.changes import changes_pages
    from netstack_docs.versions.report import to_text

    old = snapshot()
    new = copy.deepcopy(old)
    extra = namespace("blue", "named")
    extra["sysctls"] = {f"net.core.s{i:02}": "1" for i in range(30)}
    new["namespaces"].append(extra)
    diff = diff_sets({("prod", "edge-01"): old}, {("prod", "edge-01"): new})
    text = to_text(diff)
    assert "  + netns blue added (30 sysctls)\n" in text and "net.core.s00" not in text
    assert "    + link eth0\n" in text  # its other objects stay listed
    page = changes_pages({("prod", "edge-01"): old}, {("prod", "edge-01"): new})["prod/edge-01/changes.md"]
    assert "(added, with its 30 sysctls)" in page and "s00" not in page


def test_the_real_change_comes_first_and_namespaces_that_came_or_went_are_counted_as_such():
    from netstack_docs.versions.changes import changes_pages

    old = snapshot()
    old["namespaces"] += [namespace("sandbox-1", "named"), namespace("zeta", "named")]
    new = copy.deepcopy(old)
    new["namespaces"] = [ns for ns in new["namespaces"] if ns["id"] != "sandbox-1"]
    new["namespaces"][-1]["sysctls"]["net.ipv4.ip_forward"] = "1"  # the real change, in zeta
    pages = changes_pages({("prod", "edge-01"): old}, {("prod", "edge-01"): new})
    assert "| 0 added, 1 changed, 0 removed, 1 namespace removed |" in pages["changes.md"]
    host = pages["prod/edge-01/changes.md"]
    assert host.index("ip\\_forward") < host.index("sandbox\\-1 (removed, with its 1 sysctl)")
