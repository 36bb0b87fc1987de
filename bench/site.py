"""Site-speed benchmark: build time per page must stay flat as the fleet grows (issue 3).

Copies the demo snapshots (snapshots/, or the test fixtures when there are none) under new host
names to make fleets of 100 and 1,000 hosts, builds each with the real build path (build_site), and
prints seconds per page, site size and t(1000)/t(100) (goal: at most 12x for 10x the hosts), and what
a reader's browser downloads to search: Material's index plus, for identifier searches typed key by
key, the identifier index's manifest and the shards the lookup of idsearch.js loads (goal: under
5 MB in all at 1,000 hosts). In the
same run it builds the naive configuration (every host page in the nav) at 100 hosts, and at 1,000
only with --naive-max 1000 (it grows with the square of the page count: extrapolated otherwise).

    .venv/bin/python bench/site.py [--sizes 100,1000] [--naive-max 100] [--out bench/out/site]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)  # not bench/: bench/diagrams.py would shadow the `diagrams` package

from bench.figures import Figures, add_record_option  # noqa: E402
from netstack_docs.site.build import build_site  # noqa: E402
from netstack_docs.site.config import SiteOptions  # noqa: E402
from netstack_docs.site.inputs import find_snapshot_files  # noqa: E402


def sources() -> list[Path]:
    for root in (REPO / "snapshots", REPO / "tests" / "fixtures" / "snapshots"):
        if root.is_dir() and find_snapshot_files(root):
            return find_snapshot_files(root)
    raise SystemExit("no snapshots to copy: run `make site` inputs or the tests' fixtures first")


def make_fleet(originals: list[Path], hosts: int, out: Path) -> Path:
    """`hosts` snapshot files: the originals in turn, each copy under a new host name in its env."""
    fleet = out / f"snapshots-{hosts}"
    shutil.rmtree(fleet, ignore_errors=True)
    for i in range(hosts):
        src = originals[i % len(originals)]
        target = fleet / src.parent.name / f"{src.stem}-{i:04d}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    return fleet


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# What engineers type (issue 23): typed one character at a time, as a reader does.
QUERIES = ("10.96.0.10", "192.168.50.11", "fa:16:3e:00:00:02", "8443", "wan0", "coredns-5d78c9869d-x1",
           "cni-5eed0102-0002-4000-8000-000000000002", "port_forwards", "ssh from the office only", "1:",
           "xdp_edge_pass", "2001:db8:10::/64", "veth1a2b0101", "eth0")
IDSEARCH_MIN, IDSEARCH_BUDGET = 2, 400_000  # as in netstack_docs/site/theme/assets/netstack/idsearch.js


def id_search_bytes(site: Path, query: str) -> int:
    """Bytes idsearch.js fetches while `query` is typed key by key: its manifest and shards (each once)."""
    from netstack_docs.render.idindex import INDEX_DIR

    index = site / INDEX_DIR
    manifest = json.loads((index / "manifest.json").read_text())
    fetched = {"manifest.json": (index / "manifest.json").stat().st_size}
    for end in range(IDSEARCH_MIN, len(query) + 1):
        q = query[:end].lower()
        shards = [s for s in manifest["shards"] if not s[2] and q.startswith(s[0])]
        if not shards:
            under = [s for s in manifest["shards"] if s[0].startswith(q)]
            fits = sum(s[3] for s in under) <= IDSEARCH_BUDGET
            shards = under if fits else [s for s in under if s[2] and s[0] == q]
        for s in shards:
            fetched[f"{s[1]}.json"] = s[3]
    return sum(fetched.values())


def run(fleet: Path, site: Path, hosts: int, naive: bool) -> dict[str, float]:
    shutil.rmtree(site, ignore_errors=True)
    start = time.perf_counter()
    project = site.parent / "project"  # a docs repository of no pages of its own: the demo's
    project.mkdir(parents=True, exist_ok=True)  # runbooks link hosts that the renamed fleet lacks
    result = build_site(fleet, site, project_dir=project, options=SiteOptions(hosts_in_nav=naive))
    total = time.perf_counter() - start
    row = {
        "hosts": hosts,
        "naive": naive,
        "pages": result.pages,
        "seconds": round(total, 2),
        "ms_per_page": round(1000 * total / result.pages, 2),
        "site_mb": round(du(site) / 1e6, 1),
        "index_html_kb": round((site / "index.html").stat().st_size / 1e3, 1),
        "search_index_mb": round((site / "search" / "search_index.json").stat().st_size / 1e6, 1),
        **id_index_figures(site, result.search_index),
        # /trace/: Pyodide and the trace's Python; the largest env-<env>.json (address owners)
        "trace_assets_mb": round(du(site / "trace") / 1e6, 1),
        "trace_env_json_kb": round(max(p.stat().st_size for p in (site / "trace").glob("env-*.json")) / 1e3),
        **{f"t_{k}": round(v, 2) for k, v in result.seconds.items()},
    }
    print(json.dumps(row), flush=True)
    return row


def id_index_figures(site: Path, figures: dict[str, int]) -> dict[str, float]:
    """The identifier index's size and the worst download of one identifier search (QUERIES)."""
    if not figures:
        return {}
    material = (site / "search" / "search_index.json").stat().st_size
    script = (site / "assets" / "netstack" / "idsearch.js").stat().st_size
    worst = max(QUERIES, key=lambda q: id_search_bytes(site, q))
    worst_bytes = id_search_bytes(site, worst)
    return {
        "id_index_mb": round(figures["shard_bytes"] / 1e6, 2),
        "id_shards": figures["shards"],
        "id_manifest_kb": round(figures["manifest_bytes"] / 1e3, 1),
        "id_largest_shard_kb": round(figures["largest_shard_bytes"] / 1e3, 1),
        "id_search_worst_query": worst,
        "id_search_worst_kb": round(worst_bytes / 1e3, 1),
        "search_download_mb": round((material + script + worst_bytes) / 1e6, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument(
        "--naive-max", type=int, default=100, help="largest fleet built with every host in the nav"
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "site")
    add_record_option(parser)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    originals = sources()
    print(
        f"# {len(originals)} snapshot(s) copied: {', '.join(p.parent.name + '/' + p.name for p in originals)}"
    )
    rows = {}
    for hosts in sizes:
        fleet = make_fleet(originals, hosts, args.out)
        rows[hosts] = run(fleet, args.out / f"site-{hosts}", hosts, naive=False)
        if hosts <= args.naive_max:
            rows[-hosts] = run(fleet, args.out / f"site-{hosts}-naive", hosts, naive=True)
    small, big = min(sizes), max(sizes)
    if "search_download_mb" in rows[big]:
        row = rows[big]
        print(
            f"search at {big} hosts: a reader downloads {row['search_download_mb']} MB at most (Material's "
            f"index {row['search_index_mb']} MB + identifier lookup {row['id_search_worst_kb']} kB for "
            f"{row['id_search_worst_query']!r}; identifier index {row['id_index_mb']} MB in "
            f"{row['id_shards']} shards, built in {row.get('t_search', 0)} s) (goal < 5 MB): "
            f"{'OK' if row['search_download_mb'] < 5 else 'TOO BIG'}"
        )
    if small != big:
        ratio = rows[big]["seconds"] / rows[small]["seconds"]
        goal = 1.2 * big / small
        print(
            f"t({big})/t({small}) = {ratio:.1f}x for {big / small:.0f}x the hosts (goal <= {goal:.0f}x): "
            f"{'OK' if ratio <= goal else 'TOO SLOW'}"
        )
    if -small in rows:
        naive = rows[-small]
        print(
            f"naive nav at {small} hosts: {naive['seconds']} s, {naive['ms_per_page']} ms/page, "
            f"{naive['site_mb']} MB ({naive['seconds'] / rows[small]['seconds']:.1f}x the time)"
        )
        if -big not in rows and big != small:
            # Each page renders the whole nav, so the extra time over the good build grows with the
            # square of the host count: extra(big) = extra(small) * (big/small)^2.
            extra = (naive["seconds"] - rows[small]["seconds"]) * (big / small) ** 2
            print(
                f"naive nav at {big} hosts: not built; extrapolated ~{rows[big]['seconds'] + extra:.0f} s "
                f"({rows[big]['seconds']} s + {extra:.0f} s of nav rendering, quadratic)"
            )

    figures = Figures("site", args.record)
    for hosts, row in sorted(rows.items()):
        kind = f"{abs(hosts)} hosts" + (" naive nav" if hosts < 0 else "")
        figures.show(f"ms/page, {kind}", row["ms_per_page"], "ms")
        figures.show(f"s, {kind}", row["seconds"], "s", digits=1)
    if small != big:
        figures.show(f"t({big})/t({small})", rows[big]["seconds"] / rows[small]["seconds"], "x", digits=1)
    figures.close(f"sizes {args.sizes}")


if __name__ == "__main__":
    main()
