"""tc options decoded from bytes match tc's own reading: `tc -j -d` for what this kernel builds, and the
values of the command line for what it cannot (recorded iproute2 messages, see tests/fixtures/tc-recorded).

This kernel has htb, tbf, the fifos, pfifo_fast, mq, clsact/ingress, u32 and bpf filters and the
mirred action; fq, fq_codel, codel, sfq, cake, hfsc, mqprio, netem, prio, ets, flower, matchall,
gact, police and skbedit are absent, so those are decoded from the messages iproute2 6.1 wrote for
them (recorded with strace by tests/fixtures/tc-recorded/record.py; the kernel dumps the same
attributes back).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from capturecli import namespace
from pyroute2.netlink.rtnl.tcmsg import tcmsg
from sandbox import run_in_sandbox

from netstack_docs.capture import tc
from netstack_docs.model.tcfacts import tc_size
from netstack_docs.snapshot.load import validate_document

RECORDED = json.loads((Path(__file__).parents[1] / "fixtures" / "tc-recorded" / "messages.json").read_text())
MARK = "=====TC====="
KERNEL_OBJECTS = r"""
ip link add d0 numtxqueues 4 type veth peer name d1; ip link add e0 type veth peer name e1
ip link add f0 type veth peer name f1; ip link add ifb0 type ifb
for d in d0 d1 e0 e1 f0 f1 ifb0; do ip link set $d up; done
tc qdisc add dev d0 root handle 1: mq
tc qdisc add dev d0 parent 1:1 bfifo limit 30000
tc qdisc add dev d0 parent 1:2 pfifo limit 77
tc qdisc add dev d0 parent 1:3 pfifo_head_drop limit 9
tc qdisc add dev d0 parent 1:4 pfifo_fast
tc qdisc add dev e0 root handle 1: htb default 20 r2q 5
tc class add dev e0 parent 1: classid 1:1 htb rate 100mbit burst 15k
tc class add dev e0 parent 1:1 classid 1:10 htb rate 60mbit ceil 100mbit prio 1 quantum 3000
tc class add dev e0 parent 1:1 classid 1:20 htb rate 40gbit ceil 50gbit quantum 60000
tc filter add dev e0 parent 1: protocol ip prio 1 u32 match ip dport 22 0xffff match ip dst 10.0.0.0/8 \
  flowid 1:10
tc qdisc add dev e0 clsact
tc filter add dev e0 ingress protocol ip prio 2 u32 match ip src 192.0.2.0/24 \
  action mirred egress redirect dev ifb0
tc qdisc add dev f0 root tbf rate 80mbit burst 64kb latency 50ms
tc qdisc add dev e1 root tbf rate 10gbit burst 1mb limit 3000000
tc qdisc add dev f1 root tbf rate 50gbit burst 4mb latency 1ms
$PYTHON -m netstack_docs capture --env lab --host t --out /tmp/snap.json --quiet
echo '=====TC====='; tc -j -d qdisc show
echo '=====TC====='; tc -j -d filter show dev e0 parent 1:
echo '=====TC====='; tc -j -d filter show dev e0 ingress
echo '=====TC====='; tc -d class show dev e0
echo '=====TC====='; cat /tmp/snap.json
"""
_RATE = {"bit": 1, "Kbit": 1000, "Mbit": 1000 ** 2, "Gbit": 1000 ** 3}


def _size(size: int) -> str:
    """Our byte count as tc prints it (`64Kb/1`: the size, then the cell size): tc's own rounding."""
    return f"{tc_size(size)}/1"


def _rate(text: str) -> int:
    m = re.match(r"^(\d+(?:\.\d+)?)(bit|Kbit|Mbit|Gbit)$", text)
    assert m, text
    return round(float(m.group(1)) * _RATE[m.group(2)])


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """tc -j repeats the "match" key once per u32 key: keep them all."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key == "match":
            out.setdefault("matches", []).append(value)
        else:
            out[key] = value
    return out


@pytest.fixture(scope="module")
def kernel() -> tuple[dict[str, Any], list[Any]]:
    parts = run_in_sandbox(KERNEL_OBJECTS).stdout.split(MARK)
    qdiscs, flt_root, flt_ingress = (json.loads(p, object_pairs_hook=_pairs) for p in parts[1:4])
    snap = validate_document(json.loads(parts[5]), "sandbox snapshot")
    gaps = namespace(snap, "root")["gaps"]
    assert not [g for g in gaps if g["what"] == "tc"], gaps  # the tc collector itself did not fail
    return snap, [qdiscs, flt_root, flt_ingress, parts[4]]


def test_qdisc_options_equal_what_tc_reads_from_the_kernel(kernel):
    snap, (tc_qdiscs, *_) = kernel
    ours = {(q["ifname"], q["parent"]): q for q in namespace(snap, "root")["tc"]["qdiscs"]}
    theirs = {(q["dev"], "root" if q.get("root") else q.get("parent")): q for q in tc_qdiscs}
    compared = 0
    for key, q in theirs.items():
        if key not in ours or q["kind"] == "noqueue":
            continue
        mine, opts = ours[key]["options"], q["options"]
        assert ours[key]["kind"] == q["kind"]
        if q["kind"] in ("bfifo", "pfifo", "pfifo_head_drop"):
            assert mine == {"limit": opts["limit"]}
        elif q["kind"] == "pfifo_fast":
            assert (mine["bands"], mine["priomap"]) == (opts["bands"], opts["priomap"])
        elif q["kind"] in ("mq", "clsact"):
            assert mine == opts == {}
        elif q["kind"] == "tbf":  # tc -j prints the rate in bytes/s
            assert mine["rate"] == opts["rate"] * 8 and _size(mine["burst"]) == opts["burst"]
            assert mine["latency_us"] == opts["lat"]
        elif q["kind"] == "htb":
            assert (mine["r2q"], mine["default"], mine["direct_qlen"]) == (opts["r2q"], opts["default"],
                                                                          opts["direct_qlen"])
        else:
            continue
        compared += 1
    assert compared == 11  # mq, 3 fifos, 2 pfifo_fast, 3 tbf, htb, clsact: every qdisc but noqueue
    assert ours[("f1", "root")]["options"]["rate"] == 50_000_000_000  # above 32 bits: TCA_TBF_RATE64


def test_htb_classes_equal_tc_class_show_including_64_bit_rates(kernel):
    snap, (*_, text) = kernel
    tc_classes = namespace(snap, "root")["tc"]["classes"]
    classes = {c["classid"]: c["options"] for c in tc_classes if c["ifname"] == "e0"}
    seen = 0
    for line in text.splitlines():
        m = re.search(r"class htb (\S+) .*?(?:prio (\d+) quantum (\d+) )?rate (\S+) ceil (\S+) "
                      r".*?burst (\S+) .*?cburst (\S+) .*?level (\d+)", line)
        if not m:
            continue
        mine = classes[m.group(1)]
        if m.group(2):  # tc leaves prio and quantum out for inner classes
            assert (mine["prio"], mine["quantum"]) == (int(m.group(2)), int(m.group(3)))
        assert mine["level"] == int(m.group(8))
        assert (mine["rate"], mine["ceil"]) == (_rate(m.group(4)), _rate(m.group(5)))
        assert (_size(mine["burst"]), _size(mine["cburst"])) == (m.group(6), m.group(7))
        seen += 1
    assert seen == 3 and classes["1:20"]["rate"] == 40_000_000_000


def _u32_keys(tc_filters: list[dict[str, Any]]) -> dict[str, list[tuple[int, int, int]]]:
    out = {}
    for f in tc_filters:
        matches = (f.get("options") or {}).get("matches")
        if matches:
            out[f["options"]["fh"]] = [(int(m["value"], 16), int(m["mask"], 16), m["off"]) for m in matches]
    return out


def test_u32_keys_and_mirred_actions_equal_tc_filter_show(kernel):
    """Issue 15: pyroute2 read u32 keys 4 bytes early (`dport 22` became off 369098752)."""
    snap, (_, flt_root, flt_ingress, _) = kernel
    filters = namespace(snap, "root")["tc"]["filters"]
    for parent, tc_filters in (("1:", flt_root), ("ffff:fff2", flt_ingress)):
        mine = {f["handle"]: [(int(k["value"], 16), int(k["mask"], 16), k["off"])
                              for k in f["options"]["keys"]]
                for f in filters
                if f["ifname"] == "e0" and f["parent"] == parent and "keys" in f["options"]}
        assert mine == _u32_keys(tc_filters) and mine
    [dport] = [f for f in filters if f["parent"] == "1:" and "keys" in f["options"]]
    assert dport["options"]["keys"][0] == {"value": "00000016", "mask": "0000ffff", "off": 20}
    assert dport["options"]["classid"] == "1:10"
    [redirect] = [f for f in filters if f["parent"] == "ffff:fff2" and "keys" in f["options"]]
    [tc_act] = next(f["options"]["actions"] for f in flt_ingress if "actions" in (f.get("options") or {}))
    assert redirect["actions"] == [{"kind": tc_act["kind"], "action": f"{tc_act['direction']} "
                                    f"{tc_act['mirred_action']}", "dev": tc_act["to_dev"],
                                    "then": tc_act["control_action"]["type"]}]
    gaps = [g for g in namespace(snap, "root")["gaps"] if g["what"] == "tc options"]
    assert gaps == []  # every kind here has its decoder


def _recorded(name: str) -> tuple[dict[str, Any] | None, list[str]]:
    msg = tcmsg(bytes.fromhex(RECORDED[name]["message"]))
    msg.decode()
    ifnames = {int(k): v for k, v in RECORDED["ifnames"].items()}
    undecoded: list[str] = []
    parse = {36: tc.parse_qdisc, 40: tc.parse_class, 44: tc.parse_filter}[msg["header"]["type"]]
    return parse(msg, ifnames, undecoded), undecoded


# case -> (expected options, expected actions), from the command line recorded next to the bytes
EXPECTED: dict[str, tuple[dict[str, Any], list[dict[str, Any]] | None]] = {
    "fq": ({"limit": 5000, "flow_limit": 50, "quantum": 3028, "initial_quantum": 15140,
            "maxrate": 100_000_000, "buckets": 2048, "refill_delay_us": 50_000, "orphan_mask": 511,
            "low_rate_threshold": 275_000,
            "ce_threshold_us": 4000, "horizon_us": 5_000_000, "horizon_drop": True}, None),
    "fq_codel": ({"limit": 10240, "flows": 2048, "target_us": 4000, "interval_us": 90_000, "quantum": 1514,
                  "ecn": True, "ce_threshold_us": 3000, "memory_limit": 16 * 1024 * 1024,
                  "drop_batch": 32}, None),
    "mqprio": ({"num_tc": 3, "map": [2, 2, 1, 0] + [2] * 12, "hw": 0, "queues": ["1@0", "1@1", "2@2"]}, None),
    "netem": ({"delay_us": 100_000, "jitter_us": 10_000, "loss_pct": 1.0, "limit": 500}, None),
    "prio": ({"bands": 4, "priomap": [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 3]}, None),
    "ets": ({"bands": 4, "strict": 1, "quanta": [3000, 2000, 1000], "priomap": [0, 1, 2, 3] * 4}, None),
    "ets_class": ({"quantum": 4000}, None),
    "flower": ({"eth_type": "ip", "ip_proto": "tcp", "dst_ip": "10.1.0.0/16", "src_ip": "192.0.2.7",
                "dst_port": 22, "ip_tos": "0x10/0xf0", "skip_hw": True},
               [{"kind": "gact", "action": "drop"}]),
    "flower_ranges": ({"eth_type": "ipv6", "ip_proto": "udp", "src_port": "1000-2000",
                       "dst_mac": "02:00:00:00:00:01", "ct_state": "+trk+est"},
                      [{"kind": "gact", "action": "pass"}]),
    "matchall": ({"skip_hw": True}, [
        {"kind": "skbedit", "mark": "0x5/0xff", "priority": "1:10", "then": "pipe"},
        {"kind": "mirred", "action": "egress mirror", "dev": "ifb0", "then": "pipe"}]),
    "police": ({"keys": [{"value": "00000035", "mask": "0000ffff", "off": 20}], "terminal": True},
               [{"kind": "police", "rate": 1_000_000, "burst": 10240, "exceed": "drop", "conform": "pipe"}]),
    "gact_prob": ({}, [{"kind": "gact", "action": "pass",
                        "random": {"type": "determ", "val": 10, "action": "drop"}}]),
    "codel": ({"limit": 2000, "target_us": 3000, "interval_us": 80_000, "ecn": True, "ce_threshold_us": 2000},
              None),
    "sfq": ({"limit": 3000, "quantum": 1514, "divisor": 2048, "flows": 0, "perturb_s": 10, "depth": 64,
             "headdrop": False}, None),
    "cake": ({"bandwidth": 50_000_000, "diffserv": "diffserv4", "flow_mode": "dual-srchost", "overhead": 18,
              "rtt_us": 50_000, "target_us": 2500, "autorate_ingress": False, "nat": True, "wash": True,
              "mpu": 64, "ack_filter": "ack-filter", "split_gso": True}, None),  # tc derives target from rtt
    "hfsc": ({"default": "0x10"}, None),
    "hfsc_class": ({"rt": {"m1": 2_000_000, "d_us": 10_000, "m2": 1_000_000},
                    "ls": {"m1": 0, "d_us": 0, "m2": 5_000_000}, "ul": {"m1": 0, "d_us": 0, "m2": 8_000_000}},
                   None),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recorded_iproute2_messages_decode_to_the_values_of_their_command(name):
    obj, undecoded = _recorded(name)
    assert obj is not None and undecoded == []
    options, actions = EXPECTED[name]
    assert obj["options"] == options, RECORDED[name]["command"]
    assert obj.get("actions") == actions, RECORDED[name]["command"]


def test_a_kind_without_a_decoder_is_named_not_dropped():
    msg = tcmsg(bytes.fromhex(RECORDED["fq"]["message"].replace(b"fq\0".hex(), b"zq\0".hex(), 1)))
    msg.decode()
    undecoded: list[str] = []
    tc.parse_qdisc(msg, {}, undecoded)
    assert undecoded == ["qdisc zq"]
