"""tc filters spelled as people write them: u32 keys read back into tc's shorthand (`match ip dport 22`).

tests/capture/test_tc_shorthand.py types such filters into a real kernel and reads them back.
"""

from __future__ import annotations

import pytest

from netstack_docs.model.tcmatch import filter_text, u32_matches


def _u32(*keys: tuple[str, str, int], protocol: str = "ip", nexthdr: bool = False) -> dict:
    return {
        "kind": "u32",
        "protocol": protocol,
        "pref": 1,
        "options": {
            "keys": [
                {"value": v, "mask": m, "off": o, **({"offmask": -1} if nexthdr else {})} for v, m, o in keys
            ]
        },
    }


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([("00000016", "0000ffff", 20)], ["match ip dport 22"]),
        ([("00160000", "ffff0000", 20)], ["match ip sport 22"]),
        ([("00160050", "ffffffff", 20)], ["match ip sport 22", "match ip dport 80"]),
        ([("0a000000", "ff000000", 12)], ["match ip src 10.0.0.0/8"]),
        ([("c0a80101", "ffffffff", 16)], ["match ip dst 192.168.1.1"]),
        ([("00060000", "00ff0000", 8)], ["match ip protocol 6 (tcp)"]),
        ([("00000400", "0000fc00", 20)], ["match ip dport 1024 0xfc00"]),
    ],
)
def test_u32_ipv4_keys_read_back_as_tc_shorthand(keys: list, expected: list[str]) -> None:
    assert u32_matches(_u32(*keys)) == expected


def test_transport_ports_after_the_ip_header_take_the_protocol_from_an_ip_protocol_key() -> None:
    flt = _u32(("00110000", "00ff0000", 8))
    flt["options"]["keys"].append({"value": "00000035", "mask": "0000ffff", "off": 0, "offmask": -1})
    assert u32_matches(flt) == ["match ip protocol 17 (udp)", "match udp dport 53"]
    alone = _u32(("00000016", "0000ffff", 0), nexthdr=True)
    assert u32_matches(alone) == ["match tcp/udp dport 22"]  # the same key for tcp and udp


def test_u32_ipv6_addresses_span_several_keys() -> None:
    flt = _u32(("20010db8", "ffffffff", 24), ("00000000", "ffff0000", 28), protocol="ipv6")
    assert u32_matches(flt) == ["match ip6 dst 2001:db8::/48"]


@pytest.mark.parametrize(
    "keys",
    [
        [("00000016", "0000ffff", 24)],  # past the ports of a 20-byte header: not a shorthand
        [("0a000000", "ff00ff00", 12)],  # a mask that is no prefix
        [("00000016", "0000ffff", 20), ("00000017", "0000ffff", 20)],  # two keys on one byte
    ],
)
def test_what_is_not_a_shorthand_stays_as_tc_prints_it(keys: list) -> None:
    assert u32_matches(_u32(*keys)) == [f"match {v}/{m} at {o}" for v, m, o in keys]


def test_filter_text_reads_like_the_tc_command() -> None:
    flower = {
        "kind": "flower",
        "protocol": "ip",
        "pref": 2,
        "actions": [{"kind": "gact", "action": "drop"}],
        "options": {"dst_port": 22, "ip_proto": "tcp", "eth_type": "ip", "skip_hw": True},
    }
    assert (
        filter_text(flower) == "protocol ip pref 2 flower eth_type ip ip_proto tcp dst_port 22 skip_hw "
        "action gact drop"
    )
    bpf = {
        "kind": "bpf",
        "pref": 10,
        "protocol": "all",
        "options": {"bytecode": "1,6 0 0 4294967295"},
        "actions": [{"kind": "mirred", "action": "egress redirect", "dev": "ifb0", "then": "stolen"}],
    }
    assert (
        filter_text(bpf) == "pref 10 bpf bytecode '1,6 0 0 4294967295' action mirred egress redirect "
        "dev ifb0 stolen"
    )
    ebpf = {"kind": "bpf", "pref": 1, "bpf": {"prog_id": 7, "name": "tc_mark", "direct_action": True}}
    assert filter_text(ebpf) == "pref 1 bpf tc_mark id 7 direct-action"
