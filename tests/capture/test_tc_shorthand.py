"""u32 filters typed into a real kernel (sandbox), captured by the real capture, read back by the page
in the words that were typed (full masks left out): netstack_docs.model.tcmatch against tc itself."""

from __future__ import annotations

from capturecli import capture, namespace

from netstack_docs.model.tcmatch import filter_text, u32_matches


def test_filters_typed_into_the_kernel_come_back_in_the_words_that_were_typed() -> None:
    typed = {
        1: "match ip dport 22",
        2: "match ip src 10.0.0.0/8 match ip protocol 6 (tcp)",
        3: "match ip dst 192.0.2.0/24 match ip sport 53",
        4: "match ip6 dst 2001:db8::/32",
    }
    doc = capture(r"""
ip link add d0 type veth peer name d1; ip link set d0 up
tc qdisc add dev d0 root handle 1: htb default 10
tc class add dev d0 parent 1: classid 1:10 htb rate 10mbit
tc filter add dev d0 parent 1: protocol ip prio 1 u32 match ip dport 22 0xffff flowid 1:10
tc filter add dev d0 parent 1: protocol ip prio 2 u32 match ip src 10.0.0.0/8 match ip protocol 6 0xff \
  flowid 1:10
tc filter add dev d0 parent 1: protocol ip prio 3 u32 match ip dst 192.0.2.0/24 match ip sport 53 0xffff \
  flowid 1:10
tc filter add dev d0 parent 1: protocol ipv6 prio 4 u32 match ip6 dst 2001:db8::/32 flowid 1:10
""")
    filters = [f for f in namespace(doc, "root")["tc"]["filters"] if (f.get("options") or {}).get("keys")]
    got = {f["pref"]: " ".join(u32_matches(f)) for f in filters}
    assert got == typed
    assert all(filter_text(f).endswith("classid 1:10") for f in filters)
