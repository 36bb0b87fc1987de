"""Run inside a sandbox: what the kernel does with a few chosen flows, without asking trace.

    python kernel_probe.py SNAPSHOT.json < PROBES

One probe a line: `FROM SRC DST PROTO DPORT`, FROM a namespace id of the snapshot. Prints one JSON
line per probe: the kernel's outcome (as kernel_driver.observe sees it), where it landed (namespace
id and port of the socket whose accept or receive queue grew, after any NAT) and, for TCP, the peer
address the listener's side sees (after any SNAT). Probes run one after another, so each landing is
that probe's. A lab's own check that its rules do what the upstream project means them to do (a
published port reaches its container, masquerade happens) before trace is compared with it.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import struct
import sys

from kernel_driver import enter, listen_backlogs, ns_path, observe


def _address(hexaddr: str) -> str:
    raw = bytes.fromhex(hexaddr)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(hexaddr, 16)))
    words = struct.unpack("<4I", raw)
    return str(ipaddress.IPv6Address(struct.pack(">4I", *words)))


def established(namespaces: list[dict]) -> set[tuple[str, int, str, int]]:
    """(namespace id, local port, remote address, remote port) of every connected TCP socket
    (ESTABLISHED, or CLOSE_WAIT once the probe has closed its end)."""
    out = set()
    for ns in namespaces:
        enter(ns_path(ns))
        for name in ("tcp", "tcp6"):
            with open(f"/proc/thread-self/net/{name}") as f:
                for line in f.readlines()[1:]:
                    cols = line.split()
                    if cols[3] not in ("01", "08"):
                        continue
                    laddr, lport = cols[1].rsplit(":", 1)
                    raddr, rport = cols[2].rsplit(":", 1)
                    out.add((ns["id"], int(lport, 16), _address(raddr), int(rport, 16)))
    return out


def main() -> None:
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    by_id = {ns["id"]: ns for ns in doc["namespaces"]}
    namespaces = [(ns["id"], ns_path(ns)) for ns in doc["namespaces"]]
    for n, line in enumerate(ln for ln in sys.stdin.read().splitlines() if ln.strip()):
        origin, src, dst, proto, dport = line.split()
        sport = 40000 + n
        backlog = listen_backlogs(doc["namespaces"])
        sockets = established(doc["namespaces"]) if proto == "tcp" else set()
        outcome, landed = observe(ns_path(by_id[origin]), src, dst, proto, sport, int(dport), namespaces)
        peer = None
        if proto == "tcp":
            grew = sorted(k for k, v in listen_backlogs(doc["namespaces"]).items() if v > backlog.get(k, 0))
            landed = " ".join(f"{ns_id} {port}" for ns_id, port in grew) or None
            # The accepted end: a new established socket on the landing port whose peer is not the probe
            # itself (the sender's own end has local port `sport`).
            new = established(doc["namespaces"]) - sockets
            peers = sorted({raddr for ns_id, lport, raddr, _ in new if f"{ns_id} {lport}" == landed})
            peer = " ".join(peers) or None
        print(json.dumps({"probe": line, "kernel": outcome, "landed": landed, "peer": peer}), flush=True)


if __name__ == "__main__":
    main()
