"""Run inside a sandbox: nftables' own tracing as a second oracle for trace.

    python nftrace_oracle.py SNAPSHOT.json HOST SEED COUNT [IFNAME]

The sandbox's root namespace holds a ruleset (captured in SNAPSHOT.json before this runs) and IFNAME
(eth0 unless given: a ruleset may name its uplink otherwise), a veth to the namespace `peer` (192.0.2.2;
the root holds 192.0.2.1 and routes everything else back to it). This adds a table of its own (`inet
nftrace_oracle`, prerouting at priority -1000, `meta nftrace set 1`), runs `nft monitor trace`, and from
`peer` writes COUNT random IPv4 packets through a raw socket (sources and destinations drawn from the
addresses and prefixes the ruleset names, the two ends' own and a few others; tcp SYN, udp, icmp echo;
ports the ruleset names or random), each with its own IP id. Per packet the kernel's answer is whether a
base chain dropped it (a rule's `(verdict drop)` or a `policy drop` in its trace); trace's is whether
its walk of the same packet, arriving on IFNAME, ends dropped or rejected by a netfilter step.
Undetermined walks are counted by cause. Prints one JSON line.
"""

from __future__ import annotations

import ipaddress
import json
import random
import re
import socket
import struct
import subprocess
import sys
import time

from kernel_driver import causes, enter

from netstack_docs.analysis.trace import Fleet, Packet, trace

ORACLE = (
    "table inet nftrace_oracle {\nchain pre {\ntype filter hook prerouting priority -1000;\n"
    "meta nftrace set 1\n}\n}\n"
)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def build(ident: int, src: str, dst: str, proto: str, sport: int, dport: int) -> bytes:
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    if proto == "tcp":
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 64240, 0, 0)
        pseudo = s + d + struct.pack("!BBH", 0, 6, len(l4))
        l4 = l4[:16] + struct.pack("!H", _checksum(pseudo + l4)) + l4[18:]
        number = 6
    elif proto == "udp":
        l4 = struct.pack("!HHHH", sport, dport, 8 + 4, 0) + b"tick"
        pseudo = s + d + struct.pack("!BBH", 0, 17, len(l4))
        l4 = l4[:6] + struct.pack("!H", _checksum(pseudo + l4) or 0xFFFF) + l4[8:]
        number = 17
    else:
        l4 = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"tick"
        l4 = l4[:2] + struct.pack("!H", _checksum(l4)) + l4[4:]
        number = 1
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, 0, 64, number, 0, s, d)
    return header + l4


def candidates(doc: dict, rng: random.Random) -> tuple[list[str], list[tuple[str, int]]]:
    """IPv4 addresses worth using (the ruleset's, a few of each prefix it names, the two ends', others)
    and (protocol, port) pairs the ruleset names."""
    found: set[str] = {"192.0.2.1", "192.0.2.2", "198.51.100.7", "203.0.113.9", "10.9.8.7"}
    ports: set[tuple[str, int]] = {("tcp", 22), ("udp", 53), ("tcp", 443)}

    def visit(value: object) -> None:
        if isinstance(value, dict):
            prefix = value.get("prefix")
            if isinstance(prefix, dict) and isinstance(prefix.get("addr"), str):
                try:
                    net = ipaddress.ip_network(f"{prefix['addr']}/{prefix['len']}", strict=False)
                except ValueError:
                    net = None
                if net is not None and net.version == 4:
                    for _ in range(3):
                        found.add(str(net[rng.randrange(net.num_addresses)]))
            left, right = value.get("left"), value.get("right")
            payload = left.get("payload") if isinstance(left, dict) else None
            l4 = isinstance(payload, dict) and payload.get("protocol") in ("tcp", "udp")
            if l4 and isinstance(payload, dict) and isinstance(right, int):
                ports.add((payload["protocol"], right))
            for v in value.values():
                visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)
        elif isinstance(value, str):
            try:
                ip = ipaddress.ip_address(value)
            except ValueError:
                return
            if ip.version == 4:
                found.add(value)

    for ns in doc["namespaces"]:
        visit(ns.get("nftables"))
    usable = sorted(
        a for a in found
        if not (ipaddress.ip_address(a).is_loopback or ipaddress.ip_address(a).is_multicast
                or ipaddress.ip_address(a).is_unspecified or ipaddress.ip_address(a).is_link_local
                or a.endswith(".255") or a.endswith(".0"))
    )
    return usable, sorted(ports)


def kernel_fates(text: str, lines: dict[int, list[str]] | None = None) -> dict[int, str]:
    """IP id -> "dropped" (a base chain dropped it) or "passed", from `nft monitor trace` output;
    `lines` gathers each packet's trace lines (after its id)."""
    ids: dict[str, int] = {}
    fate: dict[int, str] = {}
    for line in text.splitlines():
        m = re.match(r"trace id (\w+) (\S+) (\S+) (\S+) (.*)$", line.strip())
        if not m:
            continue
        tid, rest = m.group(1), m.group(5)
        if lines is not None and tid in ids and not rest.startswith("packet:"):
            lines.setdefault(ids[tid], []).append(" ".join(m.group(2, 3, 4, 5)))
        if rest.startswith("packet:"):
            # the kernel reuses trace ids (a hash of the skb's address): each packet line says whose it is
            found = re.search(r"ip id (\d+)", rest)
            if found:
                ids[tid] = int(found.group(1))
                fate.setdefault(ids[tid], "passed")
            else:
                ids.pop(tid, None)
            continue
        dropped = rest.endswith("(verdict drop)") or rest.strip() in ("policy drop", "verdict drop")
        if tid in ids and dropped:
            fate[ids[tid]] = "dropped"
    return fate


def trace_fate(fleet: Fleet, host: str, packet: Packet, ifname: str) -> tuple[str, list[str]]:
    result = trace(fleet, "oracle", host, packet, ingress=ifname)
    if result.verdict == "undetermined":
        return "undetermined", causes(result)
    last = result.steps[-1] if result.steps else None
    nf = last is not None and last.layer == "netfilter"
    return ("dropped" if result.verdict in ("dropped", "rejected") and nf else "passed"), []


def main() -> None:
    path, host, seed, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    ifname = sys.argv[5] if len(sys.argv) > 5 else "eth0"
    with open(path) as f:
        doc = json.load(f)
    fleet = Fleet.from_docs({("oracle", host): doc})
    rng = random.Random(seed)
    addresses, ports = candidates(doc, rng)
    packets = []
    for ident in range(1, count + 1):
        proto = rng.choice(["tcp", "udp", "icmp", "tcp", "udp"])
        named = [p for pr, p in ports if pr == proto]
        dport = rng.choice(named) if named and rng.random() < 0.7 else rng.randrange(1, 65535)
        src = rng.choice(addresses)
        dst = rng.choice(addresses)
        if src == "192.0.2.1":
            src = "192.0.2.2"
        if dst == "192.0.2.2" or dst == src:  # the peer's own: it would never leave the peer
            dst = "192.0.2.1"
        packets.append((ident, src, dst, proto, rng.randrange(1024, 65535), dport))
    subprocess.run(["nft", "-f", "-"], input=ORACLE, text=True, check=True)
    # to a file, not a pipe: a full pipe stalls nft, and the kernel then drops trace events
    log = open("/mnt/nftrace.log", "w+")  # noqa: SIM115 (read back below)
    monitor = subprocess.Popen(["stdbuf", "-oL", "nft", "monitor", "trace"], stdout=log, text=True)
    time.sleep(0.5)
    enter("/run/netns/peer")
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    errors: dict[str, int] = {}
    for ident, src, dst, proto, sport, dport in packets:
        try:
            raw.sendto(build(ident, src, dst, proto, sport, dport), (dst, 0))
        except OSError as exc:
            errors[exc.strerror] = errors.get(exc.strerror, 0) + 1
        time.sleep(0.002)  # nft monitor loses events when its netlink socket overflows
    time.sleep(1.0)
    if monitor.poll() is not None:
        print(f"nft monitor trace quit early ({monitor.returncode})", file=sys.stderr)
    monitor.terminate()
    monitor.wait()
    log.seek(0)
    out = log.read()
    log.close()
    enter("/proc/1/ns/net")
    kernel_lines: dict[int, list[str]] = {}
    seen = kernel_fates(out, kernel_lines)
    report: dict = {"ruleset": host, "packets": 0, "firm": 0, "confirmed": 0, "contradicted": [],
                    "undetermined": 0, "causes": {}, "kernel": {}, "send_errors": errors}
    for ident, src, dst, proto, sport, dport in packets:
        if ident not in seen:
            continue  # not traced (the peer could not send it)
        report["packets"] += 1
        kernel = seen[ident]
        report["kernel"][kernel] = report["kernel"].get(kernel, 0) + 1
        ports = (sport, dport) if proto != "icmp" else (None, None)
        packet = Packet(src, dst, proto, *ports)
        fate, why = trace_fate(fleet, host, packet, ifname)
        if fate == "undetermined":
            report["undetermined"] += 1
            for cause in why:
                report["causes"][cause] = report["causes"].get(cause, 0) + 1
            continue
        report["firm"] += 1
        if fate == kernel:
            report["confirmed"] += 1
        else:
            report["contradicted"].append({
                "packet": packet.describe(), "trace": fate, "kernel": kernel,
                "kernel_trace": [ln for ln in kernel_lines.get(ident, []) if "nftrace_oracle" not in ln][-6:],
            })
    report["causes"] = dict(sorted(report["causes"].items(), key=lambda kv: -kv[1]))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
