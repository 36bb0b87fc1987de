"""The assertion kinds an intent can make, one module each, registered by their YAML key."""

from __future__ import annotations

from netstack_docs.analysis.check.assertions import (
    cni,
    firewall,
    interface,
    listening,
    reach,
    route,
    same_across,
    sysctl,
)
from netstack_docs.analysis.check.assertions.base import AssertionKind, Context

ASSERTIONS: dict[str, AssertionKind] = {
    kind.key: kind
    for kind in (
        reach.KIND,
        sysctl.KIND,
        listening.KIND,
        interface.KIND,
        firewall.KIND,
        route.KIND,
        same_across.KIND,
        cni.KIND,
    )
}

__all__ = ["ASSERTIONS", "AssertionKind", "Context"]
