"""Site-speed benchmark: build time per page must stay flat as the fleet grows (issues 3, 23 and 24).

Two fleets, each built at every size (default 100 and 1,000 hosts) with the real build path
(build_site, everything on: diagrams from their cache, search, exposure, checks, interfaces pages):

- the mix: the demo snapshots (snapshots/, or the test fixtures when there are none) copied in turn
  under new host names;
- the largest: copies of the largest demo snapshot that differ in names (host name, node name and
  every interface name), so that no cache can collapse them. Their diagrams are drawn once, before
  the timed builds (the diagram cache is part of the build; its warm-up is shown apart).

It prints seconds and ms per page, site size (the browser trace's assets included), t(1000)/t(100)
(goal: at most 12x for 10x the hosts), what a reader's browser downloads to search: Material's index
plus, for identifier searches typed key by key, the identifier index's manifest and the shards the
lookup of idsearch.js loads (goal: under 5 MB in all at 1,000 hosts), and `make site` on the demo
(goal: under 60 s). With --baseline REF (default f6774bc, the commit before the identifier search)
it builds, in the same run and against the same snapshots (the baseline's own demo snapshots,
copied like the mix), the largest size with REF checked out into a temporary git worktree and with
this tree: the ratio of the two is a same-run figure, fair on a busy machine. In the same run it
builds the naive configuration (every host page in the nav) at 100 hosts, and at 1,000 only with
--naive-max 1000 (it grows with the square of the page count: extrapolated otherwise).

Every timed build runs in a fresh interpreter (the tree's own package, or the baseline's through
PYTHONPATH), with the diagram cache under --out.

    .venv/bin/python bench/site.py [--sizes 100,1000] [--naive-max 100] [--baseline f6774bc | --baseline ""]
                                   [--no-make-site] [--out bench/out/site] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)  # not bench/: bench/diagrams.py would shadow the `diagrams` package

from bench.figures import Figures, add_record_option  # noqa: E402
from netstack_docs.site.inputs import find_snapshot_files  # noqa: E402

BASELINE = "f6774bc"  # the commit before the identifier search (issue 23)

# One timed build in a fresh interpreter: whichever netstack_docs comes first on PYTHONPATH.
# Its CPU time counts the build's worker processes too (build --jobs: they are reaped by the end).
RUNNER = """
import json, resource, sys, time
from pathlib import Path
from netstack_docs.site.build import build_site
from netstack_docs.site.config import SiteOptions
def children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
fleet, site, project, naive = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4] == "1"
start, cpu = time.perf_counter(), time.process_time() + children()
result = build_site(fleet, site, project_dir=project, options=SiteOptions(hosts_in_nav=naive))
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() + children() - cpu,
                  "pages": result.pages, "steps": result.seconds,
                  "search_index": getattr(result, "search_index", {})}))
"""

# Draw (and cache) every host's diagrams of a fleet, untimed: what a previous build would have left.
WARM = """
import sys
from pathlib import Path
from netstack_docs.diagrams import render_site_figures
from netstack_docs.model.classify import classify
from netstack_docs.site.build import diagram_cache
from netstack_docs.site.inputs import load_snapshots
snaps = load_snapshots(Path(sys.argv[1]))
render_site_figures([classify(s.doc, host_slug=s.slug) for s in snaps], Path(sys.argv[2]), diagram_cache())
"""


def sources(repo: Path = REPO) -> list[Path]:
    for root in (repo / "snapshots", repo / "tests" / "fixtures" / "snapshots"):
        if root.is_dir() and find_snapshot_files(root):
            return find_snapshot_files(root)
    raise SystemExit(f"no snapshots to copy in {repo}: run `make site` inputs or the tests' fixtures first")


def make_fleet(originals: list[Path], hosts: int, fleet: Path) -> Path:
    """`hosts` snapshot files: the originals in turn, each copy under a new host name in its env."""
    shutil.rmtree(fleet, ignore_errors=True)
    for i in range(hosts):
        src = originals[i % len(originals)]
        target = fleet / src.parent.name / f"{src.stem}-{i:04d}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    return fleet


def make_largest(original: Path, hosts: int, fleet: Path) -> Path:
    """`hosts` copies of one snapshot that differ in names: host name, node name and every interface
    name (each JSON string equal to one, wherever it occurs) get the copy's number."""
    shutil.rmtree(fleet, ignore_errors=True)
    text = original.read_text()
    doc = json.loads(text)
    hostname = doc["host"]["hostname"]
    ifnames = sorted({link["ifname"] for ns in doc["namespaces"] for link in ns.get("links", [])}, key=len)
    (fleet / original.parent.name).mkdir(parents=True)
    for i in range(hosts):
        copy = text.replace(json.dumps(hostname), json.dumps(f"{hostname}-{i:04d}"))
        for name in reversed(ifnames):  # longest first, so `eth0` never eats into `eth0.100`
            # an ifname has at most 15 bytes: keep the end of the name unique, its start readable
            renamed = f"{name[: 15 - 5]}x{i:04x}" if len(name) > 10 else f"{name}x{i:04x}"
            copy = copy.replace(json.dumps(name), json.dumps(renamed))
        (fleet / original.parent.name / f"{original.stem}-{i:04d}.json").write_text(copy)
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


def run(fleet: Path, site: Path, hosts: int, naive: bool, code: Path = REPO, cache: Path | None = None,
        quiet: bool = False) -> dict:
    """One timed build in a fresh interpreter running `code`'s netstack_docs; its figures as a row."""
    shutil.rmtree(site, ignore_errors=True)
    project = site.parent / "project"  # a docs repository of no pages of its own: the demo's
    project.mkdir(parents=True, exist_ok=True)  # runbooks link hosts that the renamed fleet lacks
    out = subprocess.run(
        [sys.executable, "-c", RUNNER, str(fleet), str(site), str(project), "1" if naive else "0"],
        env=_env(code, cache), cwd=code, check=True, capture_output=True, text=True,
    )  # cwd: `python -c` puts the working directory first on sys.path, before PYTHONPATH
    result = json.loads(out.stdout.strip().splitlines()[-1])
    total = result["seconds"]
    row = {
        "hosts": hosts,
        "naive": naive,
        "pages": result["pages"],
        "seconds": round(total, 2),
        "ms_per_page": round(1000 * total / result["pages"], 2),
        # CPU time of the build's process and its workers: what a busy, shared machine changes least
        "cpu_seconds": round(result["cpu"], 2),
        "cpu_ms_per_page": round(1000 * result["cpu"] / result["pages"], 2),
        "site_mb": round(du(site) / 1e6, 1),
        "index_html_kb": round((site / "index.html").stat().st_size / 1e3, 1),
        "search_index_mb": round((site / "search" / "search_index.json").stat().st_size / 1e6, 1),
        **id_index_figures(site, result["search_index"]),
        **trace_figures(site),
        **{f"t_{k}": round(v, 2) for k, v in result["steps"].items()},
    }
    if not quiet:
        print(json.dumps(row), flush=True)
    return row


def _env(code: Path, cache: Path | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    return env


def trace_figures(site: Path) -> dict[str, float]:
    """/trace/: Pyodide and the trace's Python; the largest env-<env>.json (address owners)."""
    if not (site / "trace").is_dir() or not list((site / "trace").glob("env-*.json")):
        return {}
    return {
        "trace_assets_mb": round(du(site / "trace") / 1e6, 1),
        "trace_env_json_kb": round(max(p.stat().st_size for p in (site / "trace").glob("env-*.json")) / 1e3),
    }


def warm_diagrams(fleet: Path, out: Path, cache: Path) -> float:
    """Draw every diagram of `fleet` into the cache (untimed for the builds); returns the seconds."""
    docs = Path(tempfile.mkdtemp(dir=out))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", WARM, str(fleet), str(docs)], env=_env(REPO, cache), cwd=REPO,
                   check=True)
    shutil.rmtree(docs)
    return time.perf_counter() - start


def checkout(ref: str, out: Path) -> Path:
    """`ref` in a temporary git worktree (removed by `remove_checkout`)."""
    target = out / f"baseline-{ref}"
    if target.exists():
        remove_checkout(target)
    git = ["git", "-C", str(REPO), "worktree"]
    subprocess.run([*git, "add", "--detach", "-q", str(target), ref], check=True)
    # the browser trace's Pyodide runtime is not in git (scripts/fetch-pyodide): lend the tree's
    runtime = Path("netstack_docs/browser/pyodide")
    if (REPO / runtime).is_dir() and (target / runtime.parent).is_dir() and not (target / runtime).exists():
        (target / runtime).symlink_to(REPO / runtime)
    return target


def remove_checkout(target: Path) -> None:
    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(target)], check=False)
    shutil.rmtree(target, ignore_errors=True)


def make_site_seconds() -> float:
    """`make site` on the demo, from this (warm) virtualenv."""
    start = time.perf_counter()
    subprocess.run(["make", "-C", str(REPO), "site"], check=True, capture_output=True)
    return time.perf_counter() - start


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


def _since(ref: str) -> str:
    """How the figures name the baseline: the default one by what came after it (issue 23)."""
    return "identifier search" if ref == BASELINE else ref


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument(
        "--naive-max", type=int, default=100, help="largest fleet built with every host in the nav"
    )
    parser.add_argument("--baseline", default=BASELINE,
                        help="git ref to compare with in the same run at the largest size ('' for none)")
    parser.add_argument("--no-make-site", action="store_true", help="do not time `make site`")
    parser.add_argument("--fleets", default="mix,largest",
                        help="fleets built at every size: mix, largest (comma-separated; '' for none)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "site")
    add_record_option(parser)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    small, big = min(sizes), max(sizes)
    out = args.out.absolute()
    out.mkdir(parents=True, exist_ok=True)
    cache = out / "cache"  # the diagram cache of these builds
    load_before = os.getloadavg()
    originals = sources()
    largest = max(originals, key=lambda p: p.stat().st_size)
    names = ", ".join(p.parent.name + "/" + p.name for p in originals)
    print(f"# mix: {len(originals)} snapshot(s) copied: {names}")
    print(f"# largest: {largest.parent.name}/{largest.name}, copies renamed; load average {load_before}")
    rows: dict[tuple[str, int], dict] = {}
    fleets = [f for f in args.fleets.split(",") if f]
    for hosts in sizes if "mix" in fleets else []:
        fleet = make_fleet(originals, hosts, out / f"mix-{hosts}")
        rows["mix", hosts] = run(fleet, out / f"site-mix-{hosts}", hosts, naive=False, cache=cache)
        if hosts <= args.naive_max:
            rows["naive", hosts] = run(fleet, out / f"site-mix-{hosts}-naive", hosts, naive=True, cache=cache)
    if "largest" in fleets:
        fleet = make_largest(largest, big, out / "largest")
        warm = warm_diagrams(fleet, out, cache)
        print(f"# diagrams of {big} renamed copies drawn into the cache in {warm:.0f} s (not in the timings)")
    for hosts in sizes if "largest" in fleets else []:
        part = make_largest(largest, hosts, out / f"largest-{hosts}") if hosts != big else fleet
        rows["largest", hosts] = run(part, out / f"site-largest-{hosts}", hosts, naive=False, cache=cache)

    if args.baseline:
        ref = args.baseline
        code = checkout(ref, out)
        try:
            fleet = make_fleet(sources(code), big, out / f"baseline-fleet-{big}")  # snapshots both can read
            warm_diagrams(fleet, out, cache)
            rows["before", big] = run(fleet, out / "site-before", big, naive=False, code=code, cache=cache)
            rows["after", big] = run(fleet, out / "site-after", big, naive=False, cache=cache)
        finally:
            remove_checkout(code)
    make_site = None if args.no_make_site else make_site_seconds()
    load_after = os.getloadavg()

    mixrow = rows.get(("mix", big), {})
    if "search_download_mb" in mixrow:
        row = mixrow
        print(
            f"search at {big} hosts: a reader downloads {row['search_download_mb']} MB at most (Material's "
            f"index {row['search_index_mb']} MB + identifier lookup {row['id_search_worst_kb']} kB for "
            f"{row['id_search_worst_query']!r}; identifier index {row['id_index_mb']} MB in "
            f"{row['id_shards']} shards, built in {row.get('t_search', 0)} s) (goal < 5 MB): "
            f"{'OK' if row['search_download_mb'] < 5 else 'TOO BIG'}"
        )
    goal = 1.2 * big / small
    for fleet_name in fleets:
        if small != big:
            ratio = rows[fleet_name, big]["seconds"] / rows[fleet_name, small]["seconds"]
            print(
                f"{fleet_name}: t({big})/t({small}) = {ratio:.1f}x for {big / small:.0f}x the hosts "
                f"(goal <= {goal:.0f}x): {'OK' if ratio <= goal else 'TOO SLOW'}"
            )
        ms, cpu = rows[fleet_name, big]["ms_per_page"], rows[fleet_name, big]["cpu_ms_per_page"]
        print(f"{fleet_name}: {ms} ms/page ({cpu} CPU ms/page) at {big} hosts (goal <= 12): "
              f"{'OK' if ms <= 12 else 'TOO SLOW'}")
    if ("naive", small) in rows:
        naive = rows["naive", small]
        print(
            f"naive nav at {small} hosts: {naive['seconds']} s, {naive['ms_per_page']} ms/page, "
            f"{naive['site_mb']} MB ({naive['seconds'] / rows['mix', small]['seconds']:.1f}x the time)"
        )
        if ("naive", big) not in rows and big != small:
            # Each page renders the whole nav, so the extra time over the good build grows with the
            # square of the host count: extra(big) = extra(small) * (big/small)^2.
            extra = (naive["seconds"] - rows["mix", small]["seconds"]) * (big / small) ** 2
            print(
                f"naive nav at {big} hosts: not built; "
                f"extrapolated ~{rows['mix', big]['seconds'] + extra:.0f} s "
                f"({rows['mix', big]['seconds']} s + {extra:.0f} s of nav rendering, quadratic)"
            )
    if ("before", big) in rows:
        before, after = rows["before", big], rows["after", big]
        print(
            f"before/after {_since(args.baseline)}, {big} hosts of its demo, same run: "
            f"{before['ms_per_page']} -> {after['ms_per_page']} ms/page "
            f"({before['pages']} -> {after['pages']} pages), {before['seconds']} -> {after['seconds']} s: "
            f"{'no slower' if after['seconds'] <= before['seconds'] else 'SLOWER'}"
        )
    if make_site is not None:
        verdict = "OK" if make_site < 60 else "TOO SLOW"
        print(f"make site on the demo: {make_site:.1f} s (goal < 60 s): {verdict}")
    print(f"# load average before {load_before}, after {load_after}")

    figures = Figures("site", args.record)
    order = ["mix", "naive", "largest", "before", "after"]
    for (fleet_name, hosts), row in sorted(rows.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])):
        kind = {
            "mix": f"{hosts} hosts",
            "naive": f"{hosts} hosts naive nav",
            "largest": f"{hosts} copies of the largest host",
            "before": f"{hosts} hosts before {_since(args.baseline)}",
            "after": f"{hosts} hosts after {_since(args.baseline)}",
        }
        figures.show(f"ms/page, {kind[fleet_name]}", row["ms_per_page"], "ms")
        figures.show(f"CPU ms/page, {kind[fleet_name]}", row["cpu_ms_per_page"], "ms")
        figures.show(f"s, {kind[fleet_name]}", row["seconds"], "s", digits=1)
    if small != big and "mix" in fleets:
        mix = rows["mix", big]["seconds"] / rows["mix", small]["seconds"]
        figures.show(f"t({big})/t({small})", mix, "x", digits=1)
    if small != big and "largest" in fleets:
        figures.show(f"t({big})/t({small}), largest host",
                     rows["largest", big]["seconds"] / rows["largest", small]["seconds"], "x", digits=1)
    if ("before", big) in rows:
        figures.show(f"after/before {_since(args.baseline)}, {big} hosts",
                     rows["after", big]["seconds"] / rows["before", big]["seconds"], "x")
        figures.show(f"after/before {_since(args.baseline)}, {big} hosts, CPU",
                     rows["after", big]["cpu_seconds"] / rows["before", big]["cpu_seconds"], "x")
    if mixrow:
        figures.show(f"site MB, {big} hosts (trace assets included)", mixrow["site_mb"], "MB", digits=1)
    if "trace_assets_mb" in mixrow:
        figures.show("trace assets MB", mixrow["trace_assets_mb"], "MB", digits=1)
    if "search_download_mb" in mixrow:
        figures.show(f"search download MB, {big} hosts", mixrow["search_download_mb"], "MB")
    if make_site is not None:
        figures.show("make site s", make_site, "s", digits=1)
    figures.close(f"sizes {args.sizes}; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
                  "(2 CPUs shared: ratios are same-run)")


if __name__ == "__main__":
    main()
