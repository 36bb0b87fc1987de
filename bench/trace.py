"""Trace-speed benchmark (issue 10): traces per second on one core, goal >= 1,000/s.

Four workloads: (1) the largest demo host (by namespaces + rules), with packets drawn from its
addresses, listener ports and closed ports, each from an interface or a local sender; (2) a generated
host whose input chain holds 500 rules (ports, address sets, interface matches) that most packets
walk to the end of; (3) the same 500 rules as iptables-legacy rules; (4) kube-proxy's nftables
proxier for 1,000 services x 3 endpoints on the largest demo node, new connections from the uplink.
A chain is compiled the first time a walk enters it: one pass over the workload comes first, then
the steady rate is measured. The kernel-agreement figures come from the test
(tests/trace/test_kernel_agreement.py, needs root): pass --kernel to run it and print them.

    .venv/bin/python bench/trace.py [--seconds 3] [--exposure 1000] [--kernel]
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)
sys.path.insert(1, str(REPO / "tests" / "trace"))

from bench.figures import Figures, add_record_option  # noqa: E402
from netstack_docs.analysis.trace import Fleet, Packet, trace  # noqa: E402


def demo_workload(rng: random.Random) -> tuple[Fleet, str, str, list[tuple[Packet, dict]]]:
    fleet = Fleet.load(REPO / "snapshots")
    host = max(
        fleet.hosts.values(),
        key=lambda h: sum(len(ns.doc["links"]) + len(ns.doc["nftables"]["rules"]) for ns in h.namespaces),
    )
    jobs = []
    addrs = [
        (ns, a["address"])
        for ns in host.namespaces
        for a in ns.doc["addresses"]
        if not ipaddress.ip_address(a["address"]).is_loopback
    ]
    ports = sorted({s["port"] for ns in host.namespaces for s in ns.doc["sockets"]["listening"]} | {7, 443})
    for _ in range(2000):
        ns, src = rng.choice(addrs)
        _, dst = rng.choice(addrs)
        if (":" in src) != (":" in dst):
            continue
        packet = Packet(src, dst, rng.choice(("tcp", "udp")), 40000, rng.choice(ports))
        jobs.append((packet, {"from_local": True, "netns": ns.id}))
    return fleet, host.env, host.slug, jobs


def ruleset_workload(
    rng: random.Random, size: int = 500
) -> tuple[Fleet, str, str, list[tuple[Packet, dict]]]:
    from tracekit import addr, chain, fleet, link, match, meta, namespace, nft_rule, payload, route, sock

    rules = []
    for i in range(size):
        kind = i % 3
        if kind == 0:
            m = match(payload("tcp", "dport"), 10000 + i)
        elif kind == 1:
            m = match(payload("ip", "saddr"), {"prefix": {"addr": f"10.{i % 250}.0.0", "len": 16}})
        else:
            m = match(meta("iifname"), f"vlan{i}")
        rules.append(nft_rule("input", f"rule {i}", m, {"drop": None} if i % 2 else {"accept": None}))
    ns = namespace(
        links=[link("eth0")],
        addresses=[addr("eth0", "198.51.100.1/24")],
        routes=[route("198.51.100.0/24", "eth0"), route("default", "eth0")],
        chains=[chain("input", "input", policy="accept")],
        nft_rules=rules,
        sockets=[sock("tcp", "0.0.0.0", 22, "sshd")],
    )
    jobs = [
        (
            Packet(f"203.0.113.{rng.randrange(1, 250)}", "198.51.100.1", "tcp", 40000, rng.choice((22, 80))),
            {"ingress": "eth0"},
        )
        for _ in range(2000)
    ]
    return fleet(("big", [ns])), "lab", "big", jobs


def legacy_workload(rng: random.Random, size: int = 500) -> tuple[Fleet, str, str, list[tuple[Packet, dict]]]:
    """The 500-rule chain as iptables-legacy rules (filter INPUT), evaluated by the same walker."""
    fleet, env, host, jobs = ruleset_workload(rng, size)
    rules = []
    for i in range(size):
        kind = i % 3
        m = (
            f"-p tcp -m tcp --dport {10000 + i}"
            if kind == 0
            else f"-s 10.{i % 250}.0.0/16"
            if kind == 1
            else f"-i vlan{i}"
        )
        rules.append(f'{m} -m comment --comment "rule {i}" -j {"DROP" if i % 2 else "ACCEPT"}')
    doc = fleet.hosts[(env, host)].doc
    ns = dict(doc["namespaces"][0], nftables={"tables": [], "chains": [], "rules": [], "sets": []})
    ns["iptables"] = {"filter": {"INPUT": {"policy": "ACCEPT", "rules": rules}}}
    return Fleet.from_docs({(env, "big-legacy"): {**doc, "namespaces": [ns]}}), env, "big-legacy", jobs


def kube_proxy_workload(
    rng: random.Random, services: int = 1000
) -> tuple[Fleet, str, str, list[tuple[Packet, dict]]]:
    """The largest ruleset of the upstream labs' kind: kube-proxy's nftables proxier for 1,000 services x
    3 endpoints on the largest demo node (bench/reach.py generates it the way the proxier writes it),
    new connections from the uplink to random services (numgen: a random choice of endpoint, walked
    for each) and to closed ports of the node."""
    from bench.reach import kube_node

    fleet, env, host, uplink, _ = kube_node(services)
    jobs = []
    for _ in range(2000):
        i = rng.randrange(services)
        ip = str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.96.0.0")) + 16 + i))
        port = 80 + (i % 50) if rng.random() < 0.9 else 7
        src = f"198.51.100.{rng.randrange(1, 255)}"
        jobs.append((Packet(src, ip, "tcp", 40000, port), {"ingress": uplink}))
    return fleet, env, host, jobs


def rate(
    fleet: Fleet, env: str, host: str, jobs: list[tuple[Packet, dict]], seconds: float
) -> tuple[float, float]:
    """(traces per wall-clock second, traces per CPU second of this process): the machine is shared, and
    the CPU figure is what one core gives when it is ours."""
    for packet, kw in jobs:  # one pass first: every chain compiled once, the layer model read (for the
        trace(fleet, env, host, packet, **kw)  # steps' anchors), as in a build; then the steady rate
    done, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        packet, kw = jobs[done % len(jobs)]
        trace(fleet, env, host, packet, **kw)
        done += 1
    return done / (time.perf_counter() - start), done / (time.process_time() - cpu)


def exposure_seconds(hosts: int) -> tuple[float, float, int]:
    """(wall, CPU) seconds of the exposure analysis (reach regions) for `hosts` copies of the demo
    snapshots, and the regions found."""
    from netstack_docs.analysis.reach.exposure import host_exposure

    demo = Fleet.load(REPO / "snapshots")
    originals = sorted(demo.hosts.values(), key=lambda h: (h.env, h.slug))
    docs = {}
    for i in range(hosts):
        h = originals[i % len(originals)]
        docs[(h.env, f"{h.slug}-{i:04d}")] = h.doc
    fleet = Fleet.from_docs(docs)
    start, cpu, traces = time.perf_counter(), time.process_time(), 0
    for env, slug in docs:
        traces += sum(len(row.regions) for row in host_exposure(fleet, env, slug).rows)
    return time.perf_counter() - start, time.process_time() - cpu, traces


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument(
        "--exposure",
        type=int,
        default=0,
        metavar="HOSTS",
        help="also time the site's exposure analysis for HOSTS copies of the demo hosts",
    )
    parser.add_argument("--kernel", action="store_true", help="also run the kernel-agreement test (root)")
    add_record_option(parser)
    args = parser.parse_args()
    figures = Figures("trace", args.record)
    rng = random.Random(10)
    for name, (fleet, env, host, jobs) in (
        ("demo", demo_workload(rng)),
        ("500 rules", ruleset_workload(rng)),
        ("500 legacy", legacy_workload(rng)),
        ("kube-proxy 1000 services", kube_proxy_workload(rng)),
    ):
        wall, cpu = rate(fleet, env, host, jobs, args.seconds)
        verdict = "ok" if cpu >= 1000 else "BELOW GOAL"
        print(
            f"{name:10} {env}/{host}: {cpu:6.0f} traces per CPU second ({wall:.0f}/s wall clock, load "
            f"{os.getloadavg()[0]:.1f}); goal 1000/s on one core: {verdict}"
        )
        figures.show(f"{name} traces per CPU s", cpu, "/s", better="higher", digits=0)
    if args.exposure:
        wall, cpu, traces = exposure_seconds(args.exposure)
        print(
            f"exposure of {args.exposure} demo-host copies: {traces} traces, "
            f"{cpu:.1f} s CPU ({wall:.1f} s wall)"
        )
        figures.show(f"exposure CPU s ({args.exposure} hosts)", cpu, "s", digits=1)
    figures.close()
    if args.kernel:
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            str(REPO / "tests" / "trace" / "test_kernel_agreement.py"),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO).stdout
        for line in out.splitlines():
            if "flows" in line and "agree" in line:
                print("kernel:", line.strip())


if __name__ == "__main__":
    main()
