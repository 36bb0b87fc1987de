"""Browser-trace benchmark: how long /trace/ takes in headless Chromium on the demo site, offline.

Builds the demo (snapshots/, mkdocs.yml's extra.netstack.assume) into bench/out/browser-trace, serves
it on 127.0.0.1, and prints the seconds from opening /trace/ with a flow in its address to the
result (Pyodide starts, the trace's Python unpacks, the start host is fetched), then of a second and
a third trace typed into the form (one crossing a VXLAN into another host), and what was downloaded.

    .venv/bin/python bench/browser_trace.py [--out bench/out/browser-trace]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)  # not bench/: bench/diagrams.py would shadow the `diagrams` package
sys.path.insert(1, str(REPO / "tests"))

from browser import OFFLINE, chromium, serve_directory  # noqa: E402

from bench.figures import Figures, add_record_option  # noqa: E402
from netstack_docs.site.build import build_site  # noqa: E402

DONE = "n => Number(document.getElementById('netstack-trace-result').dataset.runs || 0) >= n"
FIRST = "trace/?env=prod&host=edge-01&in=wan0&src=192.0.2.10&dst=203.0.113.2&dport=22"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "browser-trace")
    add_record_option(parser)
    args = parser.parse_args()
    site = args.out / "site"
    build_site(REPO / "snapshots", site, config_file=REPO / "mkdocs.yml")
    with serve_directory(site) as base, chromium(OFFLINE) as context:
        sizes: list[int] = []
        context.on("requestfinished", lambda r: sizes.append(r.sizes()["responseBodySize"]))
        page = context.new_page()
        start = time.perf_counter()
        page.goto(base + FIRST)
        page.wait_for_function(DONE, arg=1, timeout=600_000)
        first = time.perf_counter() - start
        downloaded = sum(sizes)
        times = []
        for n, (host, fields) in enumerate(
            [
                ("edge-01", {"in": "lan0", "src": "10.10.0.10", "dst": "10.10.0.1", "dport": "22"}),
                ("k8s-node-01", {"in": "", "netns": "shop/web-7d9f8b6c5-1", "src": "10.244.1.3",
                                 "dst": "10.244.2.2", "dport": "80"}),
            ],
            2,
        ):
            page.select_option("select[name=host]", host)
            for name, value in fields.items():
                page.fill(f"[name={name}]", value)
            page.set_checked("[name=from-local]", host == "k8s-node-01")
            start = time.perf_counter()
            page.click("#netstack-trace-form button[type=submit]")
            page.wait_for_function(DONE, arg=n, timeout=600_000)
            times.append(round(time.perf_counter() - start, 2))
    mb = round(downloaded / 1e6, 1)
    row = {"first_trace_s": round(first, 2), "first_trace_downloaded_mb": mb, "next_traces_s": times}
    print(json.dumps(row))
    figures = Figures("browser_trace", args.record)
    figures.show("first trace s (Pyodide start)", first, "s", digits=1)
    figures.show("downloaded for the first trace MB", downloaded / 1e6, "MB", digits=1)
    for i, t in enumerate(times, 1):
        figures.show(f"trace {i} after the first s", t, "s", digits=2)
    figures.close()


if __name__ == "__main__":
    main()
