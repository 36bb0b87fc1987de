"""Benchmark: one capture with the single-file bundle, as a fleet runs it on every host.

Run as root:  .venv/bin/python bench/bundle.py [--runs 15]

In a throwaway sandbox holding a small host (a bridge, a veth into a namespace, an htb qdisc, an
nftables chain), times in the same run, with the machine's own interpreter (/usr/bin/python3) as a
host has it:
  (a) the bundle as `netstack-docs bundle` writes it (byte code for the building Python, pyroute2
      with a lean package __init__),
  (b) the same without byte code: what a host on another Python version runs,
  (c) the plain layout: no byte code and pyroute2's own __init__ (it imports every pyroute2 API;
      since netstack_docs.capture.pyroute2lean the capture skips that __init__ in every layout, so
      (c) now costs what (b) does),
  (d) the installed package (`python -m netstack_docs capture` from the venv), the reference.
Prints the median CPU seconds (user + system) of each capture and the ratio (a)/(c).
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from figures import Figures, add_record_option
from sandboxed import run_inside, sandbox_parser

HOST = """
ip netns add app; ip link add br0 type bridge; ip link set br0 up
ip link add v0 type veth peer name eth0 netns app; ip link set v0 master br0 up
ip -n app addr add 10.5.0.2/24 dev eth0; ip -n app link set eth0 up
tc qdisc add dev v0 root handle 1: htb default 10
nft add table inet t; nft add chain inet t in '{ type filter hook input priority 0; }'
nft add rule inet t in tcp dport 22 counter accept
"""


def without_byte_code(own_init: bool) -> list[tuple[str, bytes]]:
    """The bundle's files without byte code; with pyroute2's own package __init__ when `own_init`."""
    from netstack_docs.bundle.build import bundle_entries

    init = Path(str(metadata.distribution("pyroute2").locate_file("pyroute2/__init__.py"))).read_bytes()
    return [(name, init if own_init and name == "pyroute2/__init__.py" else data)
            for name, data in bundle_entries() if not name.endswith(".pyc")]


def cpu_seconds(cmd: list[str], runs: int) -> float:
    """Median user + system CPU seconds of `cmd` over `runs` runs (after one warm-up run)."""
    samples = []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i:
            samples.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(samples)


def inside(runs: int, record: bool) -> None:
    subprocess.run(["sh", "-eu", "-c", HOST], check=True)
    work = Path(tempfile.mkdtemp(prefix="nsd-bundle-bench-"))
    try:
        measure(work, runs, record)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(work: Path, runs: int, record: bool) -> None:
    from netstack_docs.bundle.build import write_bundle

    built, other, plain = work / "built.pyz", work / "other.pyz", work / "plain.pyz"
    write_bundle(built)
    write_bundle(other, without_byte_code(own_init=False))
    write_bundle(plain, without_byte_code(own_init=True))
    args = ["capture", "--env", "bench", "--host", "h", "--out", "-", "--quiet"]
    system = "/usr/bin/python3"
    rows = [("bundle as built", [system, "-I", "-S", str(built), *args]),
            ("no byte code", [system, "-I", "-S", str(other), *args]),
            ("plain layout", [system, "-I", "-S", str(plain), *args]),
            ("installed package", [sys.executable, "-m", "netstack_docs", *args])]
    print(f"host interpreter {system} ({subprocess.check_output([system, '-V'], text=True).strip()}), "
          f"bundle built by Python {sys.version.split()[0]}; median of {runs} captures")
    found = {}
    figures = Figures("bundle", record)
    for label, cmd in rows:
        found[label] = cpu_seconds(cmd, runs)
        figures.show(f"{label} CPU s", found[label], "s", digits=3)
    # "no byte code" is what a host on another Python version runs: the magic number does not match.
    figures.show("bundle as built / plain layout", found["bundle as built"] / found["plain layout"], "x")
    figures.close(f"median of {runs} captures of a small sandbox host")


def main() -> None:
    parser = sandbox_parser(__doc__)
    parser.add_argument("--runs", type=int, default=15)
    add_record_option(parser)
    args = parser.parse_args()
    if not args.inside:
        run_inside(__file__, "it builds a sandbox host")
    inside(args.runs, args.record)


if __name__ == "__main__":
    main()
