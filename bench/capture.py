"""Benchmark: `netstack-docs capture` against the equivalent `ip netns exec` loop, on 200 namespaces.

Run as root:  .venv/bin/python bench/capture.py [--namespaces 200] [--repeat 1]

It re-executes itself inside a throwaway sandbox (unshare --net --mount --pid, private /run/netns,
the same prelude as the tests), builds N namespaces (each a veth into a bridge in the sandbox's
root namespace, an address and a default route), then times in the same run:
  (a) `python -m netstack_docs capture` (one process; peak RSS from wait4 of that child), and
  (b) for the root namespace and each named one, every inspection command a person would use,
      each through `ip netns exec NS` (ip -j link/addr/route/rule/neigh, bridge -j fdb,
      tc -j qdisc/class/filter, nft -j list ruleset, ss -tulpn, sysctl net.ipv4.ip_forward).
Prints both times, the ratio (goal <= 0.2) and the capture's peak memory (goal <= 200 MB).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sandboxed import REPO, run_inside, sandbox_parser

LOOP_COMMANDS = [
    "ip -j link show", "ip -j addr show", "ip -j route show table all", "ip -j rule show",
    "ip -j neigh show", "bridge -j fdb show", "tc -j qdisc show", "tc -j class show dev eth0",
    "tc -j filter show dev eth0", "nft -j list ruleset", "ss -tulpn", "sysctl net.ipv4.ip_forward",
]


def build(count: int) -> None:
    """N namespaces, each `eth0` veth to `h<i>` in br0, 10.(i/250).(i%250).2/8, default via 10.255.255.254."""
    with tempfile.NamedTemporaryFile("w", suffix=".ip", delete=False) as root_batch:
        root_batch.write("link add br0 type bridge\nlink set br0 up\naddr add 10.255.255.254/8 dev br0\n")
        for i in range(count):
            root_batch.write(f"netns add n{i}\nlink add h{i} type veth peer name eth0 netns n{i}\n"
                             f"link set h{i} master br0 up\n")
    subprocess.run(["ip", "-batch", root_batch.name], check=True)
    for i in range(count):
        with tempfile.NamedTemporaryFile("w", suffix=".ip", delete=False) as ns_batch:
            ns_batch.write("link set lo up\nlink set eth0 up\n"
                           f"addr add 10.{i // 250}.{i % 250}.2/8 dev eth0\n"
                           "route add default via 10.255.255.254\n")
        subprocess.run(["ip", "-n", f"n{i}", "-batch", ns_batch.name], check=True)


def time_capture(out: Path) -> tuple[float, float, dict]:
    """Wall seconds, peak RSS (MB) of the capture process, and its snapshot."""
    cmd = [sys.executable, "-m", "netstack_docs", "capture", "--env", "bench", "--host", "b",
           "--out", str(out),
           "--quiet"]
    start = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=REPO)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"capture failed with exit code {child.returncode}")
    return elapsed, usage.ru_maxrss / 1024, json.loads(out.read_text())


def time_loop(count: int) -> float:
    namespaces = ["root"] + [f"n{i}" for i in range(count)]
    start = time.perf_counter()
    for ns in namespaces:
        for command in LOOP_COMMANDS:
            prefix = [] if ns == "root" else ["ip", "netns", "exec", ns]
            subprocess.run(prefix + command.split(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def inside(count: int, repeat: int) -> None:
    t0 = time.perf_counter()
    build(count)
    print(f"built {count} namespaces in {time.perf_counter() - t0:.1f} s", flush=True)
    out = Path(tempfile.mkdtemp()) / "bench.json"
    runs = [time_capture(out) for _ in range(repeat)]
    capture_s = min(r[0] for r in runs)
    rss_mb = max(r[1] for r in runs)
    doc = runs[-1][2]
    links = sum(len(ns["links"]) for ns in doc["namespaces"])
    gaps = len(doc["gaps"]) + sum(len(ns["gaps"]) for ns in doc["namespaces"])
    print(f"(a) netstack-docs capture: {capture_s:.2f} s  ({len(doc['namespaces'])} namespaces, "
          f"{links} links, {gaps} gaps, capture_host {doc['meta']['duration_s']:.2f} s)", flush=True)
    loop_s = time_loop(count)
    print(f"(b) ip netns exec loop ({len(LOOP_COMMANDS)} commands x {count + 1} namespaces): {loop_s:.2f} s")
    ratio = capture_s / loop_s
    print(f"ratio capture/loop = {ratio:.3f}  (goal <= 0.2: {'met' if ratio <= 0.2 else 'NOT met'})")
    verdict = "met" if rss_mb <= 200 else "NOT met"
    print(f"peak RSS of the capture = {rss_mb:.1f} MB  (goal <= 200 MB: {verdict})")


def main() -> None:
    parser = sandbox_parser(__doc__)
    parser.add_argument("--namespaces", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1, help="capture runs (best time is reported)")
    args = parser.parse_args()
    if not args.inside:
        run_inside(__file__, "it builds namespaces inside a sandbox")
    inside(args.namespaces, args.repeat)


if __name__ == "__main__":
    main()
