"""`ansible-playbook ansible/capture.yml` against real SSH hosts (sandboxes running Debian's sshd).

Six inventory hosts: three that work (each its own hostname and topology), one unreachable (its
veth is up, no sshd), one whose capture hangs (a FIFO as /etc/os-release) past netstack_timeout, and
one whose `python3` exists but exits 1 without a word. ansible-playbook is started by its path in the
virtualenv, which is not on PATH (nothing named netstack-docs is): the role must not need it there.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fleetlab import Host, address, inventory_vars, start_hosts
from sandbox import REPO, run_in_sandbox

from netstack_docs.snapshot.load import load_snapshot

BIN = Path(sys.executable).parent
HOSTS = [
    Host("Edge-01.example.org", "ip link add br-lan type bridge; ip link set br-lan up\n"
                                "ip netns add guest; ip link add g0 type veth peer name eth0 netns guest\n"
                                "ip link set g0 master br-lan up"),
    Host("web-02", "ip netns add app; ip link add app0 type veth peer name eth0 netns app\n"
                   "ip addr add 10.1.2.1/30 dev app0; ip link set app0 up"),
    Host("lab-03", "ip tuntap add dev tap7 mode tap; tc qdisc add dev eth0 root handle 1: htb default 10\n"
                   # left out by the docs repository's mkdocs.yml (extra.netstack.exclude_netns)
                   "ip netns add scratch; ip link add s0 type veth peer name s1 netns scratch"),
    Host("gone-04", sshd=False),
    Host("stuck-05", "rm -f /etc/os-release; mkfifo /etc/os-release"),  # open() blocks: capture hangs
    # a python3 first on root's PATH that exits 1 and prints nothing (this host's own /usr/local/bin)
    Host("silent-06", "mount -t tmpfs tmpfs /usr/local/bin\n"
                      "printf '#!/bin/sh\\nexit 1\\n' > /usr/local/bin/python3\n"
                      "chmod 755 /usr/local/bin/python3"),
]
MARK = "=====RUN====="


def _inventory(work: str) -> dict[str, object]:
    hv = {h.name: {"ansible_host": address(i)} for i, h in enumerate(HOSTS, start=1)}
    hv["Edge-01.example.org"]["netstack_role"] = "edge <router> | 1"
    hv["web-02"]["netstack_env"] = "staging"  # the variable wins over the group
    hv["web-02"].update(netstack_redact=True, netstack_redact_key=f"{work}/controller/redact.key")
    hv["lab-03"]["netstack_host"] = "bench-03"
    hv["stuck-05"]["netstack_timeout"] = 4
    return {"all": {"vars": inventory_vars(work), "children": {
        "prod": {"hosts": {n: hv[n] for n in ("Edge-01.example.org", "web-02", "stuck-05", "silent-06")}},
        "lab": {"hosts": {n: hv[n] for n in ("lab-03", "gone-04")}},
    }}}


def _docs_repository(root: Path) -> None:
    """A docs repository as `netstack-docs new` lays it out, with previous snapshots of the failing hosts."""
    subprocess.run([str(BIN / "netstack-docs"), "new", str(root), "--env", "prod", "--env", "lab"],
                   check=True, capture_output=True)
    with (root / "mkdocs.yml").open("a") as config:
        config.write("extra:\n  netstack:\n    exclude_netns: [scratch]\n")
    demo = json.loads((REPO / "snapshots/prod/edge-01.json").read_text())
    for env, host in (("prod", "stuck-05"), ("lab", "gone-04")):
        demo["host"].update(env=env, hostname=host)
        (root / "snapshots" / env).mkdir(parents=True, exist_ok=True)
        (root / "snapshots" / env / f"{host}.json").write_text(json.dumps(demo, indent=2) + "\n")


@pytest.fixture(scope="module")
def fleet_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Run the playbook twice against the same sandbox fleet; keep the snapshots after the first run."""
    if shutil.which("sshd", path="/usr/sbin") is None:
        pytest.skip("Debian's openssh-server is not installed (make deps)")
    root = tmp_path_factory.mktemp("fleet") / "docs-repo"
    work = tmp_path_factory.mktemp("fleet-work")
    work.chmod(0o755)
    _docs_repository(root)
    (root / "inventory.yml").write_text(yaml.safe_dump(_inventory(str(work))))
    before = {p.relative_to(root): p.read_bytes() for p in (root / "snapshots").rglob("*.json")}
    playbook = (
        f"cd {root}\n"
        f"export HOME={work} ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1\n"  # the virtualenv is not on PATH
        # the hosts share this machine's /tmp: what the captures leave there shows in the difference
        "ls -d /tmp/netstack-capture.* 2>/dev/null | sort > ../tmp-before || true\n"
        "for run in 1 2 3 4; do\n"
        f"  echo '{MARK}'; rc=0\n"
        "  case $run in 3) limit='--limit gone-04,stuck-05';; 4) limit='--limit lab-03 --check';;\n"
        "    *) limit=;; esac\n"
        "  [ $run = 4 ] && cp -a snapshots before-check\n"
        f"  {BIN}/ansible-playbook -i inventory.yml ansible/capture.yml $limit || rc=$?; echo \"rc=$rc\"\n"
        "  if [ $run = 1 ]; then cp -a snapshots first-run; fi\n"
        "done\n"
        "ls -d /tmp/netstack-capture.* 2>/dev/null | sort > ../tmp-after || true\n"
    )
    proc = run_in_sandbox(start_hosts(HOSTS, str(work)) + playbook, timeout=600)
    runs = proc.stdout.split(MARK)[1:]
    before_runs, after_runs = ((root.parent / f"tmp-{t}").read_text().split() for t in ("before", "after"))
    left = set(after_runs) - set(before_runs)
    return {"root": root, "runs": runs, "before": before, "stderr": proc.stderr, "left_on_hosts": left,
            "work": work}


def _rc(run: str) -> int:
    return int(re.findall(r"^rc=(\d+)$", run, re.M)[-1])


def test_working_hosts_land_under_their_environment_with_their_names(fleet_run: dict) -> None:
    root: Path = fleet_run["root"]
    expected = {"prod/edge-01-example-org.json": "Edge-01.example.org", "lab/bench-03.json": "lab-03"}
    for rel, hostname in expected.items():
        doc = load_snapshot(root / "snapshots" / rel)  # validated against the schema
        env, host = rel.removesuffix(".json").split("/")
        assert (doc["host"]["env"], doc["host"]["hostname"]) == (env, host), fleet_run["runs"][0]
        assert doc["host"]["node_name"] == hostname if "node_name" in doc["host"] else True
    edge = load_snapshot(root / "snapshots/prod/edge-01-example-org.json")
    assert edge["host"]["role"] == "edge <router> | 1"
    assert {"root", "guest"} <= {ns["id"] for ns in edge["namespaces"]}
    web = load_snapshot(root / "snapshots/staging/web-02.json")
    assert {"root", "app"} <= {ns["id"] for ns in web["namespaces"]}
    assert len(web["namespaces"]) >= 2
    # bpf(2) is refused on the sandbox hosts (fleetlab.NO_BPF): a gap, not the machine's programs
    assert web["bpf"]["programs"] == [] and any(g["what"].startswith("bpf") for g in web["gaps"])
    assert not list(root.glob("snapshots/**/.*")), "staging files left behind"
    assert not fleet_run["left_on_hosts"], "temporary files left on the hosts"


def test_failed_hosts_keep_their_previous_file_and_the_summary_names_them(fleet_run: dict) -> None:
    root: Path = fleet_run["root"]
    for rel, data in fleet_run["before"].items():
        assert (root / rel).read_bytes() == data, rel
    first = fleet_run["runs"][0]
    assert _rc(first) != 0
    lines = [line for line in first.splitlines() if re.search(r"(ok|failed) \S+ -> ", line)]
    text = "\n".join(lines)
    assert re.search(r"failed gone-04 -> lab/gone-04: unreachable", text), first
    assert "failed stuck-05 -> prod/stuck-05: capture did not finish within 4 s" in text, first
    assert re.search(r"ok lab-03 -> lab/bench-03: new snapshot", text), first
    # the reason names the failing step and what is known, never ssh's known-hosts warning
    silent = "failed silent-06 -> prod/silent-06: capture: python3 exited with status 1 and printed nothing"
    assert silent in text, first
    assert "Warning" not in text and "known hosts" not in text, text
    assert re.search(r"3 host\(s\) failed: (gone-04|stuck-05|silent-06), (gone-04|stuck-05|silent-06), "
                     r"(gone-04|stuck-05|silent-06)", first), first


def test_the_repository_s_excluded_namespaces_are_left_out_and_said(fleet_run: dict) -> None:
    bench = load_snapshot(fleet_run["root"] / "snapshots/lab/bench-03.json")
    assert "scratch" not in {ns["id"] for ns in bench["namespaces"]}
    assert bench["meta"]["exclude_netns"] == ["scratch"]
    assert [(e["id"], e["why"], e.get("pattern")) for e in bench["state"]["namespaces_left_out"]] == [
        ("scratch", "excluded", "scratch")]


def test_a_rerun_changes_no_configuration(fleet_run: dict) -> None:
    root: Path = fleet_run["root"]
    second = fleet_run["runs"][1]
    assert _rc(second) != 0  # the same two hosts still fail
    cli = str(BIN / "netstack-docs")
    diff = subprocess.run([cli, "diff", str(root / "first-run"), str(root / "snapshots")],
                          capture_output=True, text=True)
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert "configuration unchanged" in second
    for host in ("Edge-01.example.org", "web-02", "lab-03"):
        assert re.search(rf"^{re.escape(host)}\s*: ok=\d+\s+changed=0\s", second, re.M), second


def test_the_summary_comes_even_when_every_host_fails(fleet_run: dict) -> None:
    third = fleet_run["runs"][2]  # --limit gone-04,stuck-05
    assert _rc(third) != 0
    assert re.search(r"failed gone-04 -> lab/gone-04: unreachable", third), third
    assert "failed stuck-05 -> prod/stuck-05: capture did not finish within 4 s" in third, third
    assert "2 host(s) failed: gone-04, stuck-05" in third or "2 host(s) failed: stuck-05, gone-04" in third
    assert re.search(r"^gone-04\s*: ok=\d+\s+changed=0\s+unreachable=0\s+failed=1\s", third, re.M), third


def test_check_mode_captures_and_compares_but_writes_nothing(fleet_run: dict) -> None:
    root: Path = fleet_run["root"]
    fourth = fleet_run["runs"][3]  # --limit lab-03 --check
    assert _rc(fourth) == 0, fourth
    assert "ok lab-03 -> lab/bench-03: configuration unchanged" in fourth, fourth
    saved = root / "before-check"
    for path in saved.rglob("*.json"):
        assert (root / "snapshots" / path.relative_to(saved)).read_bytes() == path.read_bytes()


def test_a_redacted_host_is_redacted_on_the_controller_with_its_key(fleet_run: dict) -> None:
    root: Path = fleet_run["root"]
    text = (root / "snapshots/staging/web-02.json").read_text()
    web = load_snapshot(root / "snapshots/staging/web-02.json")
    assert web["meta"]["redacted"] is True and web["host"]["env"] == "staging"
    assert "10.1.2.1" not in text and web["host"]["hostname"] != "web-02", web["host"]
    key = Path(fleet_run["work"]) / "controller/redact.key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) >= 16
