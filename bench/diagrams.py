"""Benchmark: diagram rendering for a 100-host fleet, cold cache vs warm cache vs one host changed.

Run:  .venv/bin/python bench/diagrams.py [--hosts 100] [--workers N] [--serial]

The fleet is copies of the diagram case snapshots (tests/diagrams/cases/*/snapshots), the site
fixtures (tests/fixtures/snapshots) and the demo snapshots (snapshots/), renamed host-000..host-099
and spread over four environments. In one run, with a fresh cache directory:
  cold     every figure rendered (two per host, one per environment);
  warm     the same fleet again: nothing rendered, every PNG copied from the cache;
  changed  one host gets one more address: only its figures (and its environment's overview, if the
           change touches what connects hosts) are rendered.
With --serial, a second cold run with workers=1 shows what the parallel `dot` processes gain.
Prints seconds, figures rendered, and the ratios warm/cold and changed/cold.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# This file is named like the `diagrams` package: drop bench/ from the path so `import diagrams` finds it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from bench.figures import Figures, add_record_option  # noqa: E402
from netstack_docs.diagrams import render_site_figures  # noqa: E402
from netstack_docs.model.classify import classify  # noqa: E402
from netstack_docs.snapshot.load import validate_document  # noqa: E402

SOURCES = [
    "tests/diagrams/cases/*/snapshots/*.json",
    "tests/fixtures/snapshots/*/*.json",
    "snapshots/*/*.json",
]


def fleet(n: int) -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for pattern in SOURCES:
        for path in sorted(REPO.glob(pattern)):
            docs.append(validate_document(json.loads(path.read_text()), path))
    out = []
    for i in range(n):
        doc = copy.deepcopy(docs[i % len(docs)])
        doc["host"]["env"] = f"fleet-{i % 4}"
        doc["host"]["hostname"] = f"host-{i:03d}"
        out.append((f"host-{i:03d}", doc))
    return out


def timed(label: str, views: list[Any], docs: Path, cache: Path, workers: int | None) -> float:
    start = time.perf_counter()
    figs = render_site_figures(views, docs, cache, workers=workers)
    seconds = time.perf_counter() - start
    print(
        f"{label:<8} {seconds:7.2f} s   rendered {figs.stats.rendered:4d}   from cache {figs.stats.cached:4d}"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--workers", type=int, default=None, help="parallel dot processes (default: CPUs)")
    parser.add_argument("--serial", action="store_true", help="also time a cold run with workers=1")
    add_record_option(parser)
    args = parser.parse_args()
    hosts = fleet(args.hosts)
    start = time.perf_counter()
    views = [classify(doc, host_slug=slug) for slug, doc in hosts]
    print(
        f"{len(views)} hosts in {len({v.env for v in views})} environments, classified in "
        f"{time.perf_counter() - start:.2f} s; workers={args.workers or os.cpu_count()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-diagrams-") as tmp:
        work = Path(tmp)
        cold = timed("cold", views, work / "docs-cold", work / "cache", args.workers)
        warm = timed("warm", views, work / "docs-warm", work / "cache", args.workers)
        slug, doc = hosts[len(hosts) // 2]
        changed_doc = copy.deepcopy(doc)
        root = next(ns for ns in changed_doc["namespaces"] if ns["kind"] == "root")
        root["addresses"].append(
            {
                "ifname": root["links"][0]["ifname"],
                "family": "inet",
                "address": "192.0.2.254",
                "prefixlen": 32,
                "scope": "host",
                "flags": [],
            }
        )
        views[len(hosts) // 2] = classify(changed_doc, host_slug=slug)
        changed = timed("changed", views, work / "docs-changed", work / "cache", args.workers)
        print(f"ratio warm/cold {warm / cold:.3f}   changed/cold {changed / cold:.3f}")
        figures = Figures("diagrams", args.record)
        figures.show(f"cold s ({args.hosts} hosts)", cold, "s")
        figures.show(f"warm s ({args.hosts} hosts)", warm, "s")
        figures.show(f"changed s ({args.hosts} hosts)", changed, "s")
        figures.show("warm / cold", warm / cold, "x", digits=3)
        figures.show("changed / cold", changed / cold, "x", digits=3)
        if args.serial:
            serial = timed("serial", views, work / "docs-serial", work / "cache-serial", 1)
            print(f"parallel speed-up (serial cold / cold) {serial / cold:.2f}x")
            figures.show("serial cold / cold", serial / cold, "x", better="higher")
        figures.close(f"workers={args.workers or os.cpu_count()}")


if __name__ == "__main__":
    main()
