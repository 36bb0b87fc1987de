"""The environment overview: what connects hosts, and a big environment folded instead of shrunk."""

from __future__ import annotations

from diagram_factory import addr, link, namespace, snapshot
from diagram_helpers import case_snapshots, drawn_text, node_ids

from netstack_docs.diagrams import overview


def host(name: str, uplink: str, vni: int | None) -> dict:
    links = [link(1, "lo", "loopback"), link(2, "eth0", "device"), link(3, "docker0", "bridge")]
    if vni is not None:
        links.append(link(4, "vx", "vxlan", info={"id": vni, "dev": "eth0"}))
    ns = namespace("root", "root", links, [addr("eth0", uplink), addr("docker0", "172.17.0.1/16")])
    return snapshot("big", name, [ns])


def test_shared_vni_and_uplink_subnet_connect_hosts_but_host_local_bridges_do_not() -> None:
    ov = overview.collect(list(case_snapshots("env-shared-vni-subnet").items()))
    assert ov.vnis == {7: ["db-1"], 42: ["app-1", "app-2"]}
    assert ov.subnets == {"192.0.2.0/24": ["app-1", "app-2"], "198.51.100.0/24": ["db-1"]}


def test_a_big_environment_folds_hosts_with_identical_connections() -> None:
    hosts = [(f"web-{i:02d}", host(f"web-{i:02d}", f"192.0.2.{i + 10}/24", 42)) for i in range(20)]
    hosts += [(f"db-{i}", host(f"db-{i}", f"198.51.100.{i + 10}/24", None)) for i in range(2)]
    hosts += [(f"lone-{i}", host(f"lone-{i}", f"203.0.{i}.1/24", None)) for i in range(10)]
    ov = overview.collect(hosts)
    dot = overview.draw(ov, "Environment big", "/tmp/unused")
    nodes = node_ids(dot)
    # 20 web hosts -> 1 node, 2 db hosts stay (fewer than GROUP_MIN), 10 unconnected hosts -> 1 node,
    # plus the VNI 42 hub and the two shared subnets
    assert len(nodes) == 1 + 2 + 1 + 3
    text = " ".join(drawn_text(dot))
    assert "20 hosts, same connections" in text and "10 hosts, same connections" in text
    note = overview.note(ov)
    assert note is not None and "20 hosts" in note and "10 hosts" in note
    alt, text_md = overview.text(ov, "big")
    assert all(f"[{s.replace('-', chr(92) + '-')}]({s}/index.md)" in text_md for s, _ in hosts)


def test_a_small_environment_draws_every_host() -> None:
    hosts = [(f"h{i}", host(f"h{i}", f"192.0.2.{i + 10}/24", 42)) for i in range(overview.MAX_HOSTS)]
    assert len(overview.host_nodes(overview.collect(hosts))) == overview.MAX_HOSTS


def test_ovs_tunnel_endpoints_join_hosts_and_a_remote_outside_the_env_is_only_listed() -> None:
    ov = overview.collect(list(case_snapshots("env-ovs-tunnels").items()))
    assert ov.tunnel_hubs() == {"vxlan": ["compute-1", "compute-2"]}
    assert ("vxlan", "compute-1", "10.0.0.10", None) in ov.tunnels
    assert ("vxlan", "compute-1", "10.0.0.12", "compute-2") in ov.tunnels
    alt, text_md = overview.text(ov, "cloud")
    assert "1 kind of OVS tunnel" in alt
    assert r"OVS vxlan tunnel from compute\-1 to compute\-2 (10\.0\.0\.12)" in text_md
    assert r"10\.0\.0\.10, not a host of cloud" in text_md
