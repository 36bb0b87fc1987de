"""One step of the packet path: what it is, on which layer page, and the anchor of the object it points at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netstack_docs.model.classify import layer_of
from netstack_docs.model.identity import object_anchor


@dataclass(frozen=True)
class Step:
    label: str  # untrusted parts inside (interface and chain names)
    layer: str
    anchor: str | None
    detail: str  # untrusted parts inside
    branch: str | None = None  # "forward" or "local" after the routing decision, else None
    stage: str = ""  # the hook model's word (netstack_docs.model.hookorder): xdp, tc-ingress, prerouting, ...
    devices: tuple[str, ...] = ()  # the devices whose packets meet this step (none: every packet)


def step(
    kind: str,
    ns_id: str,
    obj: dict[str, Any],
    label: str,
    detail: str,
    branch: str | None = None,
    *,
    stage: str = "",
    devices: tuple[str, ...] = (),
) -> Step:
    return Step(label, layer_of(kind, obj), object_anchor(kind, ns_id, obj), detail, branch, stage, devices)
