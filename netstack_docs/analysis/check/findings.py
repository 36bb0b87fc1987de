"""Findings as data: which check, where (host, namespace, component), expected vs actual, and the status.

Render shows them and the CLI prints them; neither decides a status. A component reference carries
the layer page and anchor the site gives the object (netstack_docs.model.identity), so a finding
links to the exact place on the host's layer page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.model.classify import layer_of
from netstack_docs.model.identity import object_anchor

PASS, FAIL, UNDETERMINED = "pass", "fail", "undetermined"
STATUSES = (FAIL, UNDETERMINED, PASS)  # worst first: a host's status for one check is its worst finding


@dataclass(frozen=True)
class ComponentRef:
    """Where an object is shown: `<env>/<host>/<layer>/#<anchor>`, or the host page when layer is None."""

    layer: str | None
    anchor: str | None
    label: str  # untrusted (an interface name, a sysctl name)
    host: str | None = None  # another host of the same environment (trace crossed to it); None: this host


def component(identity_kind: str, namespace: str, obj: Mapping[str, Any], label: str) -> ComponentRef:
    """The reference to one snapshot object: its anchor and the layer page holding it."""
    return ComponentRef(
        layer_of(identity_kind, dict(obj)), object_anchor(identity_kind, namespace, obj), label
    )


def host_ref(label: str) -> ComponentRef:
    """No single object (something is missing, or the check is about the host as a whole)."""
    return ComponentRef(None, None, label)


@dataclass(frozen=True)
class Finding:
    check: str  # the intent's name or the built-in's name
    source: str  # "intent" | "builtin"
    env: str
    host: str  # host slug (snapshot file name)
    netns: str | None  # snapshot namespace id; None when the finding is about the whole host
    status: str  # pass | fail | undetermined
    expected: str
    actual: str
    component: ComponentRef
    # a finding a trace decided: that trace as `netstack-docs trace` options (in, netns, src, dst, proto,
    # dport, state, assume), for the site's /trace/ link; None for every other finding
    flow: dict[str, Any] | None = field(default=None, compare=False)
    # that trace's steps, one line each ("layer: what"; untrusted), for the CLI and JSON
    trace: tuple[str, ...] = field(default=(), compare=False)

    @property
    def url(self) -> str:
        """Site-relative URL of the component (or the host page), as the site publishes it."""
        base = f"{self.env}/{self.component.host or self.host}/"
        if self.component.layer is None:
            return base
        anchor = f"#{self.component.anchor}" if self.component.anchor else ""
        return f"{base}{self.component.layer}/{anchor}"

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "source": self.source,
            "env": self.env,
            "host": self.host,
            "netns": self.netns,
            "status": self.status,
            "expected": self.expected,
            "actual": self.actual,
            "component": {
                "label": self.component.label,
                "layer": self.component.layer,
                "anchor": self.component.anchor,
                "url": self.url,
            },
            **({"flow": self.flow, "trace": list(self.trace)} if self.flow else {}),
        }


def worst(statuses: list[str]) -> str:
    """The status that sums up several findings: any fail fails, then undetermined, else pass."""
    for status in STATUSES:
        if status in statuses:
            return status
    return PASS
