"""Anchor ids: the URL contract runbooks rely on."""

import re

from netstack_docs.model.identity import IDENTITY, anchor_id, object_anchor

ANCHOR = re.compile(r"^[a-z0-9-]+$")


def test_clean_names_give_readable_anchors():
    assert object_anchor("link", "root", {"ifname": "eth0"}) == "link-root--eth0"


def test_names_that_slug_alike_get_distinct_anchors():
    a = object_anchor("link", "root", {"ifname": "eth0.100@eth0"})
    b = object_anchor("link", "root", {"ifname": "eth01.00@eth0"})
    assert a != b and ANCHOR.match(a) and ANCHOR.match(b)


def test_anchor_is_deterministic_and_lowercase_for_hostile_names():
    for name in ["a|b", "<b>x", "{{7*7}}", "[x](y)", "ETH0", "---", "\u00e9th0", "x\x00y"]:
        first = object_anchor("link", "pid/42", {"ifname": name})
        assert first == object_anchor("link", "pid/42", {"ifname": name})
        assert ANCHOR.match(first), first


def test_namespace_and_name_boundaries_do_not_collide():
    assert anchor_id("link", "a-b", ("c",)) != anchor_id("link", "a", ("b-c",))


def test_every_kind_has_an_identity():
    assert {"link", "addr", "route", "rule", "qdisc", "nftrule", "socket", "prog"} <= set(IDENTITY)
