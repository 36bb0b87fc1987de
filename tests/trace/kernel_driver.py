"""Run inside a sandbox: send generated flows for real and compare what the kernel did with `trace`.

    python kernel_driver.py SNAPSHOT.json ENV HOST SEED COUNT

Flows go from every (namespace, address) of the snapshot to every address it holds or its nftables
rulesets and iptables-legacy rules name, on the ports of its listeners and rulesets plus a closed
one; TCP flows whose SYN is delivered are also traced backwards as an established reply. The
kernel's answer: connect() succeeds (delivered), ECONNREFUSED / EHOSTUNREACH / ENETUNREACH / EACCES
(rejected), EPERM (a local output drop) or a timeout (dropped); for UDP, ECONNREFUSED on a connected
socket (rejected, also after an EPERM from send: a `reject` in an output hook drops the datagram and
sends the ICMP error) or a receive queue growing (delivered), which also says where it landed.
Prints one JSON summary line; exits 1 when a firm verdict is contradicted.

Only firm verdicts are compared: a verdict is firm unless trace says `undetermined` (for the flow,
or for the answer that must come back for the sender to see it). Undetermined flows are counted
with their causes: the unknowns that mattered (`result.unknowns`, each with `.what` and
`.mattered`), or, from an engine without them, the text of the steps marked `undetermined`.
"""

from __future__ import annotations

import ctypes
import errno
import ipaddress
import json
import os
import random
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from netstack_docs.analysis.trace import Fleet, Packet, TraceResult, trace

LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
IP_RECVERR, IPV6_RECVERR = 11, 25
TIMEOUT = 5.0
UDP_WAIT = 1.0  # neighbour probes are shortened to 100 ms in the sandbox after the capture


def ns_path(ns_doc: dict) -> str:
    return "/proc/1/ns/net" if ns_doc["kind"] == "root" else ns_doc["path"]


def enter(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        if LIBC.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {path}")
    finally:
        os.close(fd)


def udp_queues(namespaces: list[tuple[str, str]]) -> dict[tuple[str, int], int]:
    """(namespace id, port) -> bytes waiting in the receive queues of its UDP sockets, over every
    namespace (read from inside each): the lab's listeners never read, so a delivered datagram stays."""
    out: dict[tuple[str, int], int] = {}
    for ns_id, path in namespaces:
        enter(path)
        for name in ("udp", "udp6"):
            with open(f"/proc/thread-self/net/{name}") as f:
                for line in f.readlines()[1:]:
                    cols = line.split()
                    key = (ns_id, int(cols[1].rsplit(":", 1)[1], 16))
                    out[key] = out.get(key, 0) + int(cols[4].split(":")[1], 16)
    return out


def listen_backlogs(namespaces: list[dict]) -> dict[tuple[str, int], int]:
    """(namespace id, port) -> connections waiting in the accept queues of its TCP listeners (the lab's
    listeners never accept, so every delivered connection stays counted there)."""
    out: dict[tuple[str, int], int] = {}
    for ns in namespaces:
        enter(ns_path(ns))
        for name in ("tcp", "tcp6"):
            with open(f"/proc/thread-self/net/{name}") as f:
                for line in f.readlines()[1:]:
                    cols = line.split()
                    if cols[3] == "0A":  # LISTEN
                        key = (ns["id"], int(cols[1].rsplit(":", 1)[1], 16))
                        out[key] = out.get(key, 0) + int(cols[4].split(":")[1], 16)
    return out


def observe(path: str, src: str, dst: str, proto: str, sport: int, dport: int,
            namespaces: list[tuple[str, str]]) -> tuple[str, str | None]:
    """What the kernel did with one flow, sent from the namespace at `path`, and for a delivered UDP
    datagram where it landed ("<namespace id> <port>": whichever socket's queue grew, after any NAT).
    UDP flows must run one at a time (see main)."""
    enter(path)
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(TIMEOUT)
    try:
        s.bind((src, sport))
        if proto == "tcp":
            try:
                s.connect((dst, dport))
                return "delivered", None
            except TimeoutError:
                return "dropped", None
            except OSError as exc:
                return {
                    errno.ECONNREFUSED: "rejected",
                    errno.EHOSTUNREACH: "rejected",
                    errno.ENETUNREACH: "rejected",
                    errno.EACCES: "rejected",  # ICMPv6 administratively prohibited (icmpv6_err_convert)
                    errno.EPERM: "dropped",
                }.get(exc.errno, f"error {exc.errno}"), None
        # Without IP_RECVERR a UDP socket ignores ICMP errors other than port/protocol unreachable
        # (kernel __udp4_lib_err: only "fatal" codes); with it, host/net unreachable are seen too.
        if fam == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
        s.setblocking(False)
        before = udp_queues(namespaces)
        enter(path)
        try:
            s.connect((dst, dport))
            s.send(b"trace-check")
        except OSError as exc:
            # EPERM: an output hook dropped it; a `reject` there also sends the ICMP error, which
            # follows (rejected); a plain drop leaves nothing more (dropped, after the wait).
            if exc.errno != errno.EPERM:
                return {
                    errno.ENETUNREACH: "rejected",
                    errno.EHOSTUNREACH: "rejected",
                }.get(exc.errno, f"error {exc.errno}"), None
        # Until an answer, an ICMP error, or a queue that grows anywhere (a DNAT may change the port).
        deadline = time.monotonic() + UDP_WAIT
        while True:
            try:
                s.recv(100)
                return "answered", None
            except BlockingIOError:
                pass
            except OSError as exc:
                if exc.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES):
                    return "rejected", None
                return f"error {exc.errno}", None
            after = udp_queues(namespaces)
            grew = sorted(k for k, v in after.items() if v > before.get(k, 0) and k[1] != sport)
            if grew:
                return "delivered", " ".join(f"{ns_id} {port}" for ns_id, port in grew)
            if time.monotonic() > deadline:
                return "dropped", None
            time.sleep(0.02)
    finally:
        s.close()


def _nft_addresses(ns: dict) -> set[str]:
    """Single addresses an nftables ruleset names (service IPs of a vmap, DNAT targets): worth sending to."""
    found: set[str] = set()

    def visit(value: object) -> None:
        if isinstance(value, str):
            try:
                ip = ipaddress.ip_address(value)
            except ValueError:
                return
            # not `::` (connect() takes it for loopback), nor a link-local or mapped one (no scope)
            mapped = isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None
            if not (ip.is_unspecified or ip.is_link_local or ip.is_multicast or mapped):
                found.add(str(ip))
        elif isinstance(value, dict):
            for v in value.values():
                visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)

    visit(ns["nftables"])
    return found


def _nft_ports(ns: dict) -> set[tuple[str, int]]:
    """(protocol, port) pairs an nftables ruleset names: `tcp dport 80` matches and the `tcp . 80` parts of
    map keys (a Service's port, a NodePort): worth sending to even where nothing listens on them."""
    found: set[tuple[str, int]] = set()

    def visit(value: object) -> None:
        if isinstance(value, dict):
            left, right = value.get("left"), value.get("right")
            payload = left.get("payload") if isinstance(left, dict) else None
            if isinstance(payload, dict) and payload.get("protocol") in ("tcp", "udp") \
                    and payload.get("field") == "dport" and isinstance(right, int):
                found.add((payload["protocol"], right))
            parts = value.get("concat")
            if isinstance(parts, list):
                pairs = zip(parts, parts[1:], strict=False)
                found.update((a, b) for a, b in pairs if a in ("tcp", "udp") and isinstance(b, int))
            for v in value.values():
                visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)

    visit(ns["nftables"])
    return found


def _nft_services(ns: dict, own: list[str]) -> set[tuple[str, str, int]]:
    """(address, protocol, port) a verdict map keys on: `addr . tcp . 80` (a Service IP and port), and
    `tcp . 30080` (a NodePort) on each of the namespace's own addresses."""
    found: set[tuple[str, str, int]] = set()

    def visit(value: object) -> None:
        if isinstance(value, dict):
            parts = value.get("concat")
            if isinstance(parts, list) and len(parts) == 3 and parts[1] in ("tcp", "udp") \
                    and isinstance(parts[0], str) and isinstance(parts[2], int):
                found.add((parts[0], parts[1], parts[2]))
            elif isinstance(parts, list) and len(parts) == 2 and parts[0] in ("tcp", "udp") \
                    and isinstance(parts[1], int):
                found.update((a, parts[0], parts[1]) for a in own)
            for v in value.values():
                visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)

    for s in ns["nftables"].get("sets") or []:
        visit(s.get("elements"))
    return found


def _iptables_named(ns: dict) -> tuple[set[str], set[tuple[str, int]], set[tuple[str, str, int]]]:
    """What iptables-legacy rules name: addresses (`-d`, `-s`, NAT targets, network addresses of their
    prefixes as the nftables side counts them), (protocol, port) of `-p P ... --dport N`, and
    (address, protocol, port) when one rule names all three (a Service's cluster IP and port)."""
    addrs, ports, services = set(), set(), set()
    for chains in (ns.get("iptables") or {}).values():
        for chain in (chains or {}).values():
            for rule in chain.get("rules") or []:
                words = rule.replace("!", " ").split()
                proto = words[words.index("-p") + 1] if "-p" in words[:-1] else None
                dst = dport = None
                for opt, value in zip(words, words[1:], strict=False):
                    if opt in ("-s", "-d", "--to-destination", "--to-source"):
                        host = value.split("/")[0].rsplit(":", 1)[0] if value.count(":") <= 1 else value
                        try:
                            addrs.add(str(ipaddress.ip_address(host)))
                        except ValueError:
                            pass
                        dst = host if opt == "-d" and value.endswith("/32") else dst
                    if opt == "--dport" and value.isdigit() and proto in ("tcp", "udp"):
                        dport = int(value)
                        ports.add((proto, dport))
                if dst and dport is not None and proto:
                    services.add((dst, proto, dport))
    return addrs, ports, services


def flows(doc: dict, seed: int, count: int) -> list[tuple[dict, str, str, str, int, int]]:
    """Half the flows aim at a listener (its address, or any address of its namespace for a wildcard) or
    at a service a verdict map names (address . protocol . port), half are drawn at random from every
    address, nftables-named address and port, and listened port."""
    senders, targets, ports, listeners = [], set(), {("tcp", 7), ("udp", 7)}, []
    for ns in doc["namespaces"]:
        own = []
        for a in ns["addresses"]:
            ip = ipaddress.ip_address(a["address"])
            if ip.is_loopback or ip.is_link_local:
                continue
            senders.append((ns, a["address"]))
            own.append(a["address"])
        targets.update(own)
        targets.update(_nft_addresses(ns))
        ports.update(_nft_ports(ns))
        for s in ns["sockets"]["listening"]:
            ports.add((s["protocol"], s["port"]))
            addrs = own if s["local_address"] in ("0.0.0.0", "::") else [s["local_address"]]
            listeners += [(a, s["protocol"], s["port"]) for a in addrs if not a.startswith("127.")]
        listeners += sorted(_nft_services(ns, own))
        legacy_addrs, legacy_ports, legacy_services = _iptables_named(ns)
        targets.update(legacy_addrs)
        ports.update(legacy_ports)
        listeners += sorted(legacy_services)
    rng = random.Random(seed)
    out, seen = [], set()
    targets_list, ports_list = sorted(targets), sorted(ports)
    tries = 0
    while len(out) < count and tries < 50 * count:  # a small lab may hold fewer distinct flows
        tries += 1
        ns, src = rng.choice(senders)
        if listeners and rng.random() < 0.5:
            dst, proto, dport = rng.choice(listeners)
        else:
            dst = rng.choice(targets_list)
            proto, dport = rng.choice(ports_list)
        key = (ns["id"], src, dst, proto, dport)
        if key in seen or (":" in src) != (":" in dst):
            seen.add(key)
            continue
        seen.add(key)
        out.append((ns, src, dst, proto, 41000 + len(out), dport))
    return out


def answer(doc: dict, fwd: TraceResult, proto: str) -> Packet:
    """The packet that answers a traced flow, sent from where the flow ended: from the address it was sent
    to when that is local there (a SYN-ACK, RST, port unreachable), else from the namespace's first address
    of the family (an ICMP error from a router)."""
    f = fwd.final
    ns = next(n for n in doc["namespaces"] if n["id"] == f.netns)
    own = [
        a["address"]
        for a in ns["addresses"]
        if (":" in a["address"]) == (":" in f.src)
        and not ipaddress.ip_address(a["address"]).is_loopback
        and not ipaddress.ip_address(a["address"]).is_link_local
    ]
    src = f.dst if f.dst in own or not own else own[0]
    return Packet(src, f.src, proto, f.dport, f.sport, "established")


def causes(result: TraceResult) -> list[str]:
    """Why a verdict is undetermined: the unknowns that mattered (the forking engine), or the text of
    the steps marked undetermined (an engine without `unknowns`)."""
    unknowns = getattr(result, "unknowns", None)
    found = {str(u.what) for u in unknowns or () if getattr(u, "mattered", False)}
    if not found:  # no unknown that mattered (or an engine without them): the steps marked undetermined
        found = {s.what for s in result.steps if getattr(s, "undetermined", False)}
    return sorted(found) or ["(no cause given)"]


def handed_to_process(doc: dict, result: TraceResult) -> str | None:
    """Why a flow that leaves the host through a TUN device is not compared: the process holding it
    (wireguard-go, tailscaled; in a lab a stand-in that reads nothing) decides what becomes of it, and
    what answers. None for any other flow."""
    f = result.final
    if result.verdict != "forwarded" or not f.ifname:
        return None
    ns = next((n for n in doc["namespaces"] if n["id"] == f.netns), None)
    link = next((lk for lk in (ns or {}).get("links", []) if lk.get("ifname") == f.ifname), None)
    if link is None or link.get("kind") != "tun":
        return None
    return f"handed to the process holding TUN {f.ifname} (what it does with the packet is its own)"


def floating(result: TraceResult) -> bool:
    """True when the verdict is firm over unknowns that did not matter for it (a random choice among
    endpoints that all deliver, say): its one `final` is then not a prediction of where the kernel
    delivers it. An engine without `unknowns` always claims its `final`."""
    return bool(getattr(result, "unknowns", None))


Plan = list[tuple[tuple[dict, str, str, str, int, int], TraceResult, TraceResult | None, str]]


def build_report(plan: Plan, observed: dict[int, str], landed: dict[int, str | None],
                 arrived: dict[tuple[str, int], int], handed: dict[int, str] | None = None) -> dict:
    """Compare: plan[i] = (flow, forward trace, answer trace or None, expected verdict); observed[i] the
    kernel's outcome, landed[i] where a UDP datagram landed; arrived the accept queues' growth per
    (namespace id, port); handed[i] why flow i, handed to a process, is not compared (counted undetermined).
    Firm verdicts are confirmed or contradicted, undetermined ones counted by cause."""
    predicted: dict[tuple[str, int], int] = {}
    floating_ends = 0
    for i, (flow, fwd, _reply, expected) in enumerate(plan):
        if flow[3] != "tcp" or observed[i] != "delivered":
            continue
        if expected != "delivered" or floating(fwd):
            floating_ends += 1  # undetermined, contradicted (counted there) or a set of ends
            continue
        key = (fwd.final.netns, int(fwd.final.dport or 0))
        predicted[key] = predicted.get(key, 0) + 1
    report: dict = {
        "flows": len(plan),
        "firm": 0,
        "confirmed": 0,
        "contradicted": [],
        "undetermined": 0,
        "causes": {},
        "with_assumptions": 0,
        "verdicts": {},
    }
    causes_seen: dict[str, int] = {}
    for i, (flow, fwd, reply, expected) in enumerate(plan):
        seen = observed[i]
        report["verdicts"][expected] = report["verdicts"].get(expected, 0) + 1
        if expected == "undetermined":
            report["undetermined"] += 1
            why = causes(fwd) if fwd.verdict == "undetermined" else []
            why += causes(reply) if reply is not None and reply.verdict == "undetermined" else []
            why += [(handed or {})[i]] if i in (handed or {}) else []
            for cause in sorted(set(why)):
                causes_seen[cause] = causes_seen.get(cause, 0) + 1
            continue
        report["firm"] += 1
        if fwd.assumptions or (reply and reply.assumptions):
            report["with_assumptions"] += 1
        ns, src, dst, proto, sport, dport = flow
        where = f"{fwd.final.netns} {fwd.final.dport}"
        if seen == expected == "delivered" and proto == "udp" and not floating(fwd) and landed[i] != where:
            report["contradicted"].append(
                {
                    "from": ns["id"],
                    "flow": f"{proto} {src}:{sport} -> {dst}:{dport}",
                    "trace": f"delivered at {where}",
                    "kernel": f"delivered at {landed[i]}",
                    "assumptions": list(fwd.assumptions),
                    "steps": [s.what for s in fwd.steps][-4:],
                }
            )
        elif seen == expected:
            report["confirmed"] += 1
        else:
            report["contradicted"].append(
                {
                    "from": ns["id"],
                    "flow": f"{proto} {src}:{sport} -> {dst}:{dport}",
                    "trace": expected,
                    "kernel": seen,
                    "assumptions": list(fwd.assumptions) + list(reply.assumptions if reply else []),
                    "steps": [s.what for s in fwd.steps][-4:],
                }
            )
    report["causes"] = dict(sorted(causes_seen.items(), key=lambda kv: (-kv[1], kv[0])))
    # Where the connections landed (after NAT), per namespace and port: trace's final vs the kernel's
    # accept queues. The other delivered connections (undetermined, contradicted, or with a set of
    # ends) may land anywhere the single-end ones leave room for: exactly that many must be left.
    report["delivered_where"] = {f"{ns} {port}": n for (ns, port), n in sorted(arrived.items())}
    rest = {k: arrived.get(k, 0) - predicted.get(k, 0) for k in set(arrived) | set(predicted)}
    if any(v < 0 for v in rest.values()) or sum(rest.values()) != floating_ends:
        report["contradicted"].append(
            {
                "where": "accept queues",
                "trace": {f"{k[0]} {k[1]}": v for k, v in sorted(predicted.items())},
                "trace_anywhere": floating_ends,
                "kernel": report["delivered_where"],
            }
        )
    return report


def main() -> None:
    path, env, host, seed, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    assume = [a for a in (sys.argv[6] if len(sys.argv) > 6 else "").split(",") if a]
    with open(path) as f:
        doc = json.load(f)
    fleet = Fleet.from_docs({(env, host): doc}, assume)
    plan = []
    handed: dict[int, str] = {}
    for ns, src, dst, proto, sport, dport in flows(doc, seed, count):
        fwd = trace(fleet, env, host, Packet(src, dst, proto, sport, dport), from_local=True, netns=ns["id"])
        expected, reply = fwd.verdict, None
        why = handed_to_process(doc, fwd)
        if why is not None:
            handed[len(plan)] = why
            plan.append(((ns, src, dst, proto, sport, dport), fwd, None, "undetermined"))
            continue
        if (proto == "tcp" and fwd.verdict == "delivered") or fwd.verdict == "rejected":
            # The SYN-ACK, or the RST / ICMP error, must find its way back for the sender to see it.
            reply = trace(fleet, env, host, answer(doc, fwd, proto), from_local=True, netns=fwd.final.netns)
            if reply.verdict == "undetermined":
                expected = "undetermined"
            elif reply.verdict != "delivered":
                expected = "dropped"  # the sender hears nothing: a timeout
        plan.append(((ns, src, dst, proto, sport, dport), fwd, reply, expected))
    time.sleep(0.5)
    observed: dict[int, str] = {}
    landed: dict[int, str | None] = {}
    namespaces = [(ns["id"], ns_path(ns)) for ns in doc["namespaces"]]

    def run(i: int) -> None:
        observed[i], landed[i] = observe(ns_path(plan[i][0][0]), *plan[i][0][1:], namespaces)

    def run_serially(indexes: list[int]) -> None:
        for i in indexes:
            run(i)

    # TCP flows all at once; UDP flows one after another, beside them (delivery is seen as a receive
    # queue growing, anywhere: a DNAT may change the port, so two datagrams in flight would blur).
    udp = [i for i, p in enumerate(plan) if p[0][3] == "udp"]
    before = listen_backlogs(doc["namespaces"])
    with ThreadPoolExecutor(max_workers=64) as pool:
        jobs = [pool.submit(run_serially, udp)]
        jobs += [pool.submit(run, i) for i, p in enumerate(plan) if p[0][3] == "tcp"]
        for job in jobs:
            job.result()
    after = listen_backlogs(doc["namespaces"])
    arrived = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
    report = build_report(plan, observed, landed, arrived, handed)
    print(json.dumps(report))
    sys.exit(1 if report["contradicted"] else 0)


if __name__ == "__main__":
    main()
