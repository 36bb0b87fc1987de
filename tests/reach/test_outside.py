""" "Outside", defined from the snapshots and overridable in mkdocs.yml (extra.netstack.outside)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netstack_docs.analysis.reach.outside import outside_of, outside_setting, uplinks

REPO = Path(__file__).resolve().parents[2]


def _env(env: str) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((REPO / "snapshots" / env).glob("*.json"))}


def test_own_is_addresses_subnets_and_container_ranges_but_not_what_is_behind_an_uplink() -> None:
    out = outside_of(_env("staging"))
    assert out.uplinks == (("docker-01", "root", "eth0"),)  # containers' default routes lead into the host
    assert "172.17.0.0/16" in out.own  # docker0's subnet: the containers
    assert (
        "192.168.60.0/24" not in out.own and "192.168.60.5/32" in out.own
    )  # eth0 is the uplink: its subnet is the world's
    assert out.contains("192.168.60.9") and out.contains("8.8.8.8") and out.contains("2001:db8::1")
    assert not out.contains("172.17.0.2") and not out.contains("127.0.0.1") and not out.contains("::1")
    space = out.space(4)
    assert space.contains({"src": "8.8.8.8", "dst": "192.168.60.5", "proto": "tcp", "sport": 1, "dport": 2})
    assert not space.contains(
        {"src": "172.17.0.9", "dst": "192.168.60.5", "proto": "tcp", "sport": 1, "dport": 2}
    )


def test_pod_ranges_count_as_own() -> None:
    out = outside_of(_env("prod"))
    assert not out.contains("10.244.7.7")  # flannel's pod network, and the routes into flannel.1
    assert ("edge-01", "root", "wan0") in out.uplinks
    assert not any(ns.startswith("pod/") for _, ns, _ in out.uplinks)


def test_stated_prefixes_replace_and_exceptions_narrow() -> None:
    docs = _env("staging")
    narrowed = outside_of(docs, {"except": ["8.8.8.0/24"]})
    assert not narrowed.contains("8.8.8.8") and narrowed.contains("8.8.9.1")
    assert "8.8.8.0/24" in narrowed.statement()
    stated = outside_of(docs, {"prefixes": ["198.51.100.0/24"], "except": ["198.51.100.128/25"]})
    assert stated.stated and stated.contains("198.51.100.1") and not stated.contains("198.51.100.200")
    assert not stated.contains("8.8.8.8")
    assert "as stated in mkdocs.yml" in stated.statement()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"prefixes": ["not-a-prefix"]}, "outside.prefixes: 'not-a-prefix' is not a CIDR prefix"),
        ({"except": "10.0.0.0/8"}, "outside.except: expected a list"),
        ({"prefix": []}, "expected a mapping with `prefixes` and/or `except`"),
    ],
)
def test_a_bad_setting_names_the_key(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        outside_setting(value, "mkdocs.yml:3: extra.netstack.outside")


def test_an_uplink_is_where_a_default_route_leaves_multipath_included() -> None:
    ns = {
        "routes": [
            {
                "dst": "default",
                "dev": None,
                "type": "unicast",
                "nexthops": [{"dev": "wan0"}, {"dev": "wan1"}],
            },
            {"dst": "10.0.0.0/8", "dev": "lan0", "type": "unicast"},
            {"dst": "default", "dev": "blk", "type": "blackhole"},
        ]
    }
    assert uplinks(ns) == {"wan0", "wan1"}
