"""Packets routed to a subnet's broadcast address of the receiving host, against the kernel.

The host (the sandbox's root namespace) holds 10.9.0.1/24 on one side and routes for a client on
10.8.0.0/24 on the other. The client sends to 10.9.0.255 through it (a unicast frame, the host's
broadcast route): TCP is never answered (tcp_v4_conn_request drops SYNs to broadcast or multicast),
a wildcard UDP socket takes the datagram, an echo request (from a raw socket: the sandbox has no
ping) is ignored (icmp_echo_ignore_broadcasts, default 1). Trace must say the same; the same flows
to 10.9.0.1 are the control.
"""

from __future__ import annotations

import json

import pytest
from sandbox import REPO, run_in_sandbox

from netstack_docs.analysis.trace import Fleet, Packet, trace

SCRIPT = rf"""
. "{REPO}/lab/topologies/common.sh"
ip link set lo up
ip netns add c; veth_ns c eth0 c-p 10.8.0.2/24; ip addr add 10.8.0.1/24 dev c-p
ip netns add s; veth_ns s eth0 s-p 10.9.0.2/24; ip addr add 10.9.0.1/24 dev s-p
ip -n c route add default via 10.8.0.1
sysctl -qw net.ipv4.ip_forward=1
listener sshd tcp 0.0.0.0 8080
"$PYTHON" -c "import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 8081)); s.settimeout(20)
try:
    data, peer = s.recvfrom(100); open('/mnt/udp', 'a').write(data.decode() + chr(10))
    data, peer = s.recvfrom(100); open('/mnt/udp', 'a').write(data.decode() + chr(10))
except OSError:
    pass" &
udp=$!
wait_listening 8080 8081
"$PYTHON" -m netstack_docs capture --env lab --host r --out "$OUT" --quiet
for dst in 10.9.0.255 10.9.0.1; do
  ip netns exec c "$PYTHON" -c "import json, socket, sys
s = socket.socket(); s.settimeout(3)
try:
    s.connect((sys.argv[1], 8080)); out = 'connected'
except OSError as exc:
    out = 'timeout' if isinstance(exc, TimeoutError) else 'refused' if exc.errno == 111 else str(exc)
print(json.dumps({{'tcp': sys.argv[1], 'kernel': out}}))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(sys.argv[1].encode(), (sys.argv[1], 8081))" $dst
  ip netns exec c "$PYTHON" -c "import json, socket, struct, sys
def checksum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); r.settimeout(2)
echo = struct.pack('!BBHHH', 8, 0, 0, 7, 1) + b'netstack'
r.sendto(echo[:2] + struct.pack('!H', checksum(echo)) + echo[4:], (sys.argv[1], 0))
out = 'none'
try:
    while True:
        data, peer = r.recvfrom(200)
        if data[20] == 0 and data[24:26] == struct.pack('!H', 7):
            out = 'answered'; break
except OSError:
    pass
print(json.dumps({{'icmp': sys.argv[1], 'kernel': out}}))" $dst
done
wait $udp
while read -r got; do echo "{{\"udp\": \"$got\", \"kernel\": \"received\"}}"; done < /mnt/udp
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fleet, dict[tuple[str, str], str]]:
    out = tmp_path_factory.mktemp("bcast") / "lab" / "r.json"
    out.parent.mkdir()
    proc = run_in_sandbox(SCRIPT, env={"OUT": str(out)})
    kernel: dict[tuple[str, str], str] = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            ((proto, dst),) = ((k, v) for k, v in d.items() if k != "kernel")
            kernel[(proto, dst)] = d["kernel"]
    return Fleet.load(out.parent.parent), kernel


@pytest.mark.parametrize("dst", ["10.9.0.255", "10.9.0.1"])
def test_tcp_udp_and_echo_to_a_broadcast_address_end_as_the_kernel_ends_them(
    lab: tuple[Fleet, dict[tuple[str, str], str]], dst: str
) -> None:
    fleet, kernel = lab
    says = {
        "tcp": {"connected": "delivered", "timeout": "dropped", "refused": "rejected"}[kernel[("tcp", dst)]],
        "udp": "delivered" if kernel.get(("udp", dst)) == "received" else "dropped",
        "icmp": {"answered": "delivered", "none": "dropped"}[kernel[("icmp", dst)]],
    }
    assert says == (
        {"tcp": "dropped", "udp": "delivered", "icmp": "dropped"}
        if dst.endswith(".255")
        else {"tcp": "delivered", "udp": "delivered", "icmp": "delivered"}
    ), "the lab itself changed"
    for proto, verdict in says.items():
        ports = (40000, 8080 if proto == "tcp" else 8081) if proto != "icmp" else (None, None)
        r = trace(fleet, "lab", "r", Packet("10.8.0.2", dst, proto, *ports), ingress="c-p")
        assert r.verdict == verdict, (proto, dst, [s.what for s in r.steps])
        assert r.firm, (proto, dst, r.unknowns)
