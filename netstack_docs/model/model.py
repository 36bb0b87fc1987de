"""Load the curated layer model (layers.yaml, components.yaml) into typed, checked objects.

The YAML is trusted Markdown written by us; it is checked once on load so that a typo in the model
fails loudly with the file and entry named instead of producing a blank page later.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from netstack_docs.errors import UserError
from netstack_docs.model.matcher import Matcher
from netstack_docs.model.sections import SECTIONS

LAYER_SLUGS = (
    "nic",
    "link",
    "virtual",
    "namespaces",
    "routing",
    "netfilter",
    "traffic-control",
    "ebpf",
    "transport",
    "tooling",
)
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")


@dataclass(frozen=True)
class Pitfall:
    symptom: str
    how_to_tell: str


@dataclass(frozen=True)
class Doc:
    title: str
    url: str


@dataclass(frozen=True)
class Layer:
    slug: str
    title: str
    summary: str
    explanation_md: str
    packet_flow_md: str
    pitfalls: list[Pitfall]
    docs: list[Doc]
    check_commands: list[str]  # run these yourself when a layer page is empty (root namespace form)
    gap_words: list[str]  # capture-gap `what` words that concern this layer


@dataclass(frozen=True)
class CommandTemplate:
    """`template` names snapshot fields in braces; `host_wide` commands are never wrapped for a namespace."""

    title: str
    template: str
    tool: str
    host_wide: bool = False

    @property
    def fields(self) -> list[str]:
        return PLACEHOLDER.findall(self.template)


@dataclass(frozen=True)
class Fact:
    label: str
    path: str  # dotted path into the object, e.g. nic.driver
    format: str = "text"  # a key of netstack_docs.model.facts._FORMATS


@dataclass(frozen=True)
class ComponentKind:
    id: str
    layer: str
    title: str
    what_md: str
    recognise: Matcher
    facts: list[Fact]
    commands: list[CommandTemplate]
    docs: list[Doc]
    pitfalls: list[Pitfall]

    @property
    def section(self) -> str:
        return self.recognise.section


@dataclass(frozen=True)
class Model:
    layers: list[Layer]
    kinds: dict[str, ComponentKind] = field(default_factory=dict)

    def layer(self, slug: str) -> Layer:
        for layer in self.layers:
            if layer.slug == slug:
                return layer
        raise KeyError(f"unknown layer {slug!r}")

    def kinds_of_layer(self, slug: str) -> list[ComponentKind]:
        return [k for k in self.kinds.values() if k.layer == slug]

    def kinds_of_section(self, section: str) -> list[ComponentKind]:
        return [k for k in self.kinds.values() if k.section == section]


class ModelError(UserError):
    """The curated model YAML is malformed (a bug in the repository, not in a snapshot)."""


def _need(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry or entry[key] in (None, "", []):
        raise ModelError(f"{where}: missing {key!r}")
    return entry[key]


def _docs(entry: dict[str, Any], where: str) -> list[Doc]:
    return [Doc(_need(d, "title", where), _need(d, "url", where)) for d in entry.get("docs") or []]


def _pitfalls(entry: dict[str, Any], where: str) -> list[Pitfall]:
    return [
        Pitfall(_need(p, "symptom", where), _need(p, "how_to_tell", where))
        for p in entry.get("pitfalls") or []
    ]


def _layer(e: dict[str, Any]) -> Layer:
    where = f"layers.yaml: layer {e.get('slug')!r}"
    return Layer(
        slug=_need(e, "slug", where),
        title=_need(e, "title", where),
        summary=_need(e, "summary", where).strip(),
        explanation_md=_need(e, "explanation_md", where),
        packet_flow_md=_need(e, "packet_flow_md", where),
        pitfalls=_pitfalls(e, where),
        docs=_docs(e, where),
        check_commands=list(e.get("check_commands") or []),
        gap_words=list(e.get("gap_words") or []),
    )


def _command(c: dict[str, Any], where: str) -> CommandTemplate:
    template = _need(c, "template", where)
    return CommandTemplate(_need(c, "title", where), template, template.split()[0], bool(c.get("host_wide")))


def _kind(e: dict[str, Any], layers: set[str]) -> ComponentKind:
    where = f"components.yaml: kind {e.get('id')!r}"
    layer = _need(e, "layer", where)
    if layer not in layers:
        raise ModelError(f"{where}: unknown layer {layer!r}")
    try:
        matcher = Matcher.from_yaml(_need(e, "recognise", where))
    except (ValueError, KeyError) as exc:
        raise ModelError(f"{where}: recognise: {exc}") from None
    return ComponentKind(
        id=_need(e, "id", where),
        layer=layer,
        title=_need(e, "title", where),
        what_md=_need(e, "what_md", where),
        recognise=matcher,
        facts=[
            Fact(_need(f, "label", where), _need(f, "path", where), f.get("format", "text"))
            for f in e.get("facts") or []
        ],
        commands=[_command(c, where) for c in e.get("commands") or []],
        docs=_docs(e, where),
        pitfalls=_pitfalls(e, where),
    )


def _read(name: str) -> Any:
    folder = resources.files("netstack_docs.model")
    try:
        import yaml
    except ImportError:  # the browser's Python (stdlib only): the model as JSON, see netstack_docs.browser
        return json.loads(folder.joinpath(json_name(name)).read_text(encoding="utf-8"))
    return yaml.safe_load(folder.joinpath(name).read_text(encoding="utf-8"))


MODEL_FILES = ("layers.yaml", "components.yaml")


def json_name(name: str) -> str:
    """`components.yaml` -> `components.json`: the model's file as the browser trace ships it."""
    return name.removesuffix(".yaml") + ".json"


def model_documents() -> dict[str, Any]:
    """The model's files as parsed documents, by name (netstack_docs.browser writes them as JSON)."""
    return {name: _read(name) for name in MODEL_FILES}


@cache
def load_model() -> Model:
    """The model, loaded and checked once per process."""
    layers = [_layer(e) for e in _read(MODEL_FILES[0])["layers"]]
    if tuple(x.slug for x in layers) != LAYER_SLUGS:
        raise ModelError(f"layers.yaml: layers must be, in order: {', '.join(LAYER_SLUGS)}")
    kinds: dict[str, ComponentKind] = {}
    for entry in _read(MODEL_FILES[1])["kinds"]:
        kind = _kind(entry, set(LAYER_SLUGS))
        if kind.id in kinds:
            raise ModelError(f"components.yaml: kind {kind.id!r} defined twice")
        if kind.section not in SECTIONS:
            raise ModelError(f"components.yaml: kind {kind.id!r}: unknown section {kind.section!r}")
        kinds[kind.id] = kind
    return Model(layers=layers, kinds=kinds)
