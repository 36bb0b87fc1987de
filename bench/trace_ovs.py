"""Trace speed through Open vSwitch: a VM's frame on the demo's compute-01 (NORMAL floods VLAN 1 into
five copies: the host's port, the provider bridge over a patch pair, two VXLAN ports, one to a captured
host whose br-tun drops it), every copy walked. Traces per CPU second on one core.

    .venv/bin/python bench/trace_ovs.py [--count 400]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)

from bench.figures import Figures, add_record_option  # noqa: E402
from netstack_docs.analysis.trace import Fleet, Packet, trace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=400)
    add_record_option(parser)
    args = parser.parse_args()
    figures = Figures("trace_ovs", args.record)
    fleet = Fleet.load(REPO / "snapshots")
    packets = [Packet("192.168.10.5", f"192.168.10.{i % 200 + 2}", "tcp", 40000, 22 + i % 50)
               for i in range(args.count)]
    assume = ["underlay:*=crosses"]
    trace(fleet, "prod", "compute-01", packets[0], ingress="tap3f1c-01", assume=assume)  # index once
    start = time.process_time()
    for packet in packets:
        result = trace(fleet, "prod", "compute-01", packet, ingress="tap3f1c-01", assume=assume)
    spent = time.process_time() - start
    print(f"prod/compute-01 through Open vSwitch: {len(packets) / spent:.0f} traces per CPU second "
          f"(verdict {result.verdict}, {len(result.notes) + 1} copies walked per trace)")
    figures.show("flood traces per CPU s", len(packets) / spent, "/s", better="higher", digits=0)
    figures.close()


if __name__ == "__main__":
    main()
