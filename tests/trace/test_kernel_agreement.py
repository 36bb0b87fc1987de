"""trace against the kernel: build a lab topology in a sandbox, capture it, send >= 200 generated flows for
real and compare with what trace says. Per lab the report gives firm verdicts confirmed, firm verdicts
contradicted (must be 0) and undetermined ones with their causes; undetermined verdicts are not compared.

The `upstream/` labs install the rules upstream projects install (Docker's iptables backend, kube-proxy's
nftables mode; see lab/README.md), rules nobody here designed; `lab/rp-01` the reverse-path rules of
firewalld and wg-quick. Trace forks over what it cannot evaluate (an iptables-nft xt match, a random
endpoint choice), so a firm verdict there must be right. Each upstream lab is first probed on the
kernel alone (PROBES): a lab that does not do what its upstream project means fails whatever the engine.

The lab topologies are extended for the test only (before the capture, so the snapshot holds it):
listeners behind the port forward and in the "internet" namespaces, IPv6 on the peers. After the
capture, ICMP rate limits are lifted and neighbour probes shortened (volatile, not in the snapshot)
so that every rejection is seen quickly.
"""

from __future__ import annotations

import json

import pytest
from sandbox import REPO, run_in_sandbox

# ICMP rate limits are lifted before the lab's own probes (several rejections in a row must each be seen).
LIFT_RATELIMITS = r"""
for ns in "" $(ip netns list | cut -d' ' -f1) /run/docker/netns/*; do
  x() { case "$ns" in "") "$@";; /*) nsenter --net="$ns" "$@";; *) ip netns exec "$ns" "$@";; esac; }
  x sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 || true
done
"""
# Neighbour probes are shortened only after them, for the driver's hundreds of flows: at 100 ms a
# retransmission, a loaded machine can miss a neighbour that answers (the kernel then reports the
# address unreachable), and the probes check what the lab means, so they keep the kernel's timings.
SHORT_NEIGHBOUR_PROBES = r"""
for ns in "" $(ip netns list | cut -d' ' -f1) /run/docker/netns/*; do
  x() { case "$ns" in "") "$@";; /*) nsenter --net="$ns" "$@";; *) ip netns exec "$ns" "$@";; esac; }
  x sh -c 'for d in /proc/sys/net/ipv4/neigh/* /proc/sys/net/ipv6/neigh/*; do
      echo 100 > $d/retrans_time_ms; done' || true
done
"""
# What the namespaces' neighbour tables held after the probes: shown when a probe fails.
NEIGHBOURS = r"""
for ns in "" $(ip netns list | cut -d' ' -f1); do
  x() { case "$ns" in "") "$@";; *) ip netns exec "$ns" "$@";; esac; }
  x ip neigh show | sed "s|^|#neigh ${ns:-root}: |"
done
"""

EXTRA = {
    "prod/edge-01": r"""
ip -n isp addr add 100.64.0.7/32 dev lo
ip -n isp addr add 192.0.2.77/32 dev lo
ip -n isp addr add 2001:db8:0:1::1/64 dev eth0 nodad
ip -n lan addr add 2001:db8:10::5/64 dev eth0 nodad
ip -n lan -6 route add default via 2001:db8:10::1
listener web tcp 10.10.0.10 8443 lan
listener web6 tcp :: 80 lan
listener www tcp 0.0.0.0 80 isp
listener mdns udp 0.0.0.0 5353 isp
wait_listening 8443 80 5353
""",
    "staging/docker-01": r"""
in_container() { cid=$1; shift; nsenter --net="/run/docker/netns/$cid" "$@" & }
ln -s "$(readlink -f "$PYTHON")" /mnt/bin/nginx
serve='import socket,sys,time
s=socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(); time.sleep(3600)'
in_container 3f2a1b9c8d7e /mnt/bin/nginx -c "$serve" 80
in_container 9a8b7c6d5e4f /mnt/bin/nginx -c "$serve" 5432
ip -n upstream addr add 100.64.0.9/32 dev lo
listener www tcp 0.0.0.0 443 upstream
wait_listening 443
sleep 0.5
""",
    "lab/rp-01": r"""
listener sshd tcp 0.0.0.0 22
listener sshd6 tcp :: 2222
listener wgapi tcp 10.66.0.2 8000
listener web tcp 0.0.0.0 80 a
listener web tcp 0.0.0.0 80 b
listener web6 tcp :: 8080 b
listener dns udp 0.0.0.0 53 b
wait_listening 22 2222 8000
wait_listening_in a 80
wait_listening_in b 80 8080 53
""",
    "prod/k8s-node-01": r"""
listener nginx tcp 0.0.0.0 80 cni-5eed0101-0001-4000-8000-000000000001
listener coredns udp 0.0.0.0 53 cni-5eed0101-0001-4000-8000-000000000001
listener api tcp 0.0.0.0 8080 cni-5eed0102-0002-4000-8000-000000000002
listener node tcp 0.0.0.0 9000 underlay
wait_listening 80 53 8080 9000
""",
}


# The upstream labs hold their own listeners (in the containers, pods and far namespaces).
UPSTREAM = {
    "upstream/docker-iptables": "",
    "upstream/docker-iptables-legacy": "",
    "upstream/docker-legacy-nft-server": "",
    "upstream/firewalld-iptables": "",
    "upstream/fail2ban-iptables": "",
    "upstream/kube-proxy-iptables": "",
    "upstream/kube-proxy-iptables-nft": "",
    "upstream/kube-proxy-nftables": "",
    "upstream/wg-quick": "",
    "upstream/firewalld": "",
    "upstream/firewall4": "",
    "upstream/tailscale": "",
    "upstream/docker-nftables": "",
    "upstream/tailscale-iptables": "",
}
EXTRA.update(UPSTREAM)

# What the upstream project means its rules to do, checked on the kernel alone (tests/trace/kernel_probe.py)
# before trace is compared with it: (from, src, dst, proto, dport) -> (outcome, where it lands: one of,
# peer address the far end sees: one of). None: not checked.
WEB = "docker/5b7e2c9a1d3f"
RESOLVER = "docker/8d4f1e6b2a7c"
PODS = {
    "web": ("pod/shop/web-6f9c7b8d5-a1b2c 8080", "pod/shop/web-6f9c7b8d5-d3e4f 8080"),
    "dns": "pod/kube-system/coredns-7db6d8ff4d-q2x9z 53",
}
PROBES: dict[str, list[tuple[str, str, tuple[str, ...] | None, tuple[str, ...] | None]]] = {
    "upstream/docker-iptables": [
        # a published port reaches its container, with the client's address kept
        ("internet 203.0.113.1 203.0.113.2 tcp 8080", "delivered", (f"{WEB} 80",), ("203.0.113.1",)),
        ("internet 198.51.100.10 203.0.113.2 udp 5353", "delivered", (f"{RESOLVER} 53",), None),
        # the host's own connection to its published port is DNATed in OUTPUT
        ("root 203.0.113.2 203.0.113.2 tcp 8080", "delivered", (f"{WEB} 80",), ("203.0.113.2",)),
        # from a container, the host's published port goes to docker-proxy (nat DOCKER: -i docker0 RETURN)
        (f"{WEB} 172.17.0.2 172.17.0.1 tcp 8080", "delivered", ("root 8080",), ("172.17.0.2",)),
        # containers reach the internet masqueraded behind the uplink's address, from either network
        (f"{WEB} 172.17.0.2 198.51.100.10 tcp 443", "delivered", ("internet 443",), ("203.0.113.2",)),
        ("docker/e2a9c7b5f1d4 172.18.0.2 198.51.100.10 tcp 443", "delivered", ("internet 443",),
         ("203.0.113.2",)),
        # containers on one bridge talk directly (bridged, br_netfilter on)
        (f"{WEB} 172.17.0.2 172.17.0.3 udp 53", "delivered", (f"{RESOLVER} 53",), None),
        # a neighbour routing to a container directly is dropped (raw PREROUTING)
        ("internet 203.0.113.1 172.17.0.2 tcp 80", "dropped", None, None),
        # networks are isolated from each other
        (f"{WEB} 172.17.0.2 172.18.0.2 tcp 5432", "dropped", None, None),
    ],
    "upstream/kube-proxy-nftables": [
        # ClusterIP to one of the endpoints, the pod's address kept
        ("pod/shop/api-0 10.244.0.5 10.96.120.15 tcp 80", "delivered", PODS["web"], ("10.244.0.5",)),
        ("pod/shop/web-6f9c7b8d5-a1b2c 10.244.0.3 10.96.0.10 udp 53", "delivered", (PODS["dns"],), None),
        ("pod/shop/web-6f9c7b8d5-a1b2c 10.244.0.3 10.96.0.1 tcp 443", "delivered", ("root 6443",),
         ("10.244.0.3",)),
        # hairpin: a pod reaching itself through its service is masqueraded (endpoint chain's mark)
        ("pod/kube-system/coredns-7db6d8ff4d-q2x9z 10.244.0.2 10.96.0.10 tcp 53", "delivered",
         (PODS["dns"],), ("10.244.0.1",)),
        # NodePort from outside: to an endpoint, masqueraded (external chain's mark)
        ("internet 203.0.113.2 192.168.0.2 tcp 30080", "delivered", PODS["web"], ("10.244.0.1",)),
        # a ClusterIP routed to the node from outside the cluster CIDR: masqueraded
        ("internet 203.0.113.2 10.96.120.15 tcp 80", "delivered", PODS["web"], ("10.244.0.1",)),
        # no ready endpoint: rejected; a port the ClusterIP does not serve: rejected; unallocated: dropped
        ("pod/shop/web-6f9c7b8d5-a1b2c 10.244.0.3 10.96.45.3 tcp 9000", "rejected", None, None),
        ("pod/shop/web-6f9c7b8d5-a1b2c 10.244.0.3 10.96.0.10 tcp 80", "rejected", None, None),
        ("pod/shop/web-6f9c7b8d5-a1b2c 10.244.0.3 10.96.0.99 tcp 80", "dropped", None, None),
        # pods reach the world with their own address (routed pod network, no masquerade)
        ("pod/shop/web-6f9c7b8d5-a1b2c 10.244.0.3 198.51.100.20 tcp 443", "delivered", ("internet 443",),
         ("10.244.0.3",)),
    ],
    "upstream/wg-quick": [
        # the uplink's neighbour: its way back is on the uplink's own subnet (main, not suppressed)
        ("internet 192.168.1.1 192.168.1.2 udp 51820", "delivered", ("root 51820",), None),
        # from beyond: the way back is the tunnel (suppress_prefixlength 0, then table 51820): strict
        # rp_filter on eth0 drops it
        ("internet 203.0.113.1 192.168.1.2 tcp 22", "dropped", None, None),
        # the tunnel's address from outside the tunnel: wg-quick's preraw guard
        ("internet 192.168.1.1 10.66.0.2 tcp 22", "dropped", None, None),
        # everything else leaves through the tunnel (nobody reads the stand-in's TUN: no answer)
        ("root 192.168.1.2 198.51.100.20 tcp 443", "dropped", None, None),
        ("lan 10.10.0.5 198.51.100.20 tcp 443", "dropped", None, None),
        ("lan 10.10.0.5 192.168.1.2 tcp 22", "delivered", ("root 22",), None),
    ],
    "upstream/firewalld": [
        # the external zone allows ssh, the default zone also; the LAN is masqueraded to the world
        ("internet 198.51.100.20 203.0.113.2 tcp 22", "delivered", ("root 22",), None),
        ("lan 10.20.0.5 198.51.100.20 tcp 443", "delivered", ("internet 443",),
         ("::ffff:cb00:7102",)),  # 203.0.113.2, as the dual-stack listener sees it
        # nothing else comes in: admin-prohibited (rejected), also forwarded into the LAN
        ("internet 198.51.100.20 203.0.113.2 udp 53", "rejected", None, None),
        ("internet 203.0.113.1 10.20.0.5 tcp 445", "rejected", None, None),
        ("lan 10.20.0.5 10.20.0.1 udp 53", "rejected", None, None),
        # IPv6 leaves unmasqueraded (masquerade is `meta nfproto ipv4`)
        ("lan 2001:db8:20::5 2001:db8:1::1 tcp 443", "delivered", ("internet 443",), ("2001:db8:20::5",)),
    ],
    "upstream/firewall4": [
        # the LAN reaches the router and, masqueraded, the world
        ("lan 10.0.0.100 10.0.0.1 tcp 80", "delivered", ("root 80",), None),
        # masqueraded: 10.11.12.2, as the dual-stack listener sees it
        ("lan 10.0.0.100 198.51.100.20 tcp 443", "delivered", ("internet 443",), ("::ffff:a0b:c02",)),
        # from the wan: DHCP renewals come in, the rest is rejected (tcp reset, port unreachable)
        ("internet 10.11.12.1 10.11.12.2 udp 68", "delivered", ("root 68",), None),
        ("internet 10.11.12.1 10.11.12.2 tcp 22", "rejected", None, None),
        ("internet 198.51.100.20 10.0.0.100 tcp 445", "rejected", None, None),
        # ISAKMP may be forwarded into the LAN (Allow-ISAKMP)
        ("internet 198.51.100.20 10.0.0.100 udp 500", "delivered", ("lan 500",), None),
    ],
    "upstream/tailscale": [
        # the CGNAT range arriving on another interface than the tun: dropped (ts-input)
        ("internet 100.70.0.9 192.168.1.2 tcp 22", "dropped", None, None),
        ("internet 192.168.1.1 192.168.1.2 tcp 22", "delivered", ("root 22",), None),
        # the node's tailnet address from the uplink: nothing guards it
        ("internet 192.168.1.1 100.101.102.103 tcp 22", "delivered", ("root 22",), None),
        # the world through main (rule 5270's table 52 has no route for it)
        ("root 192.168.1.2 198.51.100.20 tcp 443", "delivered", ("internet 443",), None),
        # a tailnet peer's subnet: into the tun (whose stand-in reads nothing)
        ("lan 10.10.0.5 10.50.0.7 tcp 22", "dropped", None, None),
    ],
    "upstream/tailscale-iptables": [  # the same intentions as upstream/tailscale, as xt rules
        ("internet 100.70.0.9 192.168.1.2 tcp 22", "dropped", None, None),
        ("internet 192.168.1.1 192.168.1.2 tcp 22", "delivered", ("root 22",), None),
        ("internet 192.168.1.1 100.101.102.103 tcp 22", "delivered", ("root 22",), None),
        ("root 192.168.1.2 198.51.100.20 tcp 443", "delivered", ("internet 443",), None),
    ],
    "upstream/docker-nftables": [
        # the same intentions as upstream/docker-iptables, from the nftables backend
        ("internet 203.0.113.1 203.0.113.2 tcp 8080", "delivered", (f"{WEB} 80",), ("203.0.113.1",)),
        ("internet 198.51.100.10 203.0.113.2 udp 5353", "delivered", (f"{RESOLVER} 53",), None),
        ("root 203.0.113.2 203.0.113.2 tcp 8080", "delivered", (f"{WEB} 80",), ("203.0.113.2",)),
        (f"{WEB} 172.17.0.2 172.17.0.1 tcp 8080", "delivered", ("root 8080",), ("172.17.0.2",)),
        (f"{WEB} 172.17.0.2 198.51.100.10 tcp 443", "delivered", ("internet 443",), ("203.0.113.2",)),
        ("docker/e2a9c7b5f1d4 172.18.0.2 198.51.100.10 tcp 443", "delivered", ("internet 443",),
         ("203.0.113.2",)),
        (f"{WEB} 172.17.0.2 172.17.0.3 udp 53", "delivered", (f"{RESOLVER} 53",), None),
        ("internet 203.0.113.1 172.17.0.2 tcp 80", "dropped", None, None),
        (f"{WEB} 172.17.0.2 172.18.0.2 tcp 5432", "dropped", None, None),
    ],
}


PROBES["upstream/docker-iptables-legacy"] = PROBES["upstream/docker-iptables"]  # the same rules, x_tables
PROBES["upstream/fail2ban-iptables"] = [
    # a banned address is refused on its jail's ports (icmp-port-unreachable), served on others
    ("internet 203.0.113.66 203.0.113.2 tcp 22", "rejected", None, None),
    ("internet 203.0.113.77 203.0.113.2 tcp 22", "delivered", ("root 22",), None),
    ("internet 203.0.113.77 203.0.113.2 tcp 443", "rejected", None, None),
    ("internet 198.51.100.5 203.0.113.2 tcp 80", "delivered", ("root 80",), None),
]
PROBES["upstream/firewalld-iptables"] = [
    # the forward port reaches the LAN host (conntrack state DNAT lets it through FORWARD)
    ("internet 203.0.113.1 203.0.113.2 tcp 2222", "delivered", ("lan 22",), ("203.0.113.1",)),
    # services of zone public are open, the rest rejected (icmp-host-prohibited: EHOSTUNREACH)
    ("internet 203.0.113.1 203.0.113.2 tcp 22", "delivered", ("root 22",), None),
    ("internet 203.0.113.1 203.0.113.2 tcp 80", "rejected", None, None),
    # zone trusted reaches everything on the host, and the internet masqueraded
    ("lan 10.0.0.2 10.0.0.1 tcp 80", "delivered", ("root 80",), None),
    ("lan 10.0.0.2 198.51.100.10 tcp 443", "delivered", ("internet 443",), ("203.0.113.2",)),
    # from outside to the LAN directly: no zone forwards it
    ("internet 203.0.113.1 10.0.0.2 tcp 8080", "rejected", None, None),
]
# kube-proxy's iptables mode serves the same services; a port a ClusterIP does not serve, or an unallocated
# ClusterIP, is not caught there (no rule: routed on), so those two probes of the nftables mode do not apply.
PROBES["upstream/kube-proxy-iptables"] = [
    p for p in PROBES["upstream/kube-proxy-nftables"] if p[0].split()[2] not in ("10.96.0.99",) and
    not (p[0].split()[2] == "10.96.0.10" and p[0].split()[4] == "80")
]
PROBES["upstream/kube-proxy-iptables-nft"] = PROBES["upstream/kube-proxy-iptables"]  # the same, nf_tables


class Contradicted(AssertionError):
    """The kernel did otherwise than a firm verdict said."""


# What the labs' own BPF programs do, stated as a docs repository states it (the demo's mkdocs.yml):
# edge-01's XDP program passes what the lab sends, its tc program on lan0 only marks.
ASSUME = {"prod/edge-01": ["xdp:wan0=pass", "tc:lan0:ingress:*=ok"]}


def summary(topology: str, report: dict) -> str:
    """The per-lab lines: firm confirmed / contradicted, undetermined with their causes grouped by text."""
    lines = [
        f"{topology}: {report['flows']} flows; firm {report['firm']}: {report['confirmed']} confirmed, "
        f"{len(report['contradicted'])} contradicted ({report['with_assumptions']} firm under assumptions); "
        f"undetermined {report['undetermined']} ({report['undetermined'] / report['flows']:.0%})",
        f"  verdicts {report['verdicts']}; connections per namespace and port "
        f"{report.get('delivered_where')}",
    ]
    lines += [f"  undetermined x{n}: {cause}" for cause, n in report["causes"].items()]
    return "\n".join(lines)


@pytest.mark.parametrize("topology", sorted(EXTRA))
def test_trace_agrees_with_the_kernel(topology: str) -> None:
    env, host = topology.split("/")
    script = "\n".join(
        [
            f'LAB="{REPO}/lab"',
            f'. "{REPO}/lab/topologies/common.sh"',
            f'. "{REPO}/lab/topologies/{topology}.sh"',
            EXTRA[topology],
            f'"$PYTHON" -m netstack_docs capture --env {env} --host {host} --role "$ROLE" '
            "--out /mnt/snap.json --quiet",
            LIFT_RATELIMITS,
            f'"$PYTHON" "{REPO}/tests/trace/kernel_probe.py" /mnt/snap.json <<\'PROBES\'',
            *[probe for probe, *_ in PROBES.get(topology, [])],
            "PROBES",
            NEIGHBOURS,
            SHORT_NEIGHBOUR_PROBES,
            f'"$PYTHON" "{REPO}/tests/trace/kernel_driver.py" /mnt/snap.json {env} {host} 7 230 '
            f'"{",".join(ASSUME.get(topology, []))}"',
        ]
    )
    proc = run_in_sandbox(script, timeout=600, check=False)
    probes = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith('{"probe"')]
    assert len(probes) == len(PROBES.get(topology, [])), f"{proc.stdout}\n{proc.stderr}"
    for got, (_, outcome, landed, peer) in zip(probes, PROBES.get(topology, []), strict=True):
        # The lab itself: the kernel must do what the upstream project means its rules to do.
        neighbours = "\n".join(ln for ln in proc.stdout.splitlines() if ln.startswith("#neigh"))
        assert got["kernel"] == outcome, f"{got}\n{neighbours}"
        assert landed is None or got["landed"] in landed, got
        assert peer is None or got["peer"] in peer, got
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{") and not ln.startswith('{"probe"')]
    assert lines, f"driver printed no report\n{proc.stdout}\n{proc.stderr}"
    report = json.loads(lines[-1])
    print("\n" + summary(topology, report))
    assert report["flows"] >= 200
    assert report["firm"] + report["undetermined"] == report["flows"]
    assert report["confirmed"] + len([c for c in report["contradicted"] if "flow" in c]) == report["firm"]
    assert sum(report["causes"].values()) >= report["undetermined"]  # each undetermined one says why
    assert proc.returncode in (0, 1), proc.stderr  # the driver exits 1 when a firm verdict is contradicted
    if report["contradicted"]:
        shown = json.dumps(report["contradicted"][:15], indent=1)
        raise Contradicted(f"{summary(topology, report)}\n{shown}")
    assert proc.returncode == 0, proc.stderr
