"""Conformance of the whole curated model: every layer and kind complete, every field it names exists.

Field names are checked against netstack_docs/snapshot/snapshot.schema.json: a template, fact or
matcher naming a field the snapshot does not have would silently show nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from model_fixtures import RECORDED

from netstack_docs.model.facts import _FORMATS
from netstack_docs.model.matcher import Matcher
from netstack_docs.model.model import LAYER_SLUGS, PLACEHOLDER, ModelError, _kind, load_model
from netstack_docs.model.sections import SECTIONS, section, walk
from netstack_docs.snapshot import load_snapshot
from netstack_docs.snapshot.load import schema

MODEL = load_model()
KINDS = list(MODEL.kinds.values())
DOC_HOSTS = ("https://docs.kernel.org/", "https://man7.org/linux/man-pages/", "https://wiki.nftables.org/")


def _schema_node(def_name: str, path: str, extra: tuple[str, ...]) -> dict[str, Any] | None:
    """The schema node a dotted path leads to in $defs[def_name], or None when the field does not exist.

    A node without declared `properties` (free-form objects such as `info`, `nic`, `options`,
    `port`) accepts any deeper key: those hold kernel attributes by their kernel names.
    """
    defs = schema()["$defs"]
    first, _, rest = path.partition(".")
    if first in extra:
        return {}
    node = defs.get(def_name, {}).get("properties", {}).get(first)
    if node is None:
        return None
    for key in rest.split(".") if rest else []:
        props = node.get("properties")
        if props is None:
            return node
        node = props.get(key)
        if node is None:
            return None
    return node


def _required(def_name: str) -> set[str]:
    return set(schema()["$defs"].get(def_name, {}).get("required", []))


@pytest.mark.parametrize("layer", MODEL.layers, ids=lambda layer: layer.slug)
def test_every_layer_is_explained_with_docs_pitfalls_and_checks(layer: Any) -> None:
    assert len(layer.summary) > 80 and len(layer.explanation_md) > 400 and len(layer.packet_flow_md) > 100
    assert layer.docs and all(d.url.startswith("https://") for d in layer.docs)
    assert any(d.url.startswith(DOC_HOSTS) for d in layer.docs), (
        "link the kernel docs, man7.org or the nft wiki"
    )
    assert len(layer.pitfalls) >= 2 and layer.check_commands and layer.gap_words


def test_layers_are_the_ten_slugs_in_url_order_and_each_has_kinds() -> None:
    assert tuple(layer.slug for layer in MODEL.layers) == LAYER_SLUGS
    for slug in LAYER_SLUGS:
        assert MODEL.kinds_of_layer(slug), f"layer {slug} has no component kind"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.id)
def test_every_kind_is_explained_matched_commanded_and_documented(kind: Any) -> None:
    assert kind.layer in LAYER_SLUGS
    assert len(kind.what_md) > 60 and kind.title
    assert kind.recognise.section in SECTIONS
    assert kind.commands, "at least one inspect command"
    assert kind.docs and all(d.url.startswith("https://") for d in kind.docs)
    assert kind.pitfalls and all(p.symptom and p.how_to_tell for p in kind.pitfalls)
    assert kind.facts or kind.section == "namespaces"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.id)
def test_templates_facts_and_matchers_name_only_fields_of_the_schema(kind: Any) -> None:
    sec = section(kind.section)
    for cmd in kind.commands:
        for field in cmd.fields:
            assert _schema_node(sec.schema_def, field, sec.extra_fields) is not None, (
                f"{kind.id}: template {cmd.template!r} names {field!r}, not a field of {sec.schema_def}"
            )
    for fact in kind.facts:
        assert _schema_node(sec.schema_def, fact.path, sec.extra_fields) is not None, (kind.id, fact.path)
        assert fact.format in _FORMATS, (kind.id, fact.format)
    for field in kind.recognise.fields:
        assert _schema_node(sec.schema_def, field, sec.extra_fields) is not None, (kind.id, field)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.id)
def test_every_kind_has_a_command_that_always_renders(kind: Any) -> None:
    """At least one command needs only required fields, so no component is left without one."""
    sec = section(kind.section)
    always = _required(sec.schema_def) | set(sec.extra_fields)
    assert any(set(c.fields) <= always for c in kind.commands), kind.id


def test_placeholders_are_never_inside_quotes_and_templates_start_with_the_tool() -> None:
    """Values are quoted by shlex.quote; inside quotes that quoting would break."""
    for kind in KINDS:
        for cmd in kind.commands:
            for quoted in re.findall(r"'[^']*'|\"[^\"]*\"", cmd.template):
                assert not PLACEHOLDER.search(quoted), (kind.id, cmd.template)
            assert not PLACEHOLDER.match(cmd.tool), (kind.id, cmd.template)


def test_each_section_has_exactly_one_fallback_kind() -> None:
    fallbacks = Counter(k.section for k in KINDS if k.recognise.fallback)
    assert set(fallbacks) == set(SECTIONS), f"sections without fallback: {set(SECTIONS) - set(fallbacks)}"
    assert all(n == 1 for n in fallbacks.values()), fallbacks


def test_every_kind_is_found_in_the_fixture_snapshots_and_no_object_matches_two_kinds() -> None:
    """The fixtures exercise the whole model, and the specific matchers of a section never overlap."""
    seen: set[str] = set()
    for path in RECORDED.values():
        doc = load_snapshot(path)
        for sec, _, _, obj in walk(doc):
            specific = [
                k.id
                for k in MODEL.kinds_of_section(sec.name)
                if not k.recognise.fallback and k.recognise.matches(obj)
            ]
            assert len(specific) <= 1, (sec.name, obj.get("ifname") or obj.get("name"), specific)
            seen.add(
                specific[0]
                if specific
                else next(k.id for k in MODEL.kinds_of_section(sec.name) if k.recognise.fallback)
            )
    assert set(MODEL.kinds) - seen == set()


def test_a_malformed_kind_is_refused_with_its_name() -> None:
    good = {"id": "x", "layer": "link", "title": "X", "what_md": "text", "recognise": {"section": "links"}}
    with pytest.raises(ModelError, match="kind 'x': unknown layer 'nope'"):
        _kind({**good, "layer": "nope"}, set(LAYER_SLUGS))
    with pytest.raises(ModelError, match="kind 'x': recognise: field 'kind'"):
        _kind({**good, "recognise": {"section": "links", "where": {"kind": "veth"}}}, set(LAYER_SLUGS))
    with pytest.raises(ModelError, match="kind 'x': missing 'what_md'"):
        _kind({**good, "what_md": ""}, set(LAYER_SLUGS))


def test_matcher_conditions() -> None:
    m = Matcher.from_yaml(
        {
            "section": "links",
            "where": {
                "kind": ["veth"],
                "master": {"present": True},
                "ifname": {"glob": ["veth*"]},
                "mtu": {"not": [9000]},
            },
        }
    )
    assert m.matches({"kind": "veth", "master": "br0", "ifname": "veth1", "mtu": 1500})
    assert not m.matches({"kind": "veth", "master": None, "ifname": "veth1", "mtu": 1500})
    assert not m.matches({"kind": "veth", "master": "br0", "ifname": "eth0", "mtu": 1500})
    assert not m.matches({"kind": "veth", "master": "br0", "ifname": "veth1", "mtu": 9000})
