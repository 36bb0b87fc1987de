"""src_valid_mark, the kernel semantics wg-quick relies on, proven on the upstream/wg-quick lab.

wg-quick's full tunnel sends everything unmarked into table 51820 (the tunnel); only the tunnel's own
encrypted packets carry the fwmark 51820 and take the main table. With strict rp_filter on the uplink,
the peer's answers pass only because `premangle` restores the connection's mark onto them (`meta mark
set ct mark`) and `net.ipv4.conf.all.src_valid_mark=1` (set by wg-quick) lets the reverse-path lookup
see it: the way back then leaves by the uplink. Without src_valid_mark the lookup is unmarked, goes to
the tunnel, and the kernel drops the answer.

In the sandbox: a socket with SO_MARK 51820 (the mark wireguard puts on its own packets) sends to the
peer's endpoint, which answers; the answer is received, or not. The lab is captured first, then again
with src_valid_mark=0; trace must say what the kernel did with the answer in each (its connection's
mark given as the packet's ctmark: the postmangle rule saved 51820 on the connection).
"""

from __future__ import annotations

import json

import pytest
from sandbox import REPO, run_in_sandbox

from netstack_docs.analysis.trace import Fleet, Packet, trace

EXCHANGE = r"""
import socket, sys
sys.path.insert(0, sys.argv[1])
from kernel_driver import enter
SO_MARK = 36
enter("/run/netns/internet")
peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
peer.bind(("203.0.113.1", 51900)); peer.settimeout(3)
enter("/proc/1/ns/net")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, SO_MARK, 51820)
s.bind(("192.168.1.2", 51821)); s.settimeout(2)
s.sendto(b"handshake", ("203.0.113.1", 51900))
data, addr = peer.recvfrom(100)
peer.sendto(b"answer", addr)
try:
    s.recv(100); print("RESULT delivered")
except TimeoutError:
    print("RESULT dropped")
"""


def run(valid_mark: int) -> tuple[str, dict]:
    script = "\n".join(
        [
            f'. "{REPO}/lab/topologies/common.sh"',
            f'. "{REPO}/lab/topologies/upstream/wg-quick.sh"',
            f"sysctl -qw net.ipv4.conf.all.src_valid_mark={valid_mark}",
            '"$PYTHON" -m netstack_docs capture --env upstream --host wg-quick --role x --out /mnt/snap.json '
            "--quiet",
            f"\"$PYTHON\" - {REPO}/tests/trace <<'PY'\n{EXCHANGE}\nPY",
            "cat /mnt/snap.json",
        ]
    )
    out = run_in_sandbox(script, timeout=300).stdout
    result = next(ln.split()[1] for ln in out.splitlines() if ln.startswith("RESULT "))
    return result, json.loads(out[out.index("\n{") + 1 :] if not out.startswith("{") else out)


@pytest.mark.parametrize(("valid_mark", "kernel"), [(1, "delivered"), (0, "dropped")])
def test_rp_filter_sees_the_restored_mark_only_with_src_valid_mark(valid_mark: int, kernel: str) -> None:
    seen, doc = run(valid_mark)
    assert seen == kernel  # the lab itself: wg-quick's tunnel needs src_valid_mark
    root = next(ns for ns in doc["namespaces"] if ns["kind"] == "root")
    assert root["sysctls"]["net.ipv4.conf.all.src_valid_mark"] == str(valid_mark)
    fleet = Fleet.from_docs({("upstream", "wg-quick"): doc})
    answer = Packet("203.0.113.1", "192.168.1.2", "udp", 51900, 51821, ctmark=51820)
    result = trace(fleet, "upstream", "wg-quick", answer, from_local=True, netns="internet")
    steps = "\n".join(s.what for s in result.steps)
    assert result.verdict == ("dropped" if kernel == "dropped" else "delivered") or (
        kernel == "delivered" and result.verdict == "rejected"  # no socket listens on 51821 in the snapshot
    ), steps
    assert ("rp_filter=1 on eth0" in steps) == (kernel == "dropped"), steps
