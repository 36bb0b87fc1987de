"""`--in` a bridge port for a destination off the bridge's subnets: the sender's frame went to its
gateway, the bridge's own address, and the host routes it (issue 20: trace looked for a port holding
the final destination and said "rejected"). Against the kernel: a namespace behind the bridge
connects to a far namespace's listener through the host."""

from __future__ import annotations

import json

import pytest
from sandbox import REPO, run_in_sandbox

from netstack_docs.analysis.trace import Fleet, Packet, trace

SCRIPT = rf"""
. "{REPO}/lab/topologies/common.sh"
ip link set lo up
ip link add br0 type bridge; ip link set br0 up; ip addr add 10.5.0.1/24 dev br0
ip netns add c; veth_ns c eth0 c-p 10.5.0.2/24; ip link set c-p master br0
ip -n c route add default via 10.5.0.1
ip netns add far; veth_ns far eth0 far-p 198.51.100.7/24; ip addr add 198.51.100.1/24 dev far-p
ip -n far route add default via 198.51.100.1
sysctl -qw net.ipv4.ip_forward=1
listener web tcp 0.0.0.0 443 far
wait_listening_in far 443
"$PYTHON" -m netstack_docs capture --env lab --host h --out "$OUT" --quiet
for port in 443 444; do
  ip netns exec c "$PYTHON" -c "import json, socket, sys
s = socket.socket(); s.settimeout(3)
try:
    s.connect(('198.51.100.7', int(sys.argv[1]))); out = 'connected'
except OSError as exc:
    out = 'timeout' if isinstance(exc, TimeoutError) else 'refused' if exc.errno == 111 else str(exc)
print(json.dumps({{'port': int(sys.argv[1]), 'kernel': out}}))" $port
done
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fleet, dict[int, str]]:
    out = tmp_path_factory.mktemp("brgw") / "lab" / "h.json"
    out.parent.mkdir()
    proc = run_in_sandbox(SCRIPT, env={"OUT": str(out)})
    kernel = {d["port"]: d["kernel"] for d in map(json.loads, proc.stdout.splitlines()) if "port" in d}
    return Fleet.load(out.parent.parent), kernel


@pytest.mark.parametrize("port", [443, 444])
def test_a_packet_put_on_a_bridge_port_for_a_remote_address_is_routed_by_the_bridge(
    lab: tuple[Fleet, dict[int, str]], port: int
) -> None:
    fleet, kernel = lab
    assert kernel[port] == ("connected" if port == 443 else "refused"), "the lab itself changed"
    verdict = {"connected": "delivered", "refused": "rejected"}[kernel[port]]
    packet = Packet("10.5.0.2", "198.51.100.7", "tcp", 40000, port)
    put_on_port = trace(fleet, "lab", "h", packet, ingress="c-p")
    sent_by_c = trace(fleet, "lab", "h", packet, from_local=True, netns="c")
    assert put_on_port.verdict == sent_by_c.verdict == verdict, [s.what for s in put_on_port.steps]
    assert any("is the sender's gateway" in s.what for s in put_on_port.steps)
    assert put_on_port.final.netns == "far"
