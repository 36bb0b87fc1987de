"""Addresses, routes of several tables (one named in a private rt_tables), rules, neighbours, FDB."""

from __future__ import annotations

from capturecli import capture, namespace

# /etc is a throwaway overlay inside the sandbox: writing rt_tables there never touches the machine.
TOPOLOGY = r"""
mkdir -p /etc/iproute2/rt_tables.d
printf '100\tblue-table\n' > /etc/iproute2/rt_tables.d/nsd-test.conf
ip link add r0 type veth peer name r1
ip link set r0 up; ip link set r1 up
ip addr add 10.1.0.1/24 dev r0
ip addr add 10.1.0.9/24 dev r0 label r0:sec
ip -6 addr add 2001:db8:1::1/64 dev r0 nodad
ip route add default via 10.1.0.254 metric 50
ip route add 198.51.100.0/24 via 10.1.0.2 table blue-table
ip route add blackhole 203.0.113.0/24 table 200
ip -6 route add 2001:db8:99::/48 via 2001:db8:1::2 table blue-table
ip route add 192.0.2.0/24 nexthop via 10.1.0.2 weight 1 nexthop via 10.1.0.3 weight 3
ip rule add from 10.1.0.0/24 lookup blue-table pref 100
ip rule add fwmark 0x10/0xff lookup 200 pref 200
ip -6 rule add to 2001:db8:99::/48 lookup blue-table pref 300
ip neigh add 10.1.0.2 lladdr 02:00:00:00:00:02 dev r0 nud permanent
ip neigh add 10.1.0.3 lladdr 02:00:00:00:00:03 dev r0 nud reachable
ip link add brf type bridge; ip link set r1 master brf; ip link set brf up
bridge fdb add 02:00:00:00:00:aa dev r1 master static
ip neigh add proxy 10.1.0.77 dev r0
ip -6 neigh add proxy 2001:db8:1::77 dev r0
ip neigh add 10.1.0.4 lladdr 02:00:00:00:00:04 dev r0 nud reachable extern_learn
bridge fdb add 02:00:00:00:00:bb dev r1 master extern_learn
"""


def test_addresses_routes_rules_neighbours_and_fdb_are_captured():
    doc = capture(TOPOLOGY)
    root = namespace(doc, "root")

    addrs = {(a["ifname"], a["address"]): a for a in root["addresses"]}
    a4 = addrs[("r0", "10.1.0.1")]
    assert a4["family"] == "inet" and a4["prefixlen"] == 24 and a4["scope"] == "global"
    assert addrs[("r0", "10.1.0.9")]["label"] == "r0:sec"
    assert "secondary" in addrs[("r0", "10.1.0.9")]["flags"]
    a6 = addrs[("r0", "2001:db8:1::1")]
    assert a6["family"] == "inet6" and "nodad" in a6["flags"]
    assert "tentative" not in str(root["addresses"])  # DAD progress is state

    routes = root["routes"]
    def find(table: str, dst: str) -> dict:
        hits = [r for r in routes if r["table"] == table and r["dst"] == dst]
        assert len(hits) == 1, (table, dst, hits)
        return hits[0]
    default = find("main", "default")
    assert default["gateway"] == "10.1.0.254" and default["metric"] == 50 and default["dev"] == "r0"
    assert find("blue-table", "198.51.100.0/24")["gateway"] == "10.1.0.2"
    assert find("200", "203.0.113.0/24")["type"] == "blackhole"
    v6 = find("blue-table", "2001:db8:99::/48")
    assert v6["family"] == "inet6" and v6["gateway"] == "2001:db8:1::2"
    multipath = find("main", "192.0.2.0/24")
    assert multipath["nexthops"] == [
        {"gateway": "10.1.0.2", "dev": "r0", "weight": 1},
        {"gateway": "10.1.0.3", "dev": "r0", "weight": 3},
    ]
    # the routes the kernel derives from the addresses are state (they follow DAD and link state)
    assert not [r for r in routes if r["protocol"] == "kernel" or r["table"] == "local"]
    derived = doc["state"]["namespaces"]["root"]["derived_routes"]
    assert any(r["table"] == "local" and r["type"] == "local" and r["dst"] == "10.1.0.1/32" for r in derived)
    assert any(r["table"] == "main" and r["dst"] == "10.1.0.0/24" and r["dev"] == "r0" for r in derived)

    rules = root["rules"]
    assert {"family": "inet", "priority": 100, "action": "lookup", "table": "blue-table",
            "src": "10.1.0.0/24"}.items() <= next(r for r in rules if r["priority"] == 100).items()
    mark = next(r for r in rules if r["priority"] == 200)
    assert mark["fwmark"] == "0x10" and mark["fwmask"] == "0xff" and mark["table"] == "200"
    assert next(r for r in rules if r["priority"] == 300)["dst"] == "2001:db8:99::/48"
    assert [r["priority"] for r in rules if r["family"] == "inet"] == [0, 100, 200, 32766, 32767]
    assert next(r for r in rules if r["priority"] == 32766)["protocol"] == "kernel"

    neigh = {(n["ifname"], n["address"]): n for n in root["neighbours"]}
    assert neigh[("r0", "10.1.0.2")]["state"] == "PERMANENT"
    assert neigh[("r0", "10.1.0.2")]["lladdr"] == "02:00:00:00:00:02"
    assert ("r0", "10.1.0.3") not in neigh  # learned/reachable neighbours are state
    learned = doc["state"]["namespaces"]["root"]["neighbours"]
    assert any(n["address"] == "10.1.0.3" for n in learned)

    # proxy entries come only from a dump with NTF_PROXY: configuration
    assert neigh[("r0", "10.1.0.77")]["state"] == "PROXY" and neigh[("r0", "10.1.0.77")]["lladdr"] is None
    assert neigh[("r0", "2001:db8:1::77")]["state"] == "PROXY"
    # extern_learn: a control plane owns the entry; its NUD state (REACHABLE now, STALE later) is state
    assert neigh[("r0", "10.1.0.4")]["state"] == "EXTERN_LEARN"
    assert neigh[("r0", "10.1.0.4")]["flags"] == ["extern_learn"]
    assert any(n["address"] == "10.1.0.4" and n["state"] == "REACHABLE" for n in learned)
    owned = [f for f in root["fdb"] if f["lladdr"] == "02:00:00:00:00:bb"]
    assert [(f["ifname"], f["master"], f["flags"]) for f in owned] == [("r1", "brf", ["extern_learn"])]

    static = [f for f in root["fdb"] if f["lladdr"] == "02:00:00:00:00:aa"]
    assert static == [{"ifname": "r1", "lladdr": "02:00:00:00:00:aa", "master": "brf", "vlan": None,
                       "dst": None, "state": "static", "flags": []}]
