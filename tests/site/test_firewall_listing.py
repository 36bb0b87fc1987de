"""The firewall listings' order and text, from a classified snapshot (no MkDocs, no browser)."""

from __future__ import annotations

import json
from typing import Any

from site_fixtures import FIXTURE_SNAPSHOTS

from netstack_docs.model.classify import classify
from netstack_docs.model.facts import read_facts
from netstack_docs.model.model import Fact
from netstack_docs.render.firewall import nft_tables, nft_value
from netstack_docs.render.iptables_listing import iptables_listing


def rich_host() -> dict[str, Any]:
    return json.loads((FIXTURE_SNAPSHOTS / "lab" / "rich-host.json").read_text())


def netfilter(doc: dict[str, Any]) -> list[Any]:
    return classify(doc, host_slug="rich-host").layers["netfilter"].components


def test_chains_come_in_hook_then_priority_order_and_regular_chains_last() -> None:
    doc = rich_host()
    nft = next(ns for ns in doc["namespaces"] if ns["id"] == "root")["nftables"]
    guard = next(c for c in nft["chains"] if c["name"] == "uplink_ingress")
    guard.update(device=None, devices=["uplink0", "uplink1"])
    nft["chains"].append(
        {
            "family": "inet",
            "table": "filter",
            "name": "early_input",
            "type": "filter",
            "hook": "input",
            "priority": -10,
            "policy": "accept",
            "device": None,
            "comment": None,
        }
    )
    tables = nft_tables(netfilter(doc), doc["state"])
    assert [(t.family, t.name) for t in tables] == [("inet", "filter"), ("ip", "nat"), ("netdev", "guard")]
    names = [c.name for c in tables[0].chains]
    assert names == ["early_input", "input", "forward", "output", "services"]
    assert [c.name for c in tables[1].chains] == ["prerouting", "postrouting"]
    assert tables[2].chains[0].head == [
        "type filter hook ingress devices = { uplink0, uplink1 } priority -500; policy accept;"
    ]


def test_rules_keep_evaluation_order_and_get_their_counters_from_state() -> None:
    doc = rich_host()
    doc["state"]["namespaces"]["root"]["nftables"] = {
        "counters": {"inet filter input 7": [{"packets": 3, "bytes": 180}]}
    }
    chain = nft_tables(netfilter(doc), doc["state"])[0].chains[0]
    assert [(r.handle, r.counters) for r in chain.rules] == [(6, None), (7, "packets 3 bytes 180"), (8, None)]
    assert (
        chain.rules[1].anchor
        == "nftrule-root--inet--filter--input--ip-saddr-allowed-tcp-dport-22-accept-f4bdf7cf"
    )


def test_set_and_map_elements_print_as_nft_prints_them() -> None:
    assert nft_value({"prefix": {"addr": "10.0.0.0", "len": 8}}) == "10.0.0.0/8"
    assert nft_value({"range": ["10.0.0.1", "10.0.0.9"]}) == "10.0.0.1-10.0.0.9"
    assert nft_value({"concat": ["10.0.0.1", "tcp", 22]}) == "10.0.0.1 . tcp . 22"
    assert nft_value([8443, "172.17.0.2"]) == "8443 : 172.17.0.2"
    assert nft_value({"elem": {"val": "192.0.2.1", "timeout": 60}}) == "192.0.2.1"
    # a verdict map (kube-proxy's service-ips): the verdict as nft prints it, never libnftables' JSON
    goto = ["10.96.0.10", {"goto": {"target": "svc-kube-system-kube-dns"}}]
    assert nft_value(goto) == "10.96.0.10 : goto svc-kube-system-kube-dns"
    assert nft_value([22, {"accept": None}]) == "22 : accept"
    jump = [{"concat": ["10.0.0.1", "tcp", 80]}, {"jump": {"target": "web"}}]
    assert nft_value(jump) == "10.0.0.1 . tcp . 80 : jump web"
    assert read_facts([Fact("Elements", "elements", "elements")], {"elements": [goto]}) == [
        ("Elements", "10.96.0.10 : goto svc-kube-system-kube-dns")
    ]
    sets = {s.component.obj["name"]: s for t in nft_tables(netfilter(rich_host()), {}) for s in t.sets}
    assert sets["forwards"].keyword == "map" and sets["forwards"].head == ["type inet_service : ipv4_addr"]
    assert sets["allowed"].elements == ["10.0.0.0/8"] and not sets["allowed"].collapsed


def test_iptables_tables_list_policies_user_chains_then_rules_in_hook_order() -> None:
    doc = rich_host()
    ipt = next(ns for ns in doc["namespaces"] if ns["id"] == "root")["iptables"]
    ipt["filter"]["DOCKER-USER"] = {"policy": None, "rules": ["-j RETURN"]}
    ipt["filter"]["FORWARD"]["rules"] = ["-j DOCKER-USER"]
    table = next(c for c in netfilter(doc) if c.anchor == "iptables-root--ip--filter")
    assert iptables_listing(table).lines == [
        "-P INPUT ACCEPT",
        "-P FORWARD ACCEPT",
        "-P OUTPUT ACCEPT",
        "-N DOCKER-USER",
        "-A INPUT -p tcp -m tcp --dport 9100 -j ACCEPT",
        "-A FORWARD -j DOCKER-USER",
        "-A DOCKER-USER -j RETURN",
    ]


def test_a_rule_of_an_iptables_nft_table_reads_as_iptables_save_prints_it_and_a_cut_text_says_so() -> None:
    """issue 20: libnftables may print an xt rule without its verb; the page shows the iptables form
    the capture decoded, and a cut nft text without one is labelled incomplete, never shown as whole."""
    doc = rich_host()
    nft = next(ns for ns in doc["namespaces"] if ns["id"] == "root")["nftables"]
    rules = [r for r in nft["rules"] if (r["family"], r["table"]) == ("ip", "nat")]
    assert len(rules) >= 2
    rules[0].update(iptables='-A POSTROUTING -s 10.0.0.0/8 -m comment --comment "<b>x</b>" -j MASQUERADE',
                    text="ip saddr 10.0.0.0/8 counter ", text_incomplete=True)
    rules[1].update(iptables=None, iptables_undecoded="match foo revision 9 is not decoded",
                    text="counter ", text_incomplete=True)
    table = next(t for t in nft_tables(netfilter(doc), doc["state"]) if (t.family, t.name) == ("ip", "nat"))
    lines = {r.anchor: r.text for ch in table.chains for r in ch.rules}
    assert table.iptables_nft
    assert '-A POSTROUTING -s 10.0.0.0/8 -m comment --comment "<b>x</b>" -j MASQUERADE' in lines.values()
    assert any(t.startswith("counter  (incomplete: libnftables could not print") for t in lines.values())
