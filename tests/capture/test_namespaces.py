"""Namespace discovery and in-process capture: named, Docker-style and /proc-only namespaces, once each."""

from __future__ import annotations

import json

from capturecli import MARK, capture, link, namespace
from sandbox import run_in_sandbox

from netstack_docs.capture.namespaces import owner_key, unit_in
from netstack_docs.versions.changes import anchors
from netstack_docs.versions.diff import diff_snapshots

DOCKER_ID = "0123456789ab"
TOPOLOGY = rf"""
ip netns add blue
ip netns add 'odd name'
# A process holding a namespace nobody named: reachable only through /proc/<pid>/ns/net.
unshare --net sh -c 'ip link add lonely0 type veth peer name lonely1; exec sleep 300' &
# A Docker-style namespace: bind-mounted under /var/run/docker/netns, held by a process too.
unshare --net sh -c 'ip link add eth0 type veth peer name eth1; exec sleep 300' &
sleep 0.5
PIDS=$(pgrep -x sleep | sort -n)
set -- $PIDS
LONELY=$1; DOCKER=$2
touch /var/run/docker/netns/{DOCKER_ID}
mount --bind /proc/$DOCKER/ns/net /var/run/docker/netns/{DOCKER_ID}
# The process of a named namespace: the same inode must not appear twice.
ip netns exec blue sleep 300 &
sleep 0.2
echo "LONELY=$LONELY DOCKER=$DOCKER" > /tmp/pids
"""


def test_every_reachable_namespace_is_found_once_with_its_origin_and_owner():
    doc = capture(TOPOLOGY, after="cat /tmp/pids >&2")
    by_kind: dict[str, list[str]] = {}
    for ns in doc["namespaces"]:
        by_kind.setdefault(ns["kind"], []).append(ns["id"])
    assert by_kind["root"] == ["root"]
    assert sorted(by_kind["named"]) == ["blue", "odd name"]
    assert by_kind["docker"] == [f"docker/{DOCKER_ID}"]
    assert len(by_kind["proc"]) == 1  # blue's sleeper is blue, the docker sleeper is docker/<id>
    inodes = [ns["inode"] for ns in doc["namespaces"]]
    assert len(inodes) == len(set(inodes))

    lonely = namespace(doc, by_kind["proc"][0])
    assert lonely["owner"]["comm"] == "sleep"
    assert lonely["id"] == "proc/sleep"  # named after its owner; the pid is a fact
    assert lonely["owner"]["pid"] > 1
    assert lonely["path"] == f"/proc/{lonely['owner']['pid']}/ns/net"
    assert {x["ifname"] for x in lonely["links"]} == {"lo", "lonely0", "lonely1"}

    docker = namespace(doc, f"docker/{DOCKER_ID}")
    assert docker["path"] == f"/var/run/docker/netns/{DOCKER_ID}"
    assert docker["name"] == DOCKER_ID
    assert docker["owner"]["comm"] == "sleep"
    assert link(docker, "eth0")["parent"]["ifname"] == "eth1"

    blue = namespace(doc, "blue")
    assert blue["path"] == "/run/netns/blue" and blue["owner"] is None
    assert [x["ifname"] for x in blue["links"]] == ["lo"]
    assert namespace(doc, "odd name")["links"][0]["ifname"] == "lo"
    assert doc["namespaces"][0]["id"] == "root"


ISOLATION = r"""
import json, threading
from netstack_docs.capture import netns
# Each task dumps links with pyroute2's sync IPRoute from a thread that entered one namespace.
# Many at once, so a socket opened in the wrong namespace (or a shared helper) would show.
from pyroute2 import IPRoute
def names():
    ours = sorted(m.get_attr("IFLA_IFNAME") for m in netns.rtnl().get_links())
    with IPRoute() as ipr:  # pyroute2's own sync API must land in the same namespace
        theirs = sorted(m.get_attr("IFLA_IFNAME") for m in ipr.get_links())
    assert ours == theirs, (ours, theirs)
    return ours
tasks = [netns.Task(f"n{i}", f"/run/netns/n{i}", names) for i in range(12)]
tasks.append(netns.Task("root", None, names))
out = netns.run_all(tasks, workers=6)
main_thread = sorted(__import__("os").listdir("/sys/class/net"))
for t in threading.enumerate():  # a worker may still be closing its socket after handing back its result
    if t.name.startswith("netns:"):
        t.join(5)
print(json.dumps({"results": {k: o.value for k, o in out.items()},
                  "threads": [t.name for t in threading.enumerate()],
                  "main": main_thread, "inode_main": netns.thread_netns_inode()}))
"""


def test_setns_moves_only_the_worker_thread_and_iproute_follows_it():
    script = (
        "for i in $(seq 0 11); do ip netns add n$i\n"
        "  ip -n n$i link add only-n$i type veth peer name p$i; done\n"
        "ip link add only-root type veth peer name proot\n"
        f"$PYTHON - <<'PY'\n{ISOLATION}\nPY\n"
    )
    out = json.loads(run_in_sandbox(script).stdout.strip().splitlines()[-1])
    for i in range(12):
        assert out["results"][f"n{i}"] == ["lo", f"only-n{i}", f"p{i}"]
    assert out["results"]["root"] == ["lo", "only-root", "proot"]
    assert "only-root" in out["main"]  # the main thread never moved
    assert out["threads"] == ["MainThread"]  # every worker ended; pyroute2 left no helper thread behind


VANISH = r"""
import json, subprocess
from netstack_docs.capture import namespaces, run
# Discovery sees `doomed`; it is deleted before its worker enters it (the window a real capture
# has on a busy host). Patch discovery to hand back that stale list, then capture.
found = namespaces.discover()
subprocess.run(["ip", "netns", "delete", "doomed"], check=True)
namespaces.discover = lambda: found
doc = run.capture_host("lab", "t")
print(json.dumps({"ids": [n["id"] for n in doc["namespaces"]], "gaps": doc["gaps"]}))
"""


def test_a_namespace_deleted_mid_capture_becomes_a_gap_not_a_crash():
    script = f"ip netns add doomed\nip netns add stays\n$PYTHON - <<'PY'\n{VANISH}\nPY\n"
    out = json.loads(run_in_sandbox(script).stdout.strip().splitlines()[-1])
    assert "doomed" not in out["ids"] and "stays" in out["ids"]
    gaps = [g for g in out["gaps"] if g["namespace"] == "doomed"]
    assert len(gaps) == 1 and "vanished" in gaps[0]["reason"]


SPREAD = r"""
import json
from netstack_docs.capture import run
from netstack_docs.snapshot.load import config_view
one = run.capture_host("lab", "t", processes=1)
two = run.capture_host("lab", "t", processes=3)
# BPF programs are host-wide: other sandboxes on this shared machine load and unload theirs meanwhile
one.pop("bpf"); two.pop("bpf")
print(json.dumps({"equal": config_view(one) == config_view(two), "count": len(two["namespaces"]),
                  "peer": [l["parent"] for ns in two["namespaces"] if ns["id"] == "s7" for l in ns["links"]
                           if l["ifname"] == "eth0"]}))
"""


def test_forked_worker_processes_capture_the_same_as_one_process():
    script = (
        "ip link add br0 type bridge\n"
        "for i in $(seq 0 9); do ip netns add s$i; ip link add h$i type veth peer name eth0 netns s$i\n"
        "  ip link set h$i master br0; ip -n s$i addr add 10.3.0.$((i+2))/24 dev eth0; done\n"
        f"$PYTHON - <<'PY'\n{SPREAD}\nPY\n"
    )
    out = json.loads(run_in_sandbox(script).stdout.strip().splitlines()[-1])
    assert out["equal"] is True and out["count"] == 11
    assert out["peer"] == [{"ifname": "h7", "ifindex": out["peer"][0]["ifindex"], "netns": "root"}]


def test_a_namespace_task_over_its_timeout_is_abandoned_and_reported():
    import threading
    import time

    from netstack_docs.capture import netns

    release = threading.Event()
    tasks = [netns.Task("stuck", None, lambda: release.wait(10)), netns.Task("quick", None, lambda: 42)]
    started = time.monotonic()
    out = netns.run_all(tasks, workers=2, timeout=0.3)
    release.set()
    assert time.monotonic() - started < 5
    assert out["stuck"].timed_out and out["stuck"].error is None
    assert out["quick"].value == 42 and not out["quick"].timed_out


def test_a_worker_process_that_fails_leaves_what_it_took_reported_not_lost(tmp_path):
    import os
    import time
    from types import SimpleNamespace

    from netstack_docs.capture import fanout
    from netstack_docs.capture.context import NamespaceCapture, empty_namespace

    parent = os.getpid()
    items = [SimpleNamespace(id=f"ns{i}") for i in range(4)]
    took = tmp_path / "took"

    def capture(some, done):
        if os.getpid() != parent:  # the forked worker takes one namespace and dies before answering
            took.write_text(next(iter(some)).id)
            raise RuntimeError("worker breaks")
        give_up = time.monotonic() + 10
        while not took.exists() and time.monotonic() < give_up:
            time.sleep(0.01)
        return {i.id: NamespaceCapture(i.id, empty_namespace(i.id, "named")) for i in some}

    seen: list[str] = []
    results = fanout.capture_spread(items, capture, {}, seen.append, processes=2)
    lost = took.read_text()
    assert results[lost][0] == "failed" and "worker process failed" in results[lost][1]
    assert all(isinstance(results[i.id], NamespaceCapture) for i in items if i.id != lost)
    assert seen == [lost]  # the parent's own namespaces report through `capture` itself


def test_namespaces_are_handed_out_as_processes_are_ready_so_a_slow_one_holds_back_no_other():
    import os
    import time
    from types import SimpleNamespace

    from netstack_docs.capture import fanout
    from netstack_docs.capture.context import NamespaceCapture, empty_namespace

    items = [SimpleNamespace(id=f"ns{i}") for i in range(10)]

    def capture(some, done):
        out = {}
        for item in some:
            if item.id == "ns0":
                time.sleep(0.5)  # the root namespace of a big host: as much work as many others
            out[item.id] = NamespaceCapture(item.id, empty_namespace(item.id, "named"), {"pid": os.getpid()})
        return out

    results = fanout.capture_spread(items, capture, {}, lambda _id: None, processes=2)
    by_pid: dict[int, list[str]] = {}
    for ns_id, cap in results.items():
        by_pid.setdefault(cap.state["pid"], []).append(ns_id)
    assert len(by_pid) == 2 and sorted(results) == sorted(i.id for i in items)
    assert ["ns0"] in by_pid.values()  # whoever took the slow one took nothing else


def test_the_work_queue_hands_out_every_index_once_even_beyond_a_default_pipe():
    from netstack_docs.capture.fanout import WorkQueue

    queue = WorkQueue(20000)  # 80,000 bytes: more than a pipe holds by default
    taken = list(queue.items(list(range(20000))))
    queue.close()
    assert taken == list(range(20000))


# Two daemons of the same program, each in a namespace only it holds (PrivateNetwork=-style), each with
# a different link so the two namespaces can be told apart; then both restart with new pids.
HOLDERS = r"""
hold() {  # $1: a link in the new namespace, $2 its MAC byte; the holder is a `sleep`, like a daemon
  unshare --net sh -c "ip link add $1 address 02:00:00:00:$2:01 type veth \
                         peer name $1-peer address 02:00:00:00:$2:02; exec sleep 300" &
  sleep 0.3
}
hold first 01; hold second 02
"""
RESTART = r"""
kill $(pgrep -x sleep); sleep 0.3
for _ in 1 2 3; do sleep 0 & done  # move the pid counter on
hold first 01; hold second 02
"""


def test_process_namespaces_are_named_after_their_owner_and_keep_ids_across_a_restart():
    script = (
        f"{HOLDERS}\n"
        "$PYTHON -m netstack_docs capture --env lab --host t --out /tmp/one.json --quiet\n"
        f"{RESTART}\n"
        "$PYTHON -m netstack_docs capture --env lab --host t --out /tmp/two.json --quiet\n"
        f"echo '{MARK}'; cat /tmp/one.json; echo '{MARK}'; cat /tmp/two.json\n"
    )
    _, one, two = run_in_sandbox(script).stdout.split(MARK)
    before, after = json.loads(one), json.loads(two)

    def held(doc: dict) -> dict[str, tuple[int, list[str]]]:
        return {ns["id"]: (ns["owner"]["pid"], sorted(x["ifname"] for x in ns["links"]))
                for ns in doc["namespaces"] if ns["kind"] == "proc"}

    old, new = held(before), held(after)
    # named after the owner (comm), numbered in pid order; the pid is a fact that changed
    assert old.keys() == new.keys() == {"proc/sleep", "proc/sleep#2"}
    assert old["proc/sleep"][1] == new["proc/sleep"][1] == ["first", "first-peer", "lo"]
    assert old["proc/sleep#2"][1] == new["proc/sleep#2"][1] == ["lo", "second", "second-peer"]
    assert {pid for pid, _ in old.values()}.isdisjoint(pid for pid, _ in new.values())
    # so every object keeps its anchor, and the diff says nothing changed in those namespaces
    kept = [{a for a in anchors(doc) if "proc-sleep" in a} for doc in (before, after)]
    assert kept[0] == kept[1]
    assert len([a for a in anchors(after) if a.startswith("link-proc-sleep")]) == 6
    changed = diff_snapshots(before, after, "lab", "t")
    assert not [ns.id for ns in changed.namespaces if ns.id.startswith("proc/")], changed


def test_owner_keys_prefer_container_then_service_then_command():
    cgroup = "12:pids:/system.slice/dnsmasq.service\n0::/system.slice/dnsmasq.service\n"
    assert unit_in(cgroup) == "dnsmasq.service"
    assert unit_in("0::/user.slice/user-1000.slice/session-3.scope\n") is None
    assert unit_in("1:name=systemd:/system.slice/x.service/payload\n") == "x.service"
    owner = {"pid": 912, "comm": "dnsmasq", "container_id": None, "unit": "dnsmasq.service"}
    assert owner_key(owner, own_unit="netstack-docs.service") == "unit/dnsmasq.service"
    assert owner_key(owner, own_unit="dnsmasq.service") == "proc/dnsmasq"  # the capture's own unit: no clue
    assert owner_key({**owner, "container_id": "ab" * 32}, None) == "container/abababababab"
