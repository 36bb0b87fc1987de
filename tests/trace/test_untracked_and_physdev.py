"""Untracked packets and bridge ports in the IP hooks, against the kernel (issue 20).

The host (the sandbox's root namespace) has a bridge br0 (10.7.0.1/24) with two ports, p1 to namespace
`a` (10.7.0.2) and p2 to namespace `b` (10.7.0.3), br_netfilter on, and an uplink up0 (10.6.0.1/24)
to namespace `far` (10.6.0.2). Its rules:

- `-m physdev` in iptables-nft's FORWARD and INPUT: the port a packet came in on (`--physdev-in`, with
  a `p+` wildcard), the port it is bridged out of (`--physdev-out`), whether it is bridged at all
  (`--physdev-is-bridged`, negated too); a routed packet that came in through a bridge port still
  carries its in-port, a packet from the uplink carries none.
- notrack, from iptables-nft's raw table (`-j CT --notrack`) and from an nftables chain before
  conntrack (priority -250), and one after it (-150, no effect): an untracked packet skips the NAT
  chains (a DNAT that would move it elsewhere does not happen), `-m conntrack --ctstate UNTRACKED`
  and `ct state untracked` match it, and `ct mark` of it stops its rule (no connection to read).
- a mark set in one namespace does not cross a veth into another (skb_scrub_packet).

Each flow is sent for real (tests/trace/kernel_probe.py: the outcome and the namespace and port where
the connection landed), and trace must say the same, firmly.
"""

from __future__ import annotations

import json

import pytest
from sandbox import REPO, run_in_sandbox

from netstack_docs.analysis.trace import Fleet, Packet, trace

SCRIPT = rf"""
. "{REPO}/lab/topologies/common.sh"
ip link set lo up
sysctl -qw net.ipv4.ip_forward=1
ip link add br0 type bridge; ip link set br0 up; ip addr add 10.7.0.1/24 dev br0
ip netns add a; veth_ns a eth0 p1 10.7.0.2/24; ip link set p1 master br0
ip netns add b; veth_ns b eth0 p2 10.7.0.3/24; ip link set p2 master br0
ip netns add far; veth_ns far eth0 up0 10.6.0.2/24; ip addr add 10.6.0.1/24 dev up0
ip -n a route add default via 10.7.0.1; ip -n b route add default via 10.7.0.1
ip -n far route add 10.7.0.0/24 via 10.6.0.1
ipt=iptables-nft
$ipt -A FORWARD -m physdev --physdev-in p1 --physdev-out p2 -p tcp --dport 81 -j DROP
$ipt -A FORWARD -m physdev --physdev-is-bridged -p tcp --dport 82 -j REJECT
$ipt -A FORWARD -m physdev ! --physdev-is-bridged -p tcp --dport 83 -j DROP
$ipt -A FORWARD -m physdev --physdev-in p+ -p tcp --dport 84 -j DROP
$ipt -A INPUT -m physdev --physdev-in p2 -p tcp --dport 85 -j DROP
$ipt -t raw -A PREROUTING -p tcp -m multiport --dports 8080,8086 -j CT --notrack
$ipt -t nat -A PREROUTING -p tcp -m multiport --dports 8080,8081 -j DNAT --to-destination 10.7.0.3:80
$ipt -A INPUT -p tcp --dport 8086 -m conntrack --ctstate UNTRACKED -j DROP
nft -f - <<'NFT'
table ip t {{
	chain raw {{ type filter hook prerouting priority -250; tcp dport {{ 9090, 9093, 9094 }} notrack; }}
	chain late {{ type filter hook prerouting priority -150; tcp dport 9092 notrack; }}
	chain nat {{ type nat hook prerouting priority dstnat + 5;
		tcp dport {{ 9090, 9092 }} dnat to 10.7.0.3:80
	}}
	chain in {{ type filter hook input priority 10;
		ct state untracked tcp dport 9093 drop
		ct mark 0 tcp dport 9094 drop
		meta mark 0x7 tcp dport 9095 drop
	}}
}}
NFT
ip netns exec far nft -f - <<'NFT'
table ip m {{
	chain out {{ type route hook output priority 0; tcp dport 9095 meta mark set 0x7; }}
}}
NFT
sysctl -qw net.bridge.bridge-nf-call-iptables=1
for port in 85 8080 8081 8086 9090 9092 9093 9094 9095; do listener svc$port tcp 0.0.0.0 $port; done
for ns in a b far; do for port in 80 81 82 83 84; do listener web tcp 0.0.0.0 $port $ns; done; done
wait_listening 85 8080 8081 8086 9090 9092 9093 9094 9095
for ns in a b far; do wait_listening_in $ns 80 81 82 83 84; done
"$PYTHON" -m netstack_docs capture --env lab --host r --out "$OUT" --quiet
for ns in "" a b far; do
  x() {{ case "$ns" in "") "$@";; *) ip netns exec "$ns" "$@";; esac; }}
  x sysctl -qw net.ipv4.icmp_ratelimit=0
done
printf '%s\n' "$PROBES" | "$PYTHON" "{REPO}/tests/trace/kernel_probe.py" "$OUT"
"""

# (from, src, dst, dport) -> what the kernel does: verdict and where the connection lands
FLOWS = {
    # bridged a -> b, in p1 out p2: dropped; b -> a (in p2): not that rule
    ("a", "10.7.0.2", "10.7.0.3", 81): ("dropped", None),
    ("b", "10.7.0.3", "10.7.0.2", 81): ("delivered", "a 81"),
    # --physdev-is-bridged: bridged rejected, routed through the bridge's address to the uplink not
    ("a", "10.7.0.2", "10.7.0.3", 82): ("rejected", None),
    ("a", "10.7.0.2", "10.6.0.2", 82): ("delivered", "far 82"),
    # ! --physdev-is-bridged: the routed packet still carries its in-port, the bridged one is bridged
    ("a", "10.7.0.2", "10.7.0.3", 83): ("delivered", "b 83"),
    ("a", "10.7.0.2", "10.6.0.2", 83): ("dropped", None),
    # --physdev-in p+: routed from a bridge port dropped; from the uplink (no bridge port) not
    ("a", "10.7.0.2", "10.6.0.2", 84): ("dropped", None),
    ("far", "10.6.0.2", "10.7.0.2", 84): ("delivered", "a 84"),
    # INPUT --physdev-in p2: to the bridge's own address from b dropped, from a and the uplink not
    ("a", "10.7.0.2", "10.7.0.1", 85): ("delivered", "root 85"),
    ("b", "10.7.0.3", "10.7.0.1", 85): ("dropped", None),
    ("far", "10.6.0.2", "10.6.0.1", 85): ("delivered", "root 85"),
    # -j CT --notrack: no DNAT; without it the DNAT moves the connection to b
    ("far", "10.6.0.2", "10.6.0.1", 8080): ("delivered", "root 8080"),
    ("far", "10.6.0.2", "10.6.0.1", 8081): ("delivered", "b 80"),
    # -m conntrack --ctstate UNTRACKED
    ("far", "10.6.0.2", "10.6.0.1", 8086): ("dropped", None),
    # nft notrack before conntrack: no DNAT; after it (-150): no effect, the DNAT happens
    ("far", "10.6.0.2", "10.6.0.1", 9090): ("delivered", "root 9090"),
    ("far", "10.6.0.2", "10.6.0.1", 9092): ("delivered", "b 80"),
    # ct state untracked matches; ct mark of an untracked packet stops the rule
    ("far", "10.6.0.2", "10.6.0.1", 9093): ("dropped", None),
    ("far", "10.6.0.2", "10.6.0.1", 9094): ("delivered", "root 9094"),
    # the mark far's output put on the packet stays in far: the host's `meta mark 0x7` drop does not see it
    ("far", "10.6.0.2", "10.6.0.1", 9095): ("delivered", "root 9095"),
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fleet, list[dict]]:
    out = tmp_path_factory.mktemp("untracked") / "lab" / "r.json"
    out.parent.mkdir()
    probes = "\n".join(f"{origin} {src} {dst} tcp {dport}" for origin, src, dst, dport in FLOWS)
    proc = run_in_sandbox(SCRIPT, env={"OUT": str(out), "PROBES": probes}, timeout=300)
    got = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith('{"probe"')]
    assert len(got) == len(FLOWS), proc.stdout + proc.stderr
    return Fleet.load(out.parent.parent), got


def test_the_lab_does_what_its_rules_mean(lab: tuple[Fleet, list[dict]]) -> None:
    """The kernel first: every flow ends as the rules above mean (else the lab, not trace, is wrong)."""
    _, got = lab
    for (flow, (verdict, landed)), seen in zip(FLOWS.items(), got, strict=True):
        assert (seen["kernel"], seen["landed"]) == (verdict, landed), (flow, seen)


@pytest.mark.parametrize("n", range(len(FLOWS)), ids=[f"{o}-{d}:{p}" for o, _, d, p in FLOWS])
def test_trace_says_what_the_kernel_did(lab: tuple[Fleet, list[dict]], n: int) -> None:
    fleet, got = lab
    (origin, src, dst, dport), _ = list(FLOWS.items())[n]
    seen = got[n]
    netns = None if origin == "root" else origin
    r = trace(fleet, "lab", "r", Packet(src, dst, "tcp", 40000 + n, dport), from_local=True, netns=netns)
    steps = [s.what for s in r.steps]
    assert r.firm, (seen, r.unknowns, steps)
    assert r.verdict == seen["kernel"], (seen, steps)
    if seen["landed"]:  # the namespace (by its snapshot id) and port where the connection landed
        netns_id = {"": "root"}.get(r.final.netns, r.final.netns)
        assert f"{netns_id} {r.final.dport}" == seen["landed"], (seen, r.final, steps)


@pytest.mark.parametrize(
    ("iif", "to"), [("up0", "tcp/8080"), ("up0", "tcp/8086"), ("p1", "tcp/85"), ("p2", "tcp/85")]
)
def test_reach_over_these_rules_agrees_with_trace(lab: tuple[Fleet, list[dict]], iif: str, to: str) -> None:
    """reach reads iptables matches trace evaluates in Python (physdev, conntrack, multiport) and answers
    the whole space (not the too-many-paths fallback); trace says the same on packets drawn from every
    region and on its edges (tests/reach/test_engine.py's property)."""
    import random
    import sys
    from pathlib import Path

    from netstack_docs.analysis.reach import reach

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reach"))
    from test_engine import _agree, samples

    fleet, _ = lab
    answer = reach(fleet, "lab", "r", ingress=iif, to=to)
    assert not answer.notes, answer.notes
    assert _agree(fleet, answer, samples(answer, random.Random(7), 40, 3), iif) >= 60
