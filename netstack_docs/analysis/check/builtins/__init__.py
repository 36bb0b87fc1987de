"""Built-in checks: the model's "what goes wrong" entries a snapshot decides, registered by name.

Each runs on every host with no intent needed; `--disable NAME` (or the build's equivalent) turns one off.
"""

from __future__ import annotations

from netstack_docs.analysis.check.builtins import (
    br_netfilter,
    forwarding,
    gateway,
    listeners,
    mtu,
    rpfilter,
    veth,
)
from netstack_docs.analysis.check.builtins.base import Builtin

BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in (
        mtu.VETH,
        mtu.BRIDGE,
        mtu.VXLAN,
        veth.BUILTIN,
        rpfilter.BUILTIN,
        forwarding.BUILTIN,
        listeners.BUILTIN,
        gateway.BUILTIN,
        br_netfilter.BUILTIN,
    )
}

__all__ = ["BUILTINS", "Builtin"]
