"""Exposure over all packets on the demo snapshots: who reaches each socket, and from outside.

Issue 21's two misreadings: staging listed docker-proxy's :8080 as reachable from outside (only the
docker0 side and the container veths reach it), and edge-01's sample source sat in its blocklist, so
every service read "dropped by blocklist".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netstack_docs.analysis.reach.exposure import host_exposure
from netstack_docs.analysis.reach.outside import outside_of
from netstack_docs.analysis.trace import Fleet

REPO = Path(__file__).resolve().parents[2]
ASSUME = ("xdp:wan0=pass", "tc:lan0:ingress:*=ok")  # as the demo's mkdocs.yml states them


@pytest.fixture(scope="module")
def demo() -> Fleet:
    return Fleet.load(REPO / "snapshots", ASSUME)


def _outside(fleet: Fleet, env: str):  # type: ignore[no-untyped-def]
    return outside_of({h.slug: h.doc for h in fleet.hosts.values() if h.env == env})


def test_docker_proxy_is_not_reachable_from_outside_through_the_uplink(demo: Fleet) -> None:
    e = host_exposure(demo, "staging", "docker-01", _outside(demo, "staging"), assume=ASSUME)
    assert not [r for r in e.outside if "docker-proxy" in r.socket_name]
    rows = {r.ifname: r for r in e.rows if r.socket_name == "tcp 0.0.0.0:8080 (docker-proxy)"}
    assert not rows["eth0"].reached  # the uplink: every new connection to :8080 is dropped
    assert rows["docker0"].reached and rows["veth3f2a1b9"].reached  # the containers' side reaches it
    for _, region in rows["docker0"].reached:  # each region carries an example whose trace agrees
        assert region.space.contains({**region.example.__dict__, "iif": "docker0"} | {"mark": 0})
        assert region.example_trace.verdict == "delivered"


def test_edge_services_are_decided_by_more_than_the_blocklist(demo: Fleet) -> None:
    e = host_exposure(demo, "prod", "edge-01", _outside(demo, "prod"), assume=ASSUME)
    ssh_wan = next(r for r in e.rows if r.socket_name == "tcp 10.10.0.1:22 (sshd)" and r.ifname == "wan0")
    assert ssh_wan.uplink and not ssh_wan.reached
    deciding = {url for r in ssh_wan.regions for url in r.rules}
    assert any("blocklist" in url for url in deciding)  # the blocklist decides its own range ...
    assert any(
        "blocklist" not in url and "input" in url for url in deciding
    )  # ... and something else the rest
    blocked = [r for r in ssh_wan.regions if r.space.contains(_ssh("192.0.2.10", "wan0"))]
    rest = [r for r in ssh_wan.regions if r.space.contains(_ssh("8.8.8.8", "wan0"))]
    assert blocked and rest and blocked != rest
    ssh_lan = next(r for r in e.rows if r.socket_name == "tcp 10.10.0.1:22 (sshd)" and r.ifname == "lan0")
    assert any(r.space.contains(_ssh("10.10.0.7", "lan0")) for _, r in ssh_lan.reached)
    assert not any(r.space.contains(_ssh("192.0.2.10", "lan0")) for _, r in ssh_lan.reached)
    assert len(set(ssh_wan.ids)) == len(ssh_wan.ids)


def _ssh(src: str, iif: str) -> dict[str, object]:
    return {
        "src": src,
        "dst": "10.10.0.1",
        "proto": "tcp",
        "sport": 40000,
        "dport": 22,
        "state": "new",
        "iif": iif,
    }
