"""Check benchmark: 1,000 hosts (demo snapshots copied), the issue's example intents and every built-in.

Goal (issue 11): at most 30 s here. Prints the time to load and validate the snapshots and the time
of the checks themselves, each in ms per host, and the counts of findings.

    .venv/bin/python bench/check.py [--hosts 1000] [--out bench/out/check]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)  # not bench/: bench/site.py would shadow the stdlib `site` module

from bench.figures import Figures, add_record_option  # noqa: E402
from bench.site import make_fleet, sources  # noqa: E402
from netstack_docs.analysis.check import BUILTINS, Host, load_intents, run_checks  # noqa: E402
from netstack_docs.site.inputs import load_snapshots  # noqa: E402

# The exact file of issue 11, plus one drift check across the fleet.
ISSUE_INTENTS = REPO / "tests" / "check" / "issue-11-intent.yaml"
DRIFT = """  - name: Kubernetes nodes alike
    hosts: {role: Kubernetes node}
    same_across: [sysctls, nftables, routes, qdiscs, listening]
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "check")
    add_record_option(parser)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    fleet = make_fleet(sources(), args.hosts, args.out)
    intent_file = args.out / "intent.yaml"
    intent_file.write_text(ISSUE_INTENTS.read_text() + DRIFT)

    start = time.perf_counter()
    hosts = [Host(s.env, s.slug, s.doc) for s in load_snapshots(fleet)]
    loaded = time.perf_counter()
    declared = load_intents([intent_file])
    report = run_checks(hosts, declared.intents, declared.disabled)
    checked = time.perf_counter()

    load_s, check_s = loaded - start, checked - loaded
    n = len(hosts)
    counts = report.counts()
    print(
        f"{n} hosts, {len(declared.intents)} intents + {len(BUILTINS)} built-ins: "
        f"{len(report.findings)} findings ({counts['fail']} fail, {counts['undetermined']} undetermined, "
        f"{counts['pass']} pass)"
    )
    print(
        f"load+validate {load_s:.1f} s ({1000 * load_s / n:.1f} ms/host), "
        f"checks {check_s:.1f} s ({1000 * check_s / n:.1f} ms/host), "
        f"total {load_s + check_s:.1f} s (goal <= 30 s): {'ok' if load_s + check_s <= 30 else 'TOO SLOW'}"
    )
    figures = Figures("check", args.record)
    figures.show(f"load+validate ms/host ({n} hosts)", 1000 * load_s / n, "ms")
    figures.show(f"checks ms/host ({n} hosts)", 1000 * check_s / n, "ms")
    figures.show(f"total s ({n} hosts)", load_s + check_s, "s", digits=1)
    figures.close()
    if load_s + check_s > 30:
        sys.exit(1)


if __name__ == "__main__":
    main()
