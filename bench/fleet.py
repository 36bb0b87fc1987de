"""Benchmark: the fleet capture (ansible/capture.yml) on 20 sandbox hosts, forks=20 against forks=1.

Run as root:  .venv/bin/python bench/fleet.py [--hosts 20]

It re-executes itself inside a throwaway sandbox (the controller), starts N sandbox hosts there
(tests/fleetlab.py: each its own netns, hostname and sshd on a veth), scaffolds a docs repository
with `netstack-docs new`, then runs the real playbook, in the same run:
  (a) one host alone (--limit, forks=1): the reference,
  (b) all N hosts with forks=N,
  (c) all N hosts with forks=1.
Prints seconds in total and per host, the ratio (b)/(a) (goal <= 3) and the controller's peak
memory: the largest sum of PSS over ansible-playbook and all its processes, sampled every 0.1 s
(PSS shares pages between forked workers fairly, so the sum is not inflated by copy-on-write).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from figures import Figures, add_record_option
from sandboxed import REPO, run_inside, sandbox_parser

sys.path.insert(0, str(REPO / "tests"))
from fleetlab import Host, address, inventory_vars, start_hosts  # noqa: E402

BIN = Path(sys.executable).parent


def _tree_pss_kib(root: int) -> int:
    """PSS of `root` and every descendant (from /proc), in KiB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def run_playbook(repo: Path, forks: int, limit: str | None) -> tuple[float, float, int, int]:
    """(seconds, controller CPU seconds, peak PSS in KiB, exit status) of one ansible-playbook run."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [str(BIN / "ansible-playbook"), "-i", "inventory.json", "ansible/capture.yml", "-f", str(forks)]
    cmd += ["--limit", limit] if limit else []
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}", ANSIBLE_NOCOLOR="1")
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_pss_kib(proc.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        print(out[-3000:], file=sys.stderr)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
    return seconds, cpu, peak, proc.returncode


def inside(count: int, record: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="nsd-fleet-bench-"))
    try:
        measure(count, work, record)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(count: int, work: Path, record: bool) -> None:
    work.chmod(0o755)
    hosts = [Host(f"bench-{i:02d}", f"ip netns add app; ip link add a{i} type veth peer name eth0 netns app\n"
                                     f"ip link set a{i} up") for i in range(1, count + 1)]
    env = dict(os.environ, PYTHON=sys.executable, REPO=str(REPO), SYSTEM_PYTHON="/usr/bin/python3")
    subprocess.run(["sh", "-eu", "-c", start_hosts(hosts, str(work))], check=True, env=env)
    os.environ["HOME"] = str(work)  # ansible's control sockets and temp files stay in the work dir
    repo = work / "docs"
    subprocess.run([str(BIN / "netstack-docs"), "new", str(repo), "--env", "bench"], check=True,
                   capture_output=True)
    inventory = {"bench": {"hosts": {h.name: {"ansible_host": address(i)} for i, h in enumerate(hosts, 1)},
                           "vars": inventory_vars(str(work))}}
    (repo / "inventory.json").write_text(json.dumps(inventory))
    runs = [("1 host, forks=1", 1, hosts[0].name, 1), (f"{count} hosts, forks={count}", count, None, count),
            (f"{count} hosts, forks=1", 1, None, count)]
    results = {}
    peaks = {}
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before the runs; the hosts' side "
          "(sshd, modules, captures) runs on the same CPUs as the controller")
    print(f"{'run':<22} {'seconds':>8} {'s/host':>8} {'ctl CPU s':>9} {'peak MB':>8}  status")
    for label, forks, limit, n in runs:
        seconds, cpu, peak, rc = run_playbook(repo, forks, limit)
        results[label] = seconds
        peaks[label] = peak / 1024
        status = "ok" if rc == 0 else f"rc={rc}"
        print(f"{label:<22} {seconds:8.1f} {seconds / n:8.2f} {cpu:9.1f} {peak / 1024:8.0f}  {status}")
    ratio = results[f"{count} hosts, forks={count}"] / results["1 host, forks=1"]
    print(f"{count} hosts with forks={count} take {ratio:.1f}x one host (goal <= 3x); "
          f"forks=1 takes {results[f'{count} hosts, forks=1'] / results['1 host, forks=1']:.1f}x")
    figures = Figures("fleet", record)
    for label, seconds in results.items():
        figures.show(f"{label} s", seconds, "s", digits=1)
        figures.show(f"{label} controller peak", peaks[label], "MB", digits=0)
    figures.show(f"{count} hosts forks={count} / 1 host", ratio, "x", digits=1)
    figures.close()


def main() -> None:
    parser = sandbox_parser(__doc__)
    parser.add_argument("--hosts", type=int, default=20)
    add_record_option(parser)
    args = parser.parse_args()
    if not args.inside:
        run_inside(__file__, "it starts sandbox hosts")
    inside(args.hosts, args.record)


if __name__ == "__main__":
    main()
