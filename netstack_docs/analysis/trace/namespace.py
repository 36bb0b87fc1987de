"""One network namespace of a snapshot, indexed for a walk: links, addresses, sysctls, anchors.

Indexes are built on first use and kept: a site computing an exposure view traces many packets
through the same namespaces.
"""

from __future__ import annotations

import ipaddress
from functools import cached_property
from typing import TYPE_CHECKING, Any

from netstack_docs.analysis.trace.packet import parse_net
from netstack_docs.model.classify import layer_of
from netstack_docs.model.identity import anchor_id, identity
from netstack_docs.model.sections import as_routed

if TYPE_CHECKING:
    from netstack_docs.analysis.trace.fleet import Host

Obj = dict[str, Any]


class Namespace:
    def __init__(self, host: Host, doc: Obj):
        self.host = host
        self.doc = doc
        self.id: str = doc["id"]
        self.kind: str = doc["kind"]
        self.stack: Any = None  # the walk's per-namespace Stack (netstack_docs.analysis.trace.walk.stack)
        self._anchors: dict[tuple[str, int], tuple[Obj, tuple[str, str]]] = {}

    def answers_to(self, wanted: str) -> bool:
        """A user's name for this namespace: its name, docker file name, container name, pod name
        (`pod` or `namespace/pod`), or a unique prefix (>= 4 characters) of a container id or long name."""
        owner = self.doc.get("owner") or {}
        container = self.doc.get("container") or {}
        pod = container.get("pod_name")
        names = {self.doc.get("name"), self.id.rpartition("/")[2], container.get("name"), pod}
        if pod and container.get("pod_namespace"):
            names.add(f"{container['pod_namespace']}/{pod}")
        if wanted in names:
            return True
        # the caller checks that the prefix is unique
        prefixes = [
            owner.get("container_id") or "",
            container.get("id") or "",
            self.id,
            str(self.doc.get("name") or ""),
        ]
        return len(wanted) >= 4 and any(p.startswith(wanted) for p in prefixes if p)

    @property
    def label(self) -> str:
        return "root namespace" if self.kind == "root" else f"netns {self.doc.get('name') or self.id}"

    @cached_property
    def links(self) -> dict[str, Obj]:
        return {link["ifname"]: link for link in self.doc.get("links", [])}

    def link(self, ifname: str) -> Obj | None:
        return self.links.get(ifname)

    @cached_property
    def routing_doc(self) -> Obj:
        """The namespace as the kernel routes it (netstack_docs.model.sections.as_routed)."""
        return as_routed(self.host.doc, self.doc)

    @cached_property
    def local_addresses(self) -> dict[str, Obj]:
        """Every address this namespace owns (the kernel delivers to any of them, whatever the device)."""
        return {a["address"]: a for a in self.routing_doc.get("addresses", [])}

    def is_local(self, address: str) -> bool:
        return address in self.local_addresses

    def sysctl(self, name: str) -> str | None:
        value = (self.doc.get("sysctls") or {}).get(name)
        return None if value is None else str(value)

    @cached_property
    def interfaces_text(self) -> str:
        return ", ".join(sorted(self.links)) or "(none)"

    def require_link(self, ifname: str) -> Obj:
        from netstack_docs.analysis.trace.packet import TraceInputError

        link = self.link(ifname)
        if link is None:
            raise TraceInputError(
                f"no interface {ifname!r} in {self.label} of {self.host.env}/{self.host.slug}; "
                f"interfaces: {self.interfaces_text}"
            )
        return link

    def subnet_of(self, ifname: str, version: int) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The prefixes of an interface's addresses of one IP version (in the snapshot's order)."""
        return list(self._subnets.get((ifname, version), ()))

    @cached_property
    def _subnets(self) -> dict[tuple[str, int], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
        out: dict[tuple[str, int], list[ipaddress.IPv4Network | ipaddress.IPv6Network]] = {}
        for a in self.doc.get("addresses", []):
            net = parse_net(f"{a['address']}/{a['prefixlen']}")
            out.setdefault((a["ifname"], net.version), []).append(net)
        return out

    def anchor(self, identity_kind: str, obj: Obj) -> tuple[str, str]:
        """(anchor id, site-relative URL) of one of this namespace's objects on its layer page.

        Remembered per object (the snapshot's objects live as long as the namespace; the cache holds
        the object itself, so its id cannot be reused by another while the entry exists)."""
        key = (identity_kind, id(obj))
        cached = self._anchors.get(key)
        if cached is not None and cached[0] is obj:
            return cached[1]
        where = "host" if identity_kind in ("prog", "daemon", "ovsbridge", "ovsport", "ovstable") else self.id
        anchor = anchor_id(identity_kind, where, identity(identity_kind, obj))
        layer = layer_of(identity_kind, obj)
        out = anchor, f"{self.host.env}/{self.host.slug}/{layer}/#{anchor}"
        if len(self._anchors) > 100_000:  # objects made on the fly (a walk's own dicts) must not pile up
            self._anchors.clear()
        self._anchors[key] = (obj, out)
        return out
