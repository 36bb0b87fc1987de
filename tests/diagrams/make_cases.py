"""Write the snapshot inputs of the golden case folders (run by hand when a case's input should change).

    .venv/bin/python tests/diagrams/make_cases.py

The expected DOT files are then refreshed with UPDATE_GOLDEN=1 (see cases/README.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from diagram_factory import addr, k8s_node, link, namespace, snapshot, veth_pair  # noqa: E402

CASES = Path(__file__).parent / "cases"


def edge_router() -> dict[str, Any]:
    """Every interface kind the topology draws, with an XDP program, htb, tc BPF and nftables hooks."""
    root = namespace(
        "root",
        "root",
        [
            link(1, "lo", "loopback"),
            link(2, "eth0", "device", xdp={"mode": "generic", "prog_id": 42, "prog_name": "xdp_drop"}),
            link(3, "eth1", "device"),
            link(4, "eth2", "device", master="bond0"),
            link(5, "eth3", "device", master="bond0"),
            link(6, "bond0", "bond", info={"mode": "802.3ad"}),
            link(
                7,
                "bond0.100",
                "vlan",
                info={"id": 100},
                parent={"ifname": "bond0", "ifindex": 6, "netns": None},
            ),
            link(8, "br0", "bridge"),
            link(
                9,
                "vxlan100",
                "vxlan",
                master="br0",
                info={"id": 100, "dev": "eth1", "remote": "198.51.100.2"},
            ),
            link(10, "tap0", "tun", master="br0", info={"type": "tap"}),
            link(11, "wg0", "wireguard"),
            link(12, "ifb0", "ifb"),
        ],
        [
            addr("lo", "127.0.0.1/8"),
            addr("eth0", "203.0.113.1/24"),
            addr("eth0", "2001:db8::1/64"),
            addr("eth0", "fe80::1/64"),
            *(addr("bond0.100", f"10.100.{i}.1/24") for i in range(1, 6)),
            addr("eth1", "198.51.100.1/24"),
            addr("bond0.100", "10.100.0.1/24"),
            addr("br0", "10.10.0.1/24"),
            addr("wg0", "10.99.0.1/24"),
        ],
        sysctls={"net.core.default_qdisc": "fq_codel", "net.ipv4.ip_forward": "1"},
    )
    root["tc"]["qdiscs"] = [
        {"ifname": "eth0", "kind": "clsact", "handle": "ffff:", "parent": "ffff:fff1", "options": {}},
        {"ifname": "eth1", "kind": "htb", "handle": "1:", "parent": "root", "options": {"default": "0x10"}},
        {"ifname": "eth2", "kind": "fq_codel", "handle": "0:", "parent": "root", "options": {}},
        {"ifname": "ifb0", "kind": "tbf", "handle": "8001:", "parent": "root",
         "options": {"rate": 80_000_000}},
    ]
    root["tc"]["filters"] = [
        {
            "ifname": "eth0",
            "kind": "bpf",
            "parent": "ffff:fff2",
            "protocol": "all",
            "pref": 1,
            "handle": "0x1",
            "options": {},
            "bpf": {"prog_id": 43, "name": "tc_count", "direct_action": True},
        },
        {  # ingress shaping: eth0's incoming packets go through ifb0's tbf
            "ifname": "eth0",
            "kind": "matchall",
            "parent": "ffff:fff2",
            "protocol": "all",
            "pref": 2,
            "handle": "0x1",
            "options": {},
            "actions": [{"kind": "mirred", "action": "egress redirect", "dev": "ifb0", "then": "stolen"}],
        },
    ]
    chain = {"family": "inet", "table": "filter", "type": "filter"}
    root["nftables"]["tables"] = [{"family": "inet", "name": "filter"}, {"family": "ip", "name": "nat"}]
    root["nftables"]["chains"] = [
        {**chain, "name": "input", "hook": "input", "priority": 0, "policy": "drop"},
        {**chain, "name": "forward", "hook": "forward", "priority": 0, "policy": "drop"},
        {**chain, "name": "mark", "type": "route", "hook": "output", "priority": -150, "policy": "accept"},
        {
            "family": "ip",
            "table": "nat",
            "name": "postrouting",
            "type": "nat",
            "hook": "postrouting",
            "priority": 100,
            "policy": "accept",
        },
        {**chain, "name": "helper"},
    ]
    blue = namespace("blue", "named", [link(1, "lo", "loopback")], [addr("eth0", "10.10.0.2/24")])
    blue["path"] = "/run/netns/blue"
    veth_pair(blue, (2, "eth0"), root, (13, "veth-blue"), master_b="br0")
    blue["nftables"]["tables"] = [{"family": "inet", "name": "fw"}]
    blue["nftables"]["chains"] = [
        {
            "family": "inet",
            "table": "fw",
            "name": "in",
            "type": "filter",
            "hook": "input",
            "priority": 0,
            "policy": "accept",
        }
    ]
    progs = [
        {
            "id": 42,
            "type": "xdp",
            "name": "xdp_drop",
            "tag": "aa",
            "attached": [{"kind": "xdp", "namespace": "root", "ifname": "eth0", "detail": "generic"}],
        },
        {
            "id": 43,
            "type": "sched_cls",
            "name": "tc_count",
            "tag": "bb",
            "attached": [{"kind": "tc", "namespace": "root", "ifname": "eth0", "detail": "ingress"}],
        },
    ]
    return snapshot("prod", "edge-01", [root, blue], bpf={"programs": progs})


def hostile_names() -> dict[str, Any]:
    """Names that are Markdown, HTML, DOT or Jinja2 syntax; a veth whose peer namespace was not captured."""
    names = ["a|b<i>", "{{7*7}}", "x\\", "`t`", "[l](u)", 'q"r', "&amp;"]
    root = namespace(
        "root",
        "root",
        [link(1, "lo", "loopback")] + [link(i + 2, n, "device") for i, n in enumerate(names)],
        [addr("a|b<i>", "192.0.2.1/24")],
    )
    root["links"].append(
        link(20, "veth<gone>", "veth", parent={"ifname": "peer]x", "ifindex": 3, "netns": "pid/999"})
    )
    odd = namespace("<script>", "named", [link(1, "lo", "loopback")])
    odd["nftables"]["chains"] = [
        {
            "family": "inet",
            "table": "t|<b>",
            "name": "c`x`",
            "hook": "input",
            "priority": -5,
            "policy": "accept",
        }
    ]
    return snapshot("lab", 'host <&> "q"', [root, odd])


def docker_host(name: str, vni: int, uplink: str) -> dict[str, Any]:
    """A container host: docker0 (host-local, same range everywhere), a VXLAN to its peers, an uplink."""
    root = namespace(
        "root",
        "root",
        [
            link(1, "lo", "loopback"),
            link(2, "eth0", "device"),
            link(3, "docker0", "bridge"),
            link(4, "vx0", "vxlan", info={"id": vni, "dev": "eth0", "port": 4789}),
        ],
        [
            addr("lo", "127.0.0.1/8"),
            addr("eth0", uplink),
            addr("docker0", "172.17.0.1/16"),
            addr("eth0", "fe80::1/64"),
        ],
    )
    containers = []
    for i in range(2):
        ns = namespace(
            f"docker/{name}{i}",
            "docker",
            [link(1, "lo", "loopback")],
            [addr("eth0", f"172.17.0.{i + 2}/16")],
            owner={"pid": 2000 + i, "comm": "nginx", "container_id": f"{i:02d}" * 32},
        )
        veth_pair(ns, (2, "eth0"), root, (10 + i, f"veth{name}{i}"), master_b="docker0")
        containers.append(ns)
    return snapshot("staging", name, [root, *containers])


def ovs_compute(name: str, address: str, peers: list[str]) -> dict[str, Any]:
    """An OVS compute node (recorded-style: the real capture of this shape is snapshots/prod/compute-01.json):
    br-int with a VM tap, patched to br-tun, whose VXLAN ports lead to the other nodes' addresses."""
    root = namespace(
        "root", "root",
        [link(1, "lo", "loopback"), link(2, "eth0", "device"), link(3, "br-int", "openvswitch"),
         link(4, "tap-vm1", "tun", info={"type": "tap"})],
        [addr("lo", "127.0.0.1/8"), addr("eth0", f"{address}/24")],
    )

    def port(port_name: str, kind: str, **extra: Any) -> dict[str, Any]:
        options = {k: v for k, v in extra.items() if k in ("peer", "remote_ip", "local_ip")}
        return {"name": port_name, "type": kind, "tag": extra.get("tag"), "trunks": [], "vlan_mode": None,
                "bond_mode": None, "lacp": None, **{k: v for k, v in extra.items() if k != "tag"},
                "interfaces": [{"name": port_name, "type": kind, "options": options}]}

    tunnels = [port(f"vxlan-{p.replace('.', '')}", "vxlan", remote_ip=p, local_ip=address) for p in peers]
    common = {"datapath_type": "system", "fail_mode": "secure", "protocols": [], "controllers": [],
              "flows": []}
    int_ports = [port("br-int", "internal"), port("patch-tun", "patch", peer="patch-int"),
                 port("tap-vm1", "system", tag=1)]
    ovs = {"version": "3.1.0", "db_version": "8.3.1", "bridges": [
        {**common, "name": "br-int", "ports": int_ports},
        {**common, "name": "br-tun", "ports": [port("patch-int", "patch", peer="patch-tun"), *tunnels]}]}
    return snapshot("cloud", name, [root], ovs=ovs)


def write(case: str, docs: dict[str, dict[str, Any]]) -> None:
    folder = CASES / case / "snapshots"
    folder.mkdir(parents=True, exist_ok=True)
    for host, doc in docs.items():
        text = json.dumps(doc, indent=1, sort_keys=True)
        if len(text) > 50_000:  # big generated hosts: one line per namespace is enough to read
            text = (
                "{\n"
                + ",\n".join(
                    f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in sorted(doc.items())
                )
                + "\n}"
            )
        (folder / f"{host}.json").write_text(text + "\n")


if __name__ == "__main__":
    write("edge-router", {"edge-01": edge_router()})
    write("k8s-200-pods", {"k8s-node-1": k8s_node(200)})
    write("hostile-names", {"hostile": hostile_names()})
    write(
        "env-shared-vni-subnet",
        {
            "app-1": docker_host("app-1", 42, "192.0.2.11/24"),
            "app-2": docker_host("app-2", 42, "192.0.2.12/24"),
            "db-1": docker_host("db-1", 7, "198.51.100.5/24"),
        },
    )
    write(
        "env-ovs-tunnels",
        {
            "compute-1": ovs_compute("compute-1", "10.0.0.11", ["10.0.0.12", "10.0.0.10"]),
            "compute-2": ovs_compute("compute-2", "10.0.0.12", ["10.0.0.11", "10.0.0.10"]),
            "db-1": docker_host("db-1", 7, "198.51.100.5/24"),
        },
    )
