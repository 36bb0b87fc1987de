"""Links of every kind this kernel has, built for real in a sandbox and captured with the CLI."""

from __future__ import annotations

from capturecli import capture, link, namespace

TOPOLOGY = r"""
ip netns add red
ip link add 'v|<0' type veth peer name v-red netns red
ip link add br0 type bridge stp_state 1 forward_delay 400 ageing_time 12000 priority 4096
ip link set 'v|<0' master br0 mtu 1400 alias 'uplink {{x}} `y`'
ip link set dev 'v|<0' type bridge_slave cost 7 priority 12
ip link set br0 up; ip link set 'v|<0' up; ip -n red link set v-red up
ip link add up0 type veth peer name up1
ip addr add 192.0.2.1/24 dev up0; ip link set up0 up
ip link add vx42 type vxlan id 42 dstport 4789 local 192.0.2.1 remote 192.0.2.2 dev up0
ip link add vxm type vxlan id 7 dstport 8472 group 239.1.1.1 dev up0
ip tuntap add tap7 mode tap
ip link add ifb3 type ifb
ip link set up1 txqlen 77
"""


def test_links_of_every_available_kind_are_captured_with_kind_specific_info():
    doc = capture(TOPOLOGY)
    root, red = namespace(doc, "root"), namespace(doc, "red")

    veth = link(root, "v|<0")
    assert veth["kind"] == "veth"
    assert veth["parent"] == {"ifname": "v-red", "ifindex": link(red, "v-red")["ifindex"], "netns": "red"}
    assert link(red, "v-red")["parent"]["netns"] == "root"
    assert link(red, "v-red")["parent"]["ifname"] == "v|<0"
    assert veth["mtu"] == 1400 and veth["alias"] == "uplink {{x}} `y`"
    assert veth["master"] == "br0"
    assert veth["port"]["kind"] == "bridge"
    assert veth["port"]["cost"] == 7 and veth["port"]["priority"] == 12
    running = doc["state"]["namespaces"]["root"]["links"]["v|<0"]  # the port's STP state is state
    assert "state" not in veth["port"] and "operstate" not in veth
    assert running["port"]["state"] in ("listening", "learning", "forwarding", "blocking")
    assert running["operstate"] in ("UP", "LOWERLAYERDOWN")
    assert "UP" in veth["flags"]

    bridge = link(root, "br0")
    assert bridge["kind"] == "bridge"
    info = bridge["info"]
    assert info["stp_state"] == 1 and info["forward_delay"] == 400 and info["ageing_time"] == 12000
    assert info["priority"] == 4096 and info["vlan_filtering"] == 0
    assert "hello_timer" not in info and "gc_timer" not in info  # timers are state

    vx = link(root, "vx42")
    assert vx["kind"] == "vxlan"
    assert vx["info"]["id"] == 42 and vx["info"]["port"] == 4789
    assert vx["info"]["local"] == "192.0.2.1" and vx["info"]["remote"] == "192.0.2.2"
    assert vx["info"]["dev"] == "up0"
    assert link(root, "vxm")["info"]["group"] == "239.1.1.1"
    assert "remote" not in link(root, "vxm")["info"]

    tap = link(root, "tap7")
    assert tap["kind"] == "tun" and tap["info"]["type"] == "tap"
    assert link(root, "ifb3")["kind"] == "ifb"
    assert link(root, "lo")["kind"] == "loopback"
    assert link(root, "up1")["txqlen"] == 77
    assert link(root, "up1")["num_tx_queues"] >= 1

    # Counters never enter the configuration; they are kept per interface in state.
    assert all("stats64" not in x and "stats" not in x for x in root["links"])
    stats = doc["state"]["namespaces"]["root"]["link_stats"]
    assert set(stats["br0"]) >= {"rx_packets", "tx_bytes"}
    assert [x["ifname"] for x in root["links"]] == sorted(x["ifname"] for x in root["links"])
    assert root["gaps"] == [] and red["gaps"] == []


def test_xdp_program_attached_in_generic_mode_is_reported_with_its_id():
    setup = (
        "ip link add x0 type veth peer name x1\nip link set x0 up\nip link set x1 up\n"
        "$PYTHON $REPO/tests/bpfload.py xdp x0 --name nsd_xdp > /tmp/prog_id\n"
    )
    doc = capture(setup, after="echo PROG=$(cat /tmp/prog_id) >&2")
    xdp = link(namespace(doc, "root"), "x0")["xdp"]
    assert xdp["mode"] == "xdpgeneric"
    assert xdp["prog_id"] > 0
    assert link(namespace(doc, "root"), "x1")["xdp"] is None
    assert xdp["prog_name"] == "nsd_xdp"  # the name comes from the host's BPF program list
