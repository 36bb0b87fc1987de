"""Reach's regions against the kernel (issue 21, point 6): the edge lab built in a sandbox, captured, every
region of "who reaches the edge's addresses and ports from the uplink" sampled inside and on its edges,
and each packet sent for real from the ISP's namespace, which owns the source addresses it sends from."""

from __future__ import annotations

import json

import pytest
from sandbox import REPO, run_in_sandbox

AFTER_CAPTURE = r"""
for ns in "" $(ip netns list | cut -d' ' -f1); do
  x() { case "$ns" in "") "$@";; *) ip netns exec "$ns" "$@";; esac; }
  x sh -c 'sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0' || true
done
"""
LISTENERS = r"""
listener web tcp 10.10.0.10 8443 lan
wait_listening 8443
"""


def test_every_region_of_the_uplink_is_what_the_kernel_does() -> None:
    script = "\n".join(
        [
            f'LAB="{REPO}/lab"',
            f'. "{REPO}/lab/topologies/common.sh"',
            f'. "{REPO}/lab/topologies/prod/edge-01.sh"',
            LISTENERS,
            '"$PYTHON" -m netstack_docs capture --env prod --host edge-01 --role "$ROLE" '
            "--out /mnt/snap.json --quiet",
            AFTER_CAPTURE,
            f'"$PYTHON" "{REPO}/tests/reach/kernel_reach.py" /mnt/snap.json prod edge-01 wan0 isp 1100 '
            '"xdp:wan0=pass,tc:lan0:ingress:*=ok"',
            # the office side: ssh delivered from the LAN's own subnet, dropped from elsewhere
            f'"$PYTHON" "{REPO}/tests/reach/kernel_reach.py" /mnt/snap.json prod edge-01 lan0 lan 1000 '
            '"xdp:wan0=pass,tc:lan0:ingress:*=ok" 10.10.0.0/24,100.64.0.0/16',
        ]
    )
    proc = run_in_sandbox(script, timeout=900, check=False)
    reports = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert len(reports) == 2, f"the driver printed {len(reports)} reports\n{proc.stdout}\n{proc.stderr}"
    for report in reports:
        print("\nreach vs kernel:", {k: v for k, v in report.items() if k != "disagree"})
        assert report["disagreements"] == 0, json.dumps(report["disagree"], indent=1)
    assert sum(r["packets"] for r in reports) >= 5000
    fates = {f.split()[0] for r in reports for f in r["fates"]}
    assert {"delivered", "dropped"} <= fates  # both answers are proven, not only drops
    assert proc.returncode == 0, proc.stderr


# lab -> the prefixes the far side sends from ("": kernel_reach.py's outside ranges); fail2ban's include
# the addresses it banned, so that the ban's region is proven too
UPSTREAM = {
    "docker-iptables": "",
    "docker-nftables": "",
    "firewalld": "",
    "firewalld-iptables": "",
    "fail2ban-iptables": "203.0.113.64/27,192.0.2.0/24",
    "kube-proxy-iptables-nft": "",
}


@pytest.mark.parametrize("lab", sorted(UPSTREAM))
def test_regions_of_upstream_rules_are_what_the_kernel_does(lab: str) -> None:
    """The same proof on labs that install rules as upstream projects ship them (lab/README.md cites
    each): new TCP connections from the uplink's far side to the host's uplink address and its ports
    (a published Docker port lands in its container), every region sampled and sent for real."""
    script = "\n".join(
        [
            f'LAB="{REPO}/lab"',
            f'. "{REPO}/lab/topologies/common.sh"',
            f'. "{REPO}/lab/topologies/upstream/{lab}.sh"',
            f'"$PYTHON" -m netstack_docs capture --env upstream --host {lab} --role x '
            "--out /mnt/snap.json --quiet",
            AFTER_CAPTURE,
            f'"$PYTHON" "{REPO}/tests/reach/kernel_reach.py" /mnt/snap.json upstream {lab} eth0 internet '
            f'40 "" {UPSTREAM[lab]}',
        ]
    )
    proc = run_in_sandbox(script, timeout=900, check=False)
    reports = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert len(reports) == 1, f"{proc.stdout}\n{proc.stderr}"
    report = reports[0]
    print(f"\n{lab}: reach vs kernel:", {k: v for k, v in report.items() if k != "disagree"})
    assert report["disagreements"] == 0, json.dumps(report["disagree"], indent=1)
    assert report["packets"] >= 80
    assert any(f.startswith("delivered") for f in report["fates"])  # deliveries proven, not only refusals
    assert proc.returncode == 0, proc.stderr


POD = "cni-5eed01{i:02x}-{i:04x}-4000-8000-{i:012x}"  # k8s-node.sh's pod namespaces (NODE=1)
# the pods' subnet: the node answers it on cni0, so the answer comes back to the pod that sent (the node
# answers other sources by its uplink; the addresses a namespace holds are left out, so the node's own,
# the martian region, is not sent from: a pod holding one would take the node's answers to all)
POD_SOURCES = "10.244.1.0/24"
# the node's addresses on the pod side (cni0's, flannel.1's): its answer from its uplink address to a
# source the pod holds for the moment fails in the kernel otherwise than trace's answer says (refused vs
# lost), which is the answer's way back, not what the rows claim
POD_DST = "10.244.1.0/31"
# pods 2 to 6 (pod 1's port answers for theirs); a few packets a region each: the lab's stand-in listener
# never accepts, and sixty connections at once from one pod end refused in the kernel
PODS = (2, 3, 4, 5, 6)


def test_rows_of_a_pod_port_made_from_another_port_are_what_the_kernel_does() -> None:
    """The exposure rows of pod ports that the first pod port's answer gives (reach/ports.py: alike
    bridge ports), proven like the engine's: the k8s node lab's pods 2 to 6 send, through their own
    ports, new connections to the node's pod-side addresses from the sources whose answer comes back to
    the pod (the pod owns each for the moment): the delivered region; the dropped one (martian sources,
    the node's own addresses) is not sent from."""
    lines = [
        f'LAB="{REPO}/lab"',
        f'. "{REPO}/lab/topologies/common.sh"',
        f'. "{REPO}/lab/topologies/prod/k8s-node-01.sh"',
        '"$PYTHON" -m netstack_docs capture --env prod --host k8s-node-01 --role "$ROLE" '
        "--out /mnt/snap.json --quiet",
        AFTER_CAPTURE,
    ]
    for i in PODS:
        lines.append(
            f'KERNEL_REACH_EXPOSURE=1 KERNEL_REACH_DST={POD_DST} KERNEL_REACH_SEED={i} '
            f'"$PYTHON" "{REPO}/tests/reach/kernel_reach.py" /mnt/snap.json prod '
            f'k8s-node-01 veth1a2b01{i:02x} {POD.format(i=i)} 10 "" {POD_SOURCES}'
        )
        # the sources the pod held go with it, and the node forgets where they were
        lines.append(f"ip -n {POD.format(i=i)} route flush table local proto boot; ip neigh flush dev cni0")
    proc = run_in_sandbox("\n".join(lines), timeout=900, check=False)
    reports = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert len(reports) == len(PODS), f"{len(reports)} reports\n{proc.stdout}\n{proc.stderr}"
    for report in reports:
        print("\nexposure rows vs kernel:", {k: v for k, v in report.items() if k != "disagree"})
        assert report["derived"] is True  # made from the first port's answer, not asked of the engine
        assert report["disagreements"] == 0, json.dumps(report["disagree"], indent=1)
    assert sum(r["packets"] for r in reports) >= 60
    assert all(any(f.startswith("delivered") for f in r["fates"]) for r in reports)
    assert proc.returncode == 0, proc.stderr
