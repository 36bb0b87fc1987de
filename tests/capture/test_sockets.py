"""Listening sockets and their owners, captured from real sockets in sandboxed namespaces."""

from __future__ import annotations

import json
from pathlib import Path

from bundle import BUNDLE_PATH_SNIPPET, UNPRIVILEGED_PYTHON
from sandbox import run_in_sandbox
from snapdoc import CAPTURE_SNIPPET, full_document, validated

# A server process (comm "nsd-listener") in netns `blue`: TCP v4 and v6 listeners, a UDP socket,
# a TCP listener bound to a device, and one established TCP connection to itself.
SERVER = r'''
import socket, sys, time, ctypes
ctypes.CDLL(None).prctl(15, b"nsd-listener", 0, 0, 0)  # PR_SET_NAME: the comm the capture must report
t4 = socket.socket(); t4.bind(("10.9.0.1", 8080)); t4.listen()
t6 = socket.socket(socket.AF_INET6); t6.bind(("::", 8443)); t6.listen()
o6 = socket.socket(socket.AF_INET6); o6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
o6.bind(("::", 8444)); o6.listen()
u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u4.bind(("0.0.0.0", 5353))
dev = socket.socket(); dev.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"v-blue|x")
dev.bind(("0.0.0.0", 9000)); dev.listen()
c = socket.create_connection(("10.9.0.1", 8080)); s, _ = t4.accept()
print("ready", flush=True)
time.sleep(60)
'''


def test_listening_sockets_are_captured_with_their_owner_and_connections_are_state():
    script = (
        "ip netns add blue\n"
        "ip link add 'v-blue|x' netns blue type veth peer name v-root\n"
        "ip -n blue link set lo up\nip -n blue link set 'v-blue|x' up\n"
        "ip -n blue addr add 10.9.0.1/24 dev 'v-blue|x'\n"
        f"cat > /tmp/server.py <<'PY'\n{SERVER}\nPY\n"
        "ip netns exec blue $PYTHON /tmp/server.py > /tmp/ready &\n"
        "for i in $(seq 300); do grep -q ready /tmp/ready && break; sleep 0.1; done\n"
        f"$PYTHON - <<'PY'\n{CAPTURE_SNIPPET}\n"
        "print(json.dumps({'blue': capture('/run/netns/blue', 'blue', 'named', ['sockets']),"
        " 'root': capture('', 'root', 'root', ['sockets'])}))\nPY\n"
    )
    out = json.loads(run_in_sandbox(script).stdout.strip().splitlines()[-1])
    blue = out["blue"]
    listening = blue["doc"]["sockets"]["listening"]
    fields = ("protocol", "family", "local_address", "port", "ifname", "process")
    got = {tuple(s[f] for f in fields) for s in listening}
    assert got == {
        ("tcp", "inet", "10.9.0.1", 8080, None, "nsd-listener"),
        ("tcp", "inet6", "::", 8443, None, "nsd-listener"),
        ("tcp", "inet6", "::", 8444, None, "nsd-listener"),
        ("udp", "inet", "0.0.0.0", 5353, None, "nsd-listener"),
        ("tcp", "inet", "0.0.0.0", 9000, "v-blue|x", "nsd-listener"),
    }
    assert listening == sorted(listening, key=lambda s: (s["protocol"], s["family"], s["port"]))
    # IPV6_V6ONLY from sock_diag: whether the IPv6 wildcard socket also takes IPv4 (trace needs it)
    v6only = {s["port"]: s.get("v6only") for s in listening if s["family"] == "inet6"}
    assert v6only == {8443: False, 8444: True}
    assert all("v6only" not in s for s in listening if s["family"] == "inet")
    assert blue["state"]["connections"]["tcp"]["established"] == 2  # both ends of the connection
    pids = blue["state"]["sockets"]["tcp inet 10.9.0.1 8080"]
    assert len(pids) == 1 and pids[0] > 1
    assert blue["doc"]["gaps"] == []
    # The root namespace of the sandbox has none of blue's sockets.
    assert out["root"]["doc"]["sockets"]["listening"] == []
    validated(full_document([blue["doc"], out["root"]["doc"]], state={"namespaces": {"blue": blue["state"]}}))



def test_one_tcp_dump_gives_both_families_and_the_per_family_dumps_give_the_same_capture():
    """TCP of both families comes from one sock_diag dump (one walk of the kernel's shared TCP hash
    tables per namespace, not two): the same sockets as one dump per family, and a kernel that refuses
    the older request still gets the same capture from the per-family dumps."""
    script = (
        "ip netns add blue\n"
        "ip link add 'v-blue|x' netns blue type veth peer name v-root\n"
        "ip -n blue link set lo up\nip -n blue link set 'v-blue|x' up\n"
        "ip -n blue addr add 10.9.0.1/24 dev 'v-blue|x'\n"
        "T=$(mktemp -d)\n"
        f"cat > $T/server.py <<'PY'\n{SERVER}\nPY\n"
        "ip netns exec blue $PYTHON $T/server.py > $T/ready &\n"
        "for i in $(seq 300); do grep -q ready $T/ready && break; sleep 0.1; done\n"
        f"$PYTHON - <<'PY'\n{CAPTURE_SNIPPET}\n"
        "import socket\n"
        "from netstack_docs.capture import sockets\n"
        "def dumps():\n"
        "    both = sockets.dump_tcp_both()\n"
        "    tcp = socket.IPPROTO_TCP\n"
        "    apart = sockets.dump(socket.AF_INET, tcp) + sockets.dump(socket.AF_INET6, tcp)\n"
        "    key = lambda s: json.dumps(s, sort_keys=True)\n"
        "    return {'both': sorted(both, key=key), 'apart': sorted(apart, key=key)}\n"
        "fd = os.open('/run/netns/blue', os.O_RDONLY); _libc.setns(fd, 0x40000000)\n"
        "compared = dumps()\n"
        "fd = os.open('/proc/1/ns/net', os.O_RDONLY); _libc.setns(fd, 0x40000000)\n"
        "one = capture('/run/netns/blue', 'blue', 'named', ['sockets'])\n"
        "def refused():\n"
        "    raise OSError(22, 'Invalid argument')\n"
        "sockets.dump_tcp_both = refused\n"
        "apart = capture('/run/netns/blue', 'blue', 'named', ['sockets'])\n"
        "print(json.dumps({'compared': compared, 'one': one, 'apart': apart}))\nPY\n"
    )
    out = json.loads(run_in_sandbox(script).stdout.strip().splitlines()[-1])
    both = out["compared"]["both"]
    assert both == out["compared"]["apart"]
    assert {s["family"] for s in both} == {2, 10}  # AF_INET and AF_INET6 from the one dump
    assert any(s["congestion_control"] for s in both)  # the attribute asked for comes with it
    assert out["one"]["doc"]["sockets"] == out["apart"]["doc"]["sockets"]
    assert out["one"]["state"]["connections"] == out["apart"]["state"]["connections"]
    assert out["one"]["doc"]["gaps"] == out["apart"]["doc"]["gaps"] == []


SOCKSTAT_PROBE = r"""
import json, os, socket, time, ctypes
from netstack_docs.capture import sockets
libc = ctypes.CDLL(None, use_errno=True)
def enter(name):
    fd = os.open("/run/netns/" + name, os.O_RDONLY); libc.setns(fd, 0x40000000); os.close(fd)
out = {}
enter("empty")
out["empty"] = [sockets.surely_none(sockets.sockstat(), p) for p in ("tcp", "udp")]
enter("udp6")
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::1", 5353))
out["udp6"] = [sockets.surely_none(sockets.sockstat(), p) for p in ("tcp", "udp")]
enter("timewait")
srv = socket.socket(); srv.bind(("127.0.0.1", 8080)); srv.listen()
cli = socket.create_connection(("127.0.0.1", 8080)); conn, _ = srv.accept()
cli.close(); time.sleep(0.1); conn.close(); srv.close(); time.sleep(0.2)
counts = sockets.sockstat()
out["timewait"] = [sockets.surely_none(counts, p) for p in ("tcp", "udp")]
out["timewait"] += [counts["TCP inuse"], counts["TCP tw"]]
out["timewait_dump"] = [s["state"] for s in sockets.dump_tcp_both()]
print(json.dumps(out))
"""


def test_a_namespace_whose_socket_counters_are_zero_is_not_dumped_and_any_socket_makes_it_dumped():
    """sock_diag dumps walk host-wide tables: a namespace with no socket at all is known from its own
    counters (sockstat) and needs none; a socket of any kind, time-wait included, brings the dump back."""
    script = (
        "for ns in empty udp6 timewait; do ip netns add $ns; ip -n $ns link set lo up; done\n"
        f"$PYTHON - <<'PY'\n{SOCKSTAT_PROBE}\nPY\n"
        f"$PYTHON - <<'PY'\n{CAPTURE_SNIPPET}\n"
        "from netstack_docs.capture import sockets\n"
        "def refused(*args):\n"
        "    raise AssertionError('dumped')\n"
        "sockets.dump = sockets.dump_tcp_both = refused\n"
        "print(json.dumps(capture('/run/netns/empty', 'empty', 'named', ['sockets'])))\nPY\n"
    )
    lines = run_in_sandbox(script).stdout.strip().splitlines()
    probe, empty = json.loads(lines[-2]), json.loads(lines[-1])
    assert probe["empty"] == [True, True]
    assert probe["udp6"] == [True, False]
    tcp_none, udp_none, inuse, time_wait = probe["timewait"]
    assert (tcp_none, udp_none, inuse) == (False, True, 0) and time_wait >= 1
    assert 6 in probe["timewait_dump"]  # TCP_TIME_WAIT: what the counters kept from being skipped
    assert empty["doc"]["sockets"] == {"listening": []} and empty["doc"]["gaps"] == []
    assert empty["state"]["connections"] == {}

def test_without_privilege_the_owner_is_unknown_and_the_reason_is_a_gap(capture_bundle: Path):
    script = (
        f"cat > /tmp/server.py <<'PY'\n{SERVER.replace('v-blue|x', 'lo')}\nPY\n"
        "ip addr add 10.9.0.1/32 dev lo\n"
        "$PYTHON /tmp/server.py > /tmp/ready &\n"
        "for i in $(seq 300); do grep -q ready /tmp/ready && break; sleep 0.1; done\n"
        f"{UNPRIVILEGED_PYTHON} - <<'PY'\n{BUNDLE_PATH_SNIPPET}{CAPTURE_SNIPPET}\n"
        "print(json.dumps(capture('', 'root', 'root', ['sockets'])))\nPY\n"
    )
    proc = run_in_sandbox(script, env={"BUNDLE": str(capture_bundle)})
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    listening = out["doc"]["sockets"]["listening"]
    ports = (8080, 8443, 8444, 5353, 9000)
    assert {(s["port"], s["process"]) for s in listening} == {(p, None) for p in ports}
    [gap] = out["doc"]["gaps"]
    assert gap["what"] == "sockets: owning processes"
    assert gap["reason"].startswith("permission denied reading the open files of ")


def test_sockets_are_not_read_when_that_would_load_a_diag_module(monkeypatch, tmp_path):
    # This kernel has no module support, so the guard is exercised with written /proc/modules
    # files (a stand-in for a modular kernel: said here, as the rules ask).
    from netstack_docs.capture import kmod, sockets
    from netstack_docs.capture.context import NamespaceCapture, empty_namespace

    modules = tmp_path / "modules"
    modules.write_text("nf_tables 1 0 - Live 0x0\n")
    assert not kmod.modules_available(sockets.DIAG_MODULES, str(modules), "no-such-release", str(tmp_path))
    modules.write_text("".join(f"{m} 1 0 - Live 0x0\n" for m in sockets.DIAG_MODULES))
    assert kmod.modules_available(sockets.DIAG_MODULES, str(modules), "no-such-release", str(tmp_path))

    monkeypatch.setattr(kmod, "modules_available", lambda needed, *a, **k: False)
    ns = NamespaceCapture("root", empty_namespace("root", "root"))
    sockets.collect(ns)
    assert ns.doc["sockets"]["listening"] == []
    [gap] = ns.doc["gaps"]
    assert gap["what"] == "sockets" and "inet_diag" in gap["reason"]


CONGESTION = r'''
import socket, time
TCP_CONGESTION = getattr(socket, "TCP_CONGESTION", 13)
reno = socket.socket(); reno.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, b"reno")
reno.bind(("127.0.0.1", 7001)); reno.listen()
default = socket.socket(); default.bind(("127.0.0.1", 7002)); default.listen()
print("ready", flush=True)
time.sleep(60)
'''


def test_congestion_control_per_listener_next_to_the_namespace_default():
    # reno is built into every kernel; the namespace default is whatever this kernel's is (cubic here)
    script = (
        "ip netns add cc\nip -n cc link set lo up\n"
        f"cat > /tmp/cc.py <<'PY'\n{CONGESTION}\nPY\n"
        "ip netns exec cc $PYTHON /tmp/cc.py > /tmp/ready &\n"
        "for i in $(seq 300); do grep -q ready /tmp/ready && break; sleep 0.1; done\n"
        f"$PYTHON - <<'PY'\n{CAPTURE_SNIPPET}\n"
        "print(json.dumps(capture('/run/netns/cc', 'cc', 'named', ['sockets', 'sysctls'])))\nPY\n"
    )
    out = json.loads(run_in_sandbox(script).stdout.strip().splitlines()[-1])
    default = out["doc"]["sysctls"]["net.ipv4.tcp_congestion_control"]
    assert default != "reno"  # otherwise the check below could not tell the two apart
    got = {s["port"]: s.get("congestion_control") for s in out["doc"]["sockets"]["listening"]}
    assert got == {7001: "reno", 7002: default}
    validated(full_document([out["doc"]]))


# The namespace's ephemeral range is 40000-50000 with 45001 reserved; one process opens:
UDP_KINDS = r'''
import socket, time
def udp(address, port, connect=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((address, port))
    if connect:
        s.connect(connect)
    return s
keep = [
    udp("0.0.0.0", 0),                  # a client: the kernel picks a port in 40000-50000
    udp("0.0.0.0", 0),                  # another one
    udp("0.0.0.0", 0, ("127.0.0.1", 9)),  # a connected client: not unconnected at all
    udp("0.0.0.0", 5353),               # a service below the range (mDNS)
    udp("0.0.0.0", 51000),              # a service above it
    udp("127.0.0.53", 44000),           # inside the range but on a chosen address (a stub resolver)
    udp("0.0.0.0", 45001),              # inside the range but reserved: never auto-bound
    udp("0.0.0.0", 46000),              # inside the range, wildcard: indistinguishable from a client
]
print("ready", [s.getsockname()[1] for s in keep[:2]], flush=True)
time.sleep(60)
'''


def test_udp_listeners_are_chosen_ports_and_addresses_and_ephemeral_clients_are_only_counted():
    script = (
        "sysctl -qw net.ipv4.ip_local_port_range='40000 50000' net.ipv4.ip_local_reserved_ports=45001\n"
        "ip addr add 127.0.0.53/8 dev lo 2>/dev/null || true\n"
        "work=$(mktemp -d)\n"  # /tmp is the machine's: a fixed /tmp/ready may be another test's
        f"cat > $work/udp.py <<'PY'\n{UDP_KINDS}\nPY\n"
        "$PYTHON $work/udp.py > $work/ready &\n"
        "for i in $(seq 300); do grep -q ready $work/ready && break; sleep 0.1; done\n"
        "cat $work/ready >&2\n"
        f"$PYTHON - <<'PY'\n{CAPTURE_SNIPPET}\n"
        "print(json.dumps(capture('', 'root', 'root', ['sockets'])))\nPY\n"
    )
    proc = run_in_sandbox(script)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    clients = [int(p) for p in proc.stderr.split("[", 1)[1].split("]", 1)[0].split(",")]
    assert all(40000 <= p <= 50000 for p in clients)
    listening = out["doc"]["sockets"]["listening"]
    udp = {(s["local_address"], s["port"]) for s in listening if s["protocol"] == "udp"}
    assert udp == {("0.0.0.0", 5353), ("0.0.0.0", 51000), ("127.0.0.53", 44000), ("0.0.0.0", 45001)}
    # the two auto-bound clients and the documented limit (a wildcard service inside the range): counted
    assert out["state"]["connections"]["udp"]["unconnected-ephemeral"] == 3
    assert out["state"]["connections"]["udp"]["established"] == 1  # the connected client
