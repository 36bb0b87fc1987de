"""Benchmark: `netstack-docs capture` against the equivalent `ip netns exec` loop, on 200 namespaces.

Run as root:  .venv/bin/python bench/capture.py [--namespaces 200] [--runs 3] [--profile FILE]
      [--baseline DIR] [--record]

It re-executes itself inside a throwaway sandbox (unshare --net --mount --pid, private /run/netns,
the same prelude as the tests), builds N namespaces (each a veth into a bridge in the sandbox's
root namespace, an address and a default route), then, `--runs` times in turn (alternated, so a
busy spell of the machine hits all three alike):
  (a) the installed package: `python -m netstack_docs capture` (one process; peak RSS from wait4),
  (b) the single-file bundle, as `netstack-docs bundle` writes it, run by the machine's own
      /usr/bin/python3 as a host runs it,
  (b') the installed wheel run by that same /usr/bin/python3 (`pip install --target` of the wheel
      built from this checkout, with the two modules its capture path imports, pyroute2 and
      jsonschema_rs, beside it): how a host where the package is pip-installed runs it. The venv's
      interpreter here (pyenv, built without PGO/LTO) is ~15% slower than Debian's on the same code,
      so (a) measures the interpreter as much as the package;
  (c) for the root namespace and each named one, every inspection command a person would use,
      each through `ip netns exec NS` (ip -j link/addr/route/rule/neigh, bridge -j fdb,
      tc -j qdisc/class/filter, nft -j list ruleset, ss -tulpn, sysctl net.ipv4.ip_forward).
Prints the median of each, the ratios capture/loop (goal <= 0.15, issue 24) and the captures' peak
memory (goal <= 200 MB), and where a capture's time goes: the per-phase record each capture process
writes when the hidden `--timings FILE` names a file (netstack_docs.capture.timing), medians over the runs.
Each figure is shown beside the last recorded one (bench/figures.json; --record updates it).
With --profile FILE (relative to the repository), one more package capture runs under cProfile
(stats in FILE, the top lines printed).
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import Figures, add_record_option
from sandboxed import REPO, run_inside, sandbox_parser

LOOP_COMMANDS = [
    "ip -j link show", "ip -j addr show", "ip -j route show table all", "ip -j rule show",
    "ip -j neigh show", "bridge -j fdb show", "tc -j qdisc show", "tc -j class show dev eth0",
    "tc -j filter show dev eth0", "nft -j list ruleset", "ss -tulpn", "sysctl net.ipv4.ip_forward",
]
RATIO_GOAL, MEMORY_GOAL_MB = 0.15, 200
SYSTEM_PYTHON = "/usr/bin/python3"
ARGS = ["capture", "--env", "bench", "--host", "b", "--quiet"]


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


class Run:
    """One capture: wall seconds, peak RSS in MB (the largest of its processes), phases, snapshot."""

    def __init__(self, cmd: list[str], out: Path, timings: Path, cwd: Path = REPO, baseline: bool = False):
        timings.unlink(missing_ok=True)
        if not baseline:  # an earlier commit may not know the hidden option
            cmd = [*cmd, "--timings", str(timings)]
        start = time.perf_counter()
        child = subprocess.Popen([*cmd, "--out", str(out)], cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        self.seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"capture failed ({status}): {cmd}")
        # wait4 reports the child and its own reaped children (the forked workers): the largest RSS
        self.rss_mb = usage.ru_maxrss / 1024
        self.cpu = usage.ru_utime + usage.ru_stime
        self.size = out.stat().st_size
        # the snapshot is read once, after the last round: a document parsed here would raise the next
        # captures' peak RSS, which counts this process's own (exec records the parent's at fork)
        # none from a capture older than its timing record (comparing with an earlier commit)
        lines = timings.read_text().splitlines() if timings.exists() else []
        self.records = [json.loads(line) for line in lines]

    def phases(self) -> dict[str, float]:
        """The main process's phases, then the forked workers' (the slowest worker's, per phase)."""
        out: dict[str, float] = {}
        for record in self.records:
            prefix = "" if record["process"] == "main" else "worker "
            for name, seconds in record["phases"].items():
                out[prefix + name] = max(out.get(prefix + name, 0.0), seconds)
        return out

    def collectors(self) -> dict[str, float]:
        """Each namespace collector's seconds, summed over every process of the capture."""
        out: dict[str, float] = {}
        for record in self.records:
            for name, seconds in record["collectors"].items():
                out[name] = out.get(name, 0.0) + seconds
        return out


def install_wheel() -> Path:
    """The wheel of this checkout installed into a directory, with the capture path's dependencies.

    Built before the sandbox (pip's build isolation fetches setuptools), from a copy of the checkout
    (setuptools writes build/ and *.egg-info into the source tree)."""
    work = Path(tempfile.mkdtemp(prefix="nsd-capture-wheel-"))
    junk = shutil.ignore_patterns(".venv", ".git", "build", "site", ".build", ".cache", "*.egg-info",
                                  "__pycache__", ".*_cache", "pyodide")
    shutil.copytree(REPO, work / "src", ignore=junk)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"),
                    str(work / "src")], check=True, stdout=subprocess.DEVNULL)
    (wheel,) = (work / "dist").glob("netstack_docs-*.whl")
    target = work / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, stdout=subprocess.DEVNULL)
    import jsonschema_rs
    import pyroute2.config  # noqa: F401  (for its package directory)

    for module in (sys.modules["pyroute2"], jsonschema_rs):
        source = Path(module.__file__).parent  # type: ignore[arg-type]
        shutil.copytree(source, target / source.name)
    subprocess.run([SYSTEM_PYTHON, "-m", "compileall", "-q", str(target)], check=True,
                   stdout=subprocess.DEVNULL)
    return target


def time_loop(count: int) -> float:
    namespaces = ["root"] + [f"n{i}" for i in range(count)]
    start = time.perf_counter()
    for ns in namespaces:
        for command in LOOP_COMMANDS:
            prefix = [] if ns == "root" else ["ip", "netns", "exec", ns]
            subprocess.run(prefix + command.split(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_of(rows: list[dict[str, float]]) -> dict[str, float]:
    names = list(dict.fromkeys(name for row in rows for name in row))
    return {name: statistics.median(row.get(name, 0.0) for row in rows) for name in names}


def inside(count: int, runs: int, profile: Path | None, record: bool, baseline: Path | None,
           installed: Path) -> None:
    from netstack_docs.bundle.build import write_bundle

    t0 = time.perf_counter()
    build(count)
    print(f"built {count} namespaces in {time.perf_counter() - t0:.1f} s; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="nsd-capture-bench-"))
    bundle = work / "netstack-capture.pyz"
    write_bundle(bundle)
    commands = {
        "package": ([sys.executable, "-m", "netstack_docs", *ARGS], REPO),
        "bundle": ([SYSTEM_PYTHON, "-I", "-S", str(bundle), *ARGS], REPO),
        "installed wheel": (["env", f"PYTHONPATH={installed}", SYSTEM_PYTHON, "-m", "netstack_docs",
                             *ARGS], work),
    }
    if baseline is not None:  # the same two from another checkout, in the same rounds
        old_bundle = work / "baseline.pyz"
        write_old = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
                     "from netstack_docs.bundle.build import write_bundle; write_bundle(Path(sys.argv[2]))")
        subprocess.run([sys.executable, "-c", write_old, str(baseline), str(old_bundle)], check=True,
                       cwd=baseline)
        commands = {"baseline package": ([sys.executable, "-m", "netstack_docs", *ARGS], baseline),
                    "baseline bundle": ([SYSTEM_PYTHON, "-I", "-S", str(old_bundle), *ARGS], baseline),
                    **commands}
    captures: dict[str, list[Run]] = {label: [] for label in commands}
    loops: list[float] = []
    for i in range(runs):
        for label, (cmd, cwd) in commands.items():
            old = label.startswith("baseline")
            run = Run(cmd, work / f"{label}.json", work / f"{label}.timings", cwd, old)
            captures[label].append(run)
            print(f"run {i + 1}: {label:<16} {run.seconds:6.2f} s  {run.cpu:5.2f} CPU s  "
                  f"{run.rss_mb:6.1f} MB  snapshot {run.size / 1e6:.2f} MB", flush=True)
        loops.append(time_loop(count))
        print(f"run {i + 1}: {'loop':<16} {loops[-1]:6.2f} s", flush=True)
    doc = json.loads((work / "package.json").read_text())  # the last package capture's
    links = sum(len(ns["links"]) for ns in doc["namespaces"])
    gaps = len(doc["gaps"]) + sum(len(ns["gaps"]) for ns in doc["namespaces"])
    print(f"\nsnapshot: {len(doc['namespaces'])} namespaces, {links} links, {gaps} gaps; medians of {runs} "
          f"alternated runs; loop = {len(LOOP_COMMANDS)} commands x {count + 1} namespaces")
    figures = Figures("capture", record)
    loop_s = statistics.median(loops)
    figures.show("loop s", loop_s, "s")
    for label, done in captures.items():
        seconds = statistics.median(r.seconds for r in done)
        ratio = seconds / loop_s
        rss = max(r.rss_mb for r in done)
        keep = not label.startswith("baseline")  # an earlier commit's figures are shown, never recorded
        figures.show(f"{label} s", seconds, "s", keep=keep)
        figures.show(f"{label} CPU s", statistics.median(r.cpu for r in done), "s", keep=keep)
        figures.show(f"{label} / loop", ratio, "x", digits=3, keep=keep)
        figures.show(f"{label} peak RSS", rss, "MB", digits=1, keep=keep)
        print(f"  -> {label}: {ratio:.3f}x the loop (goal <= {RATIO_GOAL}: "
              f"{'met' if ratio <= RATIO_GOAL else 'NOT met'}), peak {rss:.0f} MB "
              f"(goal <= {MEMORY_GOAL_MB} MB: {'met' if rss <= MEMORY_GOAL_MB else 'NOT met'})")
    for label, done in captures.items():
        print(f"\nwhere the {label} capture's time goes (median s per phase; main process, then workers):")
        keep = not label.startswith("baseline")
        for name, seconds in median_of([r.phases() for r in done]).items():
            figures.show(f"{label} phase {name}", seconds, "s", digits=3, keep=keep)
        per_collector = sorted(median_of([r.collectors() for r in done]).items(), key=lambda kv: -kv[1])
        print("  namespace collectors, seconds summed over namespaces and processes: "
              + ", ".join(f"{name} {seconds:.2f}" for name, seconds in per_collector))
    figures.close(f"{count} namespaces, {runs} alternated runs, load average {os.getloadavg()[0]:.1f}")
    if profile is not None:
        profile_one(commands["package"][0], work, profile)


def profile_one(cmd: list[str], work: Path, into: Path) -> None:
    """One package capture under cProfile (this process's threads only, not the forked workers')."""
    python, rest = cmd[0], cmd[1:]
    subprocess.run([python, "-m", "cProfile", "-o", str(into), *rest, "--out", str(work / "profiled.json")],
                   cwd=REPO, check=True)
    print(f"\ncProfile of one package capture (main process) in {into}; top by cumulative time:")
    pstats.Stats(str(into)).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = sandbox_parser(__doc__)
    parser.add_argument("--namespaces", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="alternated rounds (medians are reported)")
    parser.add_argument("--profile", type=Path, default=None, help="also profile one capture into this file")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a checkout of an earlier commit (git archive or git worktree): its package "
                             "and bundle captures join the same rounds, printed as 'baseline ...'")
    parser.add_argument("--installed", type=Path, help=argparse.SUPPRESS)  # set before the sandbox
    add_record_option(parser)
    args = parser.parse_args()
    if not args.inside:
        print("building and installing the wheel of this checkout ...", flush=True)
        sys.argv += ["--installed", str(install_wheel())]
        run_inside(__file__, "it builds namespaces inside a sandbox")
    profile = args.profile.resolve() if args.profile else None
    baseline = args.baseline.resolve() if args.baseline else None
    inside(args.namespaces, args.runs, profile, args.record, baseline, args.installed)


if __name__ == "__main__":
    main()
