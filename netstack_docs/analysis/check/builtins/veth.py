"""A veth whose peer is gone: its other end is in no namespace the capture could find.

The kernel deletes both ends together, so a peer that cannot be found lives in a namespace that
nothing names any more (a leaked namespace kept alive by a stray bind mount or process), or in one
the capture was not allowed to enter; the latter is undetermined, not a finding. A peer in a namespace
the capture was told to leave out (`--exclude-netns`, state.namespaces_left_out) is no finding.
"""

from __future__ import annotations

from netstack_docs.analysis.check.builtins.base import Builtin, Problem
from netstack_docs.analysis.check.builtins.mtu import veth_peer
from netstack_docs.analysis.check.findings import FAIL, UNDETERMINED, component
from netstack_docs.analysis.check.hosts import Host


def _check(host: Host) -> list[Problem]:
    out: list[Problem] = []
    complete = host.doc.get("meta", {}).get("euid") == 0  # without root, unseen namespaces prove nothing
    # namespaces the capture left out on purpose (--exclude-netns): a peer there is not gone
    left_out = {e.get("id") for e in (host.doc.get("state") or {}).get("namespaces_left_out") or []}
    for ns in host.namespaces:
        for link in (x for x in ns.get("links", []) if x.get("kind") == "veth"):
            peer, peer_ns = veth_peer(host, ns, link)
            if peer is not None or (peer_ns is not None and peer_ns in left_out):
                continue
            parent = link.get("parent") or {}
            ref = component("link", ns["id"], link, link["ifname"])
            if peer_ns is None:
                actual = (
                    f"{link['ifname']}: peer ifindex {parent.get('ifindex')} is in a namespace no "
                    "name, container or process leads to"
                )
            else:
                actual = f"{link['ifname']}: peer ifindex {parent.get('ifindex')} not found in {peer_ns}"
            out.append((FAIL if complete else UNDETERMINED, ns["id"], actual, ref))
    return out


BUILTIN = Builtin(
    "veth-peer-gone",
    "veth whose peer is gone",
    "every veth's peer is in a captured namespace",
    "virtual",
    _check,
)
