"""Traffic control captured in tc's units: htb classes, tbf, clsact with a real BPF filter."""

from __future__ import annotations

from typing import Any

from capturecli import capture, namespace
from pyroute2.netlink.rtnl import RTM_NEWTFILTER
from pyroute2.netlink.rtnl.tcmsg import tcmsg

from netstack_docs.capture import netns, tc
from netstack_docs.capture.context import NamespaceCapture, empty_namespace
from netstack_docs.model.classify import kind_of
from netstack_docs.model.packet_path import packet_path

TOPOLOGY = r"""
ip link add t0 type veth peer name t1
ip link set t0 up; ip link set t1 up
tc qdisc add dev t0 root handle 1: htb default 20 r2q 100
tc class add dev t0 parent 1: classid 1:1 htb rate 100mbit ceil 200mbit
tc class add dev t0 parent 1:1 classid 1:20 htb rate 10mbit ceil 100mbit prio 3
tc qdisc add dev t0 parent 1:20 handle 20: pfifo limit 100
tc filter add dev t0 parent 1: protocol ip prio 5 u32 match ip dst 10.0.0.0/8 flowid 1:20
tc qdisc add dev t1 root handle 5: tbf rate 1mbit burst 32kbit latency 400ms
$PYTHON $REPO/tests/bpfload.py tc t1 --name nsd_tc --direction ingress > /tmp/prog_id
ip link add ifb7 type ifb
tc qdisc add dev t0 handle ffff: ingress
tc filter add dev t0 parent ffff: protocol all prio 9 bpf bytecode '1,6 0 0 4294967295' \
  action mirred egress redirect dev ifb7
"""


def test_qdiscs_classes_and_filters_are_captured_with_parameters():
    doc = capture(TOPOLOGY)
    tc = namespace(doc, "root")["tc"]
    assert tc["qdiscs"], namespace(doc, "root")["gaps"]
    qdiscs = {(q["ifname"], q["handle"]): q for q in tc["qdiscs"]}
    htb = qdiscs[("t0", "1:")]
    assert htb["kind"] == "htb" and htb["parent"] == "root"
    assert htb["options"]["default"] == "0x20" and htb["options"]["r2q"] == 100
    assert qdiscs[("t0", "20:")]["options"] == {"limit": 100}
    assert qdiscs[("t0", "20:")]["parent"] == "1:20"
    tbf = qdiscs[("t1", "5:")]
    assert tbf["options"]["rate"] == 1_000_000 and tbf["options"]["burst"] == 4096
    assert tbf["options"]["latency_us"] == 400_000
    clsact = qdiscs[("t1", "ffff:")]
    assert clsact["kind"] == "clsact" and clsact["parent"] == "ffff:fff1"

    classes = {c["classid"]: c for c in tc["classes"]}
    top = classes["1:1"]["options"]
    assert top["rate"] == 100_000_000 and top["ceil"] == 200_000_000
    assert classes["1:20"]["parent"] == "1:1" and classes["1:20"]["options"]["prio"] == 3
    assert classes["1:20"]["leaf"] == "20:"
    assert classes["1:1"]["options"]["burst"] > 0

    u32 = [f for f in tc["filters"] if f["kind"] == "u32" and f["options"].get("classid")]
    assert len(u32) == 1 and u32[0]["options"]["classid"] == "1:20"
    assert u32[0]["protocol"] == "ip" and u32[0]["pref"] == 5 and u32[0]["parent"] == "1:"
    # A classic BPF filter has bytecode, not a program, and its redirect action names the device.
    [cbpf] = [f for f in tc["filters"] if f["kind"] == "bpf" and f["parent"] == "ffff:"]
    assert cbpf["bpf"] is None and cbpf["options"] == {"bytecode": "1,6 0 0 4294967295"}
    redirect = {"kind": "mirred", "action": "egress redirect", "dev": "ifb7", "then": "stolen"}
    assert cbpf["actions"] == [redirect]
    bpf = [f for f in tc["filters"] if f["kind"] == "bpf" and f["bpf"]]
    assert len(bpf) == 1
    assert bpf[0]["direction"] == "ingress" and bpf[0]["ifname"] == "t1"
    assert bpf[0]["bpf"]["prog_id"] > 0 and bpf[0]["bpf"]["direct_action"] is True
    assert bpf[0]["bpf"]["name"] == "nsd_tc"

    # Counters are state, keyed by object.
    state = doc["state"]["namespaces"]["root"]["tc"]
    assert "basic" in state["qdisc t0 1:"]
    assert "basic" not in str(tc)


SHARED_BLOCK = r"""
ip link add s0 type veth peer name s1; ip link set s0 up; ip link set s1 up
tc qdisc add dev s0 ingress_block 22 clsact
tc qdisc add dev s1 ingress_block 22 egress_block 23 clsact
tc filter add block 22 protocol ip prio 1 u32 match ip dport 22 0xffff action mirred egress redirect dev s1
tc filter add block 23 protocol all prio 2 bpf bytecode '1,6 0 0 4294967295'
"""


def test_filters_of_a_shared_block_are_captured_once_under_the_block():
    """Issue 15 (also seen): block filters were attributed to `if-1` and repeated per sharing device."""
    doc = capture(SHARED_BLOCK)
    root = namespace(doc, "root")
    blocks = {(q["ifname"], q.get("ingress_block"), q.get("egress_block")) for q in root["tc"]["qdiscs"]
              if q["kind"] == "clsact"}
    assert blocks == {("s0", 22, None), ("s1", 22, 23)}
    flts = [f for f in root["tc"]["filters"] if "keys" in f["options"] or f["kind"] == "bpf"]
    assert [(f["ifname"], f["block"], f["parent"], f["direction"]) for f in flts] == [
        ("block 22", 22, "ffff:fff2", "ingress"), ("block 23", 23, "ffff:fff3", "egress")]
    assert flts[0]["actions"][0]["dev"] == "s1"
    assert not [f for f in root["tc"]["filters"] if f["ifname"].startswith("if")]
    path = packet_path(doc)
    ingress = {s.label: s.detail for s in path.ingress if s.label.startswith("tc ingress")}
    assert ingress == {"tc ingress on s0": "clsact qdisc with 1 ingress filter",
                       "tc ingress on s1": "clsact qdisc with 1 ingress filter"}
    assert kind_of("tc.filters", flts[0]).id == "tc-block-filter"


def _u32_with_counters(rhit: int, success: int) -> Any:
    """An RTM_NEWTFILTER of a u32 filter as a CONFIG_CLS_U32_PERF/_MARK kernel sends it."""
    msg = tcmsg()
    msg["header"]["type"] = RTM_NEWTFILTER
    msg["index"], msg["handle"], msg["parent"] = 2, 0x80000800, 0xFFFFFFF2
    msg["info"] = (5 << 16) | 0x0008  # pref 5, protocol ip (network order)
    msg["attrs"] = [("TCA_KIND", "u32"), ("TCA_OPTIONS", {"attrs": [
        ("TCA_U32_CLASSID", 0x10014),
        ("TCA_U32_MARK", {"val": 0x10, "mask": 0xFF, "success": success}),
        ("TCA_U32_PCNT", {"rcnt": rhit * 10, "rhit": rhit, "kcnts": rhit}),
    ]})]
    return msg


class _RecordedRtnl:
    """Answers the tc collector's dumps with recorded messages (encoded to bytes, decoded back)."""

    def __init__(self, *filters: Any) -> None:
        self.qdisc, self.filters = tcmsg(), filters
        self.qdisc["index"], self.qdisc["handle"], self.qdisc["parent"] = 2, 0xFFFF0000, 0xFFFFFFF1
        self.qdisc["attrs"] = [("TCA_KIND", "clsact")]

    @staticmethod
    def _wire(msg: Any) -> Any:
        msg.encode()
        decoded = tcmsg(bytes(msg.data))
        decoded.decode()
        return decoded

    def get_qdiscs(self) -> list[Any]:
        return [self._wire(self.qdisc)]

    def get_classes(self, index: int) -> list[Any]:
        return []

    def get_filters(self, index: int, parent: int) -> list[Any]:
        return [self._wire(f) for f in self.filters] if parent == 0xFFFFFFF2 else []


def test_u32_hit_and_mark_counters_are_state_not_options():
    """MOCK: this kernel is built without CONFIG_CLS_U32_PERF and CONFIG_CLS_U32_MARK, so it never sends
    TCA_U32_PCNT or the mark's success count. The messages are built to the kernel's layout with
    pyroute2's tcmsg encoder and fed to the real collector; two captures differ only in the counters."""
    captured = []
    for rhit, success in ((3, 1), (9000, 77)):
        ns = NamespaceCapture("root", empty_namespace("root", "root"), ifnames={2: "t0"})
        netns._local.ipr = _RecordedRtnl(_u32_with_counters(rhit, success))
        try:
            tc.collect(ns)
        finally:
            netns._local.ipr = None
        captured.append(ns)
    first, second = captured
    assert first.doc["tc"] == second.doc["tc"]
    [flt] = second.doc["tc"]["filters"]
    assert flt["options"]["mark"] == "0x10/0xff" and flt["options"]["classid"] == "1:14"
    assert "9000" not in str(flt) and "77" not in str(flt)  # no counter in the configuration
