"""Benchmark: what decoding iptables-nft rules (xt payloads, the `iptables` form) adds to nftables capture.

Run as root:  .venv/bin/python bench/xt_capture.py [--rules 2000] [--runs 5]

Inside a throwaway sandbox it loads a kube-proxy-like iptables-nft nat table (each rule: a
destination, `-p tcp -m comment -m tcp --dport -m statistic -j DNAT`: three xt expressions), then
times the nftables collector (both libnftables passes plus the kernel dump of the xt payloads) with
the xt decoding and without it, alternated, in CPU seconds of this process (user + system: the
kernel's dump is in there; less at the mercy of a busy machine than wall time), best of --runs each,
and prints the difference per rule.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from figures import Figures, add_record_option  # noqa: E402
from sandboxed import run_inside, sandbox_parser  # noqa: E402

from netstack_docs.capture import nftables, xtcapture  # noqa: E402
from netstack_docs.capture.context import NamespaceCapture, empty_namespace  # noqa: E402


def ruleset(count: int) -> str:
    lines = ["*nat", ":PREROUTING ACCEPT [0:0]", ":KUBE-SERVICES - [0:0]"]
    for i in range(count):
        lines.append(f"-A KUBE-SERVICES -d 10.96.{i // 250}.{i % 250 + 1}/32 -p tcp "
                     f'-m comment --comment "ns/svc{i}:http cluster IP" -m tcp --dport 80 '
                     "-m statistic --mode random --probability 0.50000000000 "
                     f"-j DNAT --to-destination 10.244.0.{i % 250 + 1}:8080")
    lines += ["-A PREROUTING -m addrtype --dst-type LOCAL -j KUBE-SERVICES", "COMMIT", ""]
    return "\n".join(lines)


def once(decode: bool) -> float:
    original = xtcapture.enrich
    if not decode:
        xtcapture.enrich = lambda ns, config: None  # type: ignore[assignment]
    try:
        ns = NamespaceCapture("root", empty_namespace("root", "root"))
        start = time.process_time()
        nftables.collect(ns)
        return time.process_time() - start
    finally:
        xtcapture.enrich = original


def main() -> None:
    parser = sandbox_parser(__doc__)
    parser.add_argument("--rules", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    add_record_option(parser)
    args = parser.parse_args()
    if not args.inside:
        run_inside(__file__, "it builds an iptables-nft ruleset in a network namespace")
    subprocess.run(["iptables-nft-restore"], input=ruleset(args.rules), text=True, check=True)
    pairs = [(once(False), once(True)) for _ in range(args.runs)]
    without, with_ = min(p[0] for p in pairs), min(p[1] for p in pairs)
    extra = with_ - without
    print(f"{args.rules + 1} iptables-nft rules, nftables collector (CPU s, best of {args.runs}):")
    figures = Figures("xt_capture", args.record)
    figures.show("without xt decoding", without, "s", digits=3)
    figures.show("with xt decoding", with_, "s", digits=3)
    figures.show("xt decoding per rule", extra / (args.rules + 1) * 1e6, "us", digits=0)
    figures.close(f"{args.rules + 1} rules")


if __name__ == "__main__":
    main()
