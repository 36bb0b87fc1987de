"""trace against the kernel: build a lab topology in a sandbox, capture it, send >= 200 generated flows for
real and compare with what trace says. Zero disagreements where trace claims a decision.

The lab topologies are extended for the test only (before the capture, so the snapshot holds it):
listeners behind the port forward and in the "internet" namespaces, IPv6 on the peers. After the
capture, ICMP rate limits are lifted and neighbour probes shortened (volatile, not in the snapshot)
so that every rejection is seen quickly.
"""

from __future__ import annotations

import json

import pytest
from sandbox import REPO, run_in_sandbox

AFTER_CAPTURE = r"""
for ns in "" $(ip netns list | cut -d' ' -f1) /run/docker/netns/*; do
  x() { case "$ns" in "") "$@";; /*) nsenter --net="$ns" "$@";; *) ip netns exec "$ns" "$@";; esac; }
  x sh -c 'sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0;
    for d in /proc/sys/net/ipv4/neigh/* /proc/sys/net/ipv6/neigh/*; do
      echo 100 > $d/retrans_time_ms; done' || true
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
""",
    "prod/k8s-node-01": r"""
listener nginx tcp 0.0.0.0 80 cni-5eed0101-0001-4000-8000-000000000001
listener coredns udp 0.0.0.0 53 cni-5eed0101-0001-4000-8000-000000000001
listener api tcp 0.0.0.0 8080 cni-5eed0102-0002-4000-8000-000000000002
listener node tcp 0.0.0.0 9000 underlay
wait_listening 80 53 8080 9000
""",
}


# What the labs' own BPF programs do, stated as a docs repository states it (the demo's mkdocs.yml):
# edge-01's XDP program passes what the lab sends, its tc program on lan0 only marks.
ASSUME = {"prod/edge-01": ["xdp:wan0=pass", "tc:lan0:ingress:*=ok"]}


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
            AFTER_CAPTURE,
            f'"$PYTHON" "{REPO}/tests/trace/kernel_driver.py" /mnt/snap.json {env} {host} 7 230 '
            f'"{",".join(ASSUME.get(topology, []))}"',
        ]
    )
    proc = run_in_sandbox(script, timeout=600, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"driver printed no report\n{proc.stdout}\n{proc.stderr}"
    report = json.loads(lines[-1])
    decided = report["flows"] - report["undetermined"]
    print(
        f"\n{topology}: {report['flows']} flows, {report['undetermined']} undetermined "
        f"({report['undetermined'] / report['flows']:.0%}), {report['with_assumptions']} decided under "
        f"assumptions, {report['agree']}/{decided} agree; verdicts {report['verdicts']}; "
        f"connections per namespace and port {report.get('delivered_where')}"
    )
    assert report["flows"] >= 200
    assert not report["disagree"], json.dumps(report["disagree"][:15], indent=1)
    assert proc.returncode == 0, proc.stderr
