"""The lean struct decoding of links, routes, addresses, neighbours, rules and devconf equals pyroute2's.

Both decode the same kernel dumps of a sandbox host with every route, address and neighbour form
the lean decoder takes or leaves to pyroute2 (multipath, metrics, expiring routes, peers, proxies,
VXLAN FDB entries, rules with selectors, per-device settings, links of several kinds, a bridge and
its ports, XDP); the collectors' parsed results must
be equal, and both paths must have been taken.
"""

from __future__ import annotations

import json

from sandbox import run_in_sandbox
from test_links import TOPOLOGY as LINKS
from test_routing import TOPOLOGY

MORE = r"""
ip route add 10.9.0.0/16 via 10.1.0.2 mtu 1400 advmss 1300
ip -6 route add 2001:db8:77::/64 via 2001:db8:1::2 metric 7 pref high
ip -6 route add 2001:db8:55::/64 expires 300 dev r0
ip route add prohibit 10.66.0.0/16
ip route add 10.8.0.0/16 dev r0 src 10.1.0.1 proto static scope link
ip addr add 10.77.0.1/32 peer 10.77.0.2 dev r0
ip addr add 10.78.0.1/24 brd + dev r0 valid_lft 300 preferred_lft 200
ip rule add iif r0 ipproto tcp dport 80-90 lookup 200 pref 400
ip rule add not from 10.2.0.0/16 uidrange 100-200 prohibit pref 500
ip link add vx0 type vxlan id 4242 dstport 4790 local 10.1.0.1 dev r0
ip link set vx0 master brf up
bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.1.0.9
sysctl -qw net.ipv6.conf.r0.accept_ra=2 net.ipv4.conf.r0.rp_filter=2 net.ipv4.conf.r0.src_valid_mark=1
ip netns add other
ip link add o0 type veth peer name o1 netns other
ip -n other link set o1 up
ip -n other addr add 10.3.0.2/24 dev o1
ip -n other route add default via 10.3.0.1 dev o1 onlink
ip link add x0 type veth peer name x1
ip link set x0 up; ip link set x1 up
$PYTHON $REPO/tests/bpfload.py xdp x0 --name nsd_xdp > /dev/null
"""

COMPARE = r"""
import json
from netstack_docs.capture import lean, links, neighbours, netns, routes, rtnl, rules


def pyroute2_devconf(msg):
    # the values as pyroute2's own IFLA_AF_SPEC decoder gives them (the reference for lean.devconf)
    spec = rtnl.attr_getter(msg)("IFLA_AF_SPEC")
    out = {}
    for name, value in spec.get("attrs", []) if spec is not None else []:
        if name == "AF_INET":
            out["ipv4"] = {k: v for k, v in value.items() if isinstance(v, int) and k != "dummy"}
        elif name == "AF_INET6":
            conf = value.get_attr("IFLA_INET6_CONF") or {}
            out["ipv6"] = {k: v - (1 << 32) if v >= 1 << 31 else v
                           for k, v in conf.items() if isinstance(v, int)}
            if value.get_attr("IFLA_INET6_ADDR_GEN_MODE") is not None:
                out["ipv6"]["addr_gen_mode"] = value.get_attr("IFLA_INET6_ADDR_GEN_MODE")
    return out


def untimed(value):
    # bridge and port timers tick between the two dumps: their presence is compared, not their value
    if isinstance(value, dict):
        return {k: "timer" if k.endswith("_timer") else untimed(v) for k, v in value.items()}
    return value


def parsed(use_lean):
    ipr = rtnl.Rtnl(lean=use_lean)
    out = []
    names = {}
    for m in ipr.get_links():
        names[m["index"]] = m.get_attr("IFLA_IFNAME")
        stats = links.stats64(m)  # counters move between the two dumps: their names must not
        config, state = links.parse_link(m)
        out.append((type(m).__name__, "link", [config, untimed(state), sorted(stats)], None))
        out.append((type(m).__name__, "devconf", links.devconf(m), None))
    for m in ipr.get_routes():
        if m["family"] in routes.FAMILY:
            route, state = routes.parse_route(m, names)
            out.append((type(m).__name__, "route", [route, sorted(state)], state.get("expires")))
    for m in ipr.get_addr():
        if m["family"] in (2, 10):
            from netstack_docs.capture import addresses
            addr = addresses.parse_address(m, names)
            own = addresses.kernel_link_local(m, addr[0], True)
            # lifetimes count down between the two dumps (seconds): compared apart, like a route's expiry
            lifetimes = [addr[1].pop(k, None) for k in ("valid_lft", "preferred_lft")]
            out.append((type(m).__name__, "address", [addr, own], lifetimes))
    for m in ipr.get_neighbours():
        if m["family"] in neighbours.FAMILY:
            out.append((type(m).__name__, "neighbour", neighbours.parse_neighbour(m, names), None))
    for m in ipr.get_proxy_neighbours():
        if m["family"] in neighbours.FAMILY:
            out.append((type(m).__name__, "proxy", neighbours.parse_proxy(m, names), None))
    for m in ipr.get_fdb():
        if m["family"] == 7:
            out.append((type(m).__name__, "fdb", neighbours.parse_fdb(m, names), None))
    for m in ipr.get_rules():
        if m["family"] in routes.FAMILY:
            out.append((type(m).__name__, "rule", rules.parse(m, routes.table_name, routes.proto_name), None))
    ipr.close()
    return out


def both():
    devconf = [(links.devconf(m), pyroute2_devconf(m)) for m in rtnl.Rtnl(lean=False).get_links()]
    return {"lean": parsed(True), "pyroute2": parsed(False), "devconf": devconf}


out = netns.run_all([netns.Task("other", "/run/netns/other", both), netns.Task("root", None, both)])
for key, outcome in out.items():
    assert outcome.error is None, outcome.error
print(json.dumps({k: o.value for k, o in out.items()}))
"""


def test_lean_decoding_equals_pyroute2s_on_every_dump_it_serves():
    script = f"{TOPOLOGY}\n{LINKS}\n{MORE}\nsettle\n$PYTHON - <<'PY'\n{COMPARE}\nPY\n"
    out = json.loads(run_in_sandbox(script).stdout.strip().splitlines()[-1])
    kinds: dict[str, set[str]] = {}
    for ns_id in ("root", "other"):
        lean, reference = out[ns_id]["lean"], out[ns_id]["pyroute2"]
        assert len(lean) == len(reference) > 10
        for mine, theirs in zip(lean, reference, strict=True):
            (how, what, value, expires), (ref_how, ref_what, ref_value, ref_expires) = mine, theirs
            assert ref_how != "LeanMsg" and what == ref_what
            assert value == ref_value, (ns_id, what, value, ref_value)
            if what == "address":  # lifetimes in seconds; forever (2**32 - 1) does not tick
                for mine_lft, ref_lft in zip(expires, ref_expires, strict=True):
                    assert (mine_lft is None) == (ref_lft is None), (ns_id, value, expires, ref_expires)
                    if mine_lft is not None:
                        assert 0 <= mine_lft - ref_lft <= 60, (ns_id, value, expires, ref_expires)
            elif expires is not None:  # a timer, read twice a moment apart: counts down, never up
                assert 0 <= expires - ref_expires <= 500  # the lean dump runs first
            kinds.setdefault(what, set()).add(how)
        for new, reference_devconf in out[ns_id]["devconf"]:
            assert new == reference_devconf and new["ipv4"] and new["ipv6"]
    # every dump went through the lean decoder; routes it cannot take (multipath, metrics) through pyroute2
    assert {what for what, how in kinds.items() if "LeanMsg" in how} == {
        "link", "devconf", "route", "address", "neighbour", "proxy", "fdb", "rule"}
    assert kinds["route"] == {"LeanMsg", "rtmsg"}


def test_the_types_decoded_lean_are_pyroute2s_own_atoms_in_every_class_it_serves():
    # a message class overriding `uint32` or `ipaddr` with a decoder of its own would make the lean
    # value differ from pyroute2's on some host: such a class must be noticed here
    from pyroute2.netlink import nlmsg_atoms
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

    from netstack_docs.capture import lean, rtnl

    plain = [*lean._INT_FORMATS, "ipaddr", "target", "l2addr", "lladdr", "asciiz"]
    classes = [decoder.msg_class for decoder in rtnl.LEAN.values()] + [ifinfmsg.ifinfo.bridge_slave_data]
    assert len(classes) == 6
    for cls in classes:
        assert [n for n in plain if getattr(cls, n, None) is not getattr(nlmsg_atoms, n)] == [], cls
