"""eBPF programs loaded through bpf(2) and attached as XDP and tc filters, found with their attachments."""

from __future__ import annotations

import json
from pathlib import Path

from bundle import BUNDLE_PATH_SNIPPET, UNPRIVILEGED_PYTHON
from sandbox import run_in_sandbox
from snapdoc import validated

SCRIPT = r"""
ip netns add blue
ip link add va type veth peer name vb netns blue
ip link set va up; ip -n blue link set vb up
xdp=$($PYTHON tests/bpfload.py xdp va --name nsd_xdp_root)
blue=$(ip netns exec blue $PYTHON tests/bpfload.py xdp vb --name nsd_xdp_blue)
tc=$($PYTHON tests/bpfload.py tc va --name nsd_tc_in --direction ingress)
$PYTHON -m netstack_docs capture --env test --host sbx --out /tmp/snap.json -q
echo "{\"xdp\": $xdp, \"blue\": $blue, \"tc\": $tc}"
echo '=====' ; cat /tmp/snap.json
"""


def test_xdp_and_tc_programs_are_listed_with_type_name_tag_and_attachment():
    ids_text, snap = run_in_sandbox(SCRIPT).stdout.split("=====\n")
    ids = json.loads(ids_text.strip().splitlines()[-1])
    doc = validated(json.loads(snap))
    progs = {p["id"]: p for p in doc["bpf"]["programs"]}
    xdp, blue, tc = progs[ids["xdp"]], progs[ids["blue"]], progs[ids["tc"]]
    assert (xdp["type"], xdp["name"]) == ("xdp", "nsd_xdp_root")
    assert (blue["type"], blue["name"]) == ("xdp", "nsd_xdp_blue")
    assert (tc["type"], tc["name"]) == ("sched_cls", "nsd_tc_in")
    for prog in (xdp, blue, tc):
        assert len(prog["tag"]) == 16 and int(prog["tag"], 16) >= 0
    # Same instructions, same tag: the tag is a hash of the program, not of its name.
    assert xdp["tag"] == blue["tag"]
    assert xdp["attached"] == [{"kind": "xdp", "namespace": "root", "ifname": "va", "detail": "xdpgeneric"}]
    assert blue["attached"] == [{"kind": "xdp", "namespace": "blue", "ifname": "vb", "detail": "xdpgeneric"}]
    assert tc["attached"] == [{"kind": "tc", "namespace": "root", "ifname": "va", "detail": "ingress"}]
    # The links collector's XDP view gets the program's name.
    root = next(ns for ns in doc["namespaces"] if ns["id"] == "root")
    va = next(link for link in root["links"] if link["ifname"] == "va")
    assert va["xdp"] == {"mode": "xdpgeneric", "prog_id": ids["xdp"], "prog_name": "nsd_xdp_root"}
    # Volatile numbers are state, keyed by program id.
    assert set(doc["state"]["bpf"][str(ids["tc"])]) == {"load_time_ns", "run_cnt", "run_time_ns"}
    assert not [g for g in doc["gaps"] if g["what"].startswith("bpf")]


def test_without_privilege_bpf_programs_are_a_gap_not_a_failure(capture_bundle: Path):
    script = r"""
ip link add va type veth peer name vb; ip link set va up
$PYTHON tests/bpfload.py xdp va --name nsd_xdp_priv > /dev/null
""" + UNPRIVILEGED_PYTHON + " - <<'PY'\n" + BUNDLE_PATH_SNIPPET + r"""
import json
from netstack_docs.capture.context import HostCapture, NamespaceCapture, empty_namespace
from netstack_docs.capture import bpf
doc = {"bpf": {"programs": []}, "state": {}, "gaps": []}
bpf.collect(HostCapture(doc, [NamespaceCapture("root", empty_namespace("root", "root"))], False))
print(json.dumps(doc))
PY
"""
    proc = run_in_sandbox(script, env={"BUNDLE": str(capture_bundle)})
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    assert doc["bpf"]["programs"] == []
    [gap] = doc["gaps"]
    assert gap["what"] == "bpf programs" and "Operation not permitted" in gap["reason"]


def test_programs_attached_through_bpf_links_are_found():
    # tcx (kernel >= 6.6) has no netlink view at all: only BPF links show it. XDP through a link
    # shows in both views and is reported once.
    script = r"""
ip netns add blue
ip link add va type veth peer name vb netns blue
ip link set va up; ip -n blue link set vb up
cat > /tmp/links.py <<'PY'
import socket, sys, time
sys.path.insert(0, "tests")
import bpfload
ifindex = socket.if_nametoindex(sys.argv[1])
tc = bpfload.load_program(bpfload.BPF_PROG_TYPE_SCHED_CLS, "nsd_tcx", bpfload.TC_ACT_OK)
bpfload.link_create(tc, ifindex, bpfload.BPF_TCX_INGRESS)
xdp = bpfload.load_program(bpfload.BPF_PROG_TYPE_XDP, "nsd_xdp_link", bpfload.XDP_PASS)
bpfload.link_create(xdp, ifindex, bpfload.BPF_XDP)
print(bpfload.program_id(tc), bpfload.program_id(xdp), flush=True)
time.sleep(60)
PY
$PYTHON /tmp/links.py va > /tmp/ids &
ip netns exec blue $PYTHON /tmp/links.py vb > /tmp/ids-blue &
for i in $(seq 300); do test -s /tmp/ids && test -s /tmp/ids-blue && break; sleep 0.1; done
test -s /tmp/ids && test -s /tmp/ids-blue || { echo "BPF link holders did not start" >&2; exit 1; }
test "$(ip -o link show va | cut -d: -f1)" = "$(ip -n blue -o link show vb | cut -d: -f1)"
$PYTHON -m netstack_docs capture --env test --host sbx --out /tmp/snap.json -q
cat /tmp/ids /tmp/ids-blue; echo '=====' ; cat /tmp/snap.json
"""
    ids_text, snap = run_in_sandbox(script).stdout.split("=====\n")
    tcx_id, xdp_id, tcx_blue, xdp_blue = (int(x) for x in ids_text.split())
    doc = validated(json.loads(snap))
    progs = {p["id"]: p for p in doc["bpf"]["programs"]}
    # va and vb have the same ifindex (2) in their namespaces: each tcx program is placed right.
    for prog_id, ns, ifname in ((tcx_id, "root", "va"), (tcx_blue, "blue", "vb")):
        assert progs[prog_id]["attached"] == [{"kind": "tcx", "namespace": ns, "ifname": ifname,
                                               "detail": "tcx_ingress"}]
    for prog_id, ns, ifname in ((xdp_id, "root", "va"), (xdp_blue, "blue", "vb")):
        [xdp] = progs[prog_id]["attached"]
        assert (xdp["kind"], xdp["namespace"], xdp["ifname"]) == ("xdp", ns, ifname)


def test_attachment_in_a_namespace_the_capture_cannot_see_is_not_pinned_on_a_same_ifindex_link():
    # ifindexes repeat across namespaces: a tcx program on ifindex 2 of an unreachable namespace
    # must not be reported as attached to root's ifindex 2 (va). The hidden namespace is kept alive
    # only by an open fd: no mount, no process inside it, so no capture can enter it.
    script = r"""
T=$(mktemp -d)  # files of this sandbox only: /tmp is the machine's
ip netns add hidden
ip link add va type veth peer name vh netns hidden
ip link set va up; ip -n hidden link set vh up
cat > "$T/hide.py" <<'PY'
import ctypes, os, socket, sys, time
sys.path.insert(0, "tests")
import bpfload
libc = ctypes.CDLL(None, use_errno=True)
root = os.open("/proc/self/ns/net", os.O_RDONLY)
hidden = os.open("/run/netns/hidden", os.O_RDONLY)
assert libc.setns(hidden, 0x40000000) == 0
ifindex = socket.if_nametoindex("vh")
tc = bpfload.load_program(bpfload.BPF_PROG_TYPE_SCHED_CLS, "nsd_hidden_tcx", bpfload.TC_ACT_OK)
bpfload.link_create(tc, ifindex, bpfload.BPF_TCX_INGRESS)
assert libc.setns(root, 0x40000000) == 0
print(bpfload.program_id(tc), ifindex, flush=True)
time.sleep(60)
PY
$PYTHON "$T/hide.py" > "$T/ids" &
for i in $(seq 600); do grep -q ' ' "$T/ids" 2>/dev/null && break; sleep 0.1; done
grep -q ' ' "$T/ids" || { echo "BPF link holder did not start" >&2; exit 1; }
ids=$(cat "$T/ids")
ip netns delete hidden
test "$(ip -o link show va | cut -d: -f1)" = "${ids#* }"
$PYTHON -m netstack_docs capture --env test --host sbx --out "$T/snap.json" -q
echo "$ids"; echo '=====' ; cat "$T/snap.json"
"""
    ids_text, snap = run_in_sandbox(script).stdout.split("=====\n")
    prog_id, ifindex = (int(x) for x in ids_text.split())
    doc = validated(json.loads(snap))
    assert [ns["id"] for ns in doc["namespaces"]] == ["root"]
    [prog] = [p for p in doc["bpf"]["programs"] if p["id"] == prog_id]
    assert prog["attached"] == [
        {"kind": "tcx", "namespace": None, "ifname": f"ifindex {ifindex}", "detail": "tcx_ingress"}
    ]
