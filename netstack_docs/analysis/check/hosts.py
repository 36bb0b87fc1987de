"""One host as checks see it: its snapshot plus the lookups every check needs (namespaces, links, sysctls).

Checks work from validated snapshot documents alone (DESIGN: everything after capture reads files),
so the same check runs in CI, on a laptop and inside the site build.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from netstack_docs.model.namespaces import ordered
from netstack_docs.model.sections import as_routed


@dataclass(frozen=True)
class Host:
    env: str
    slug: str  # the snapshot's file name: the URL segment
    doc: dict[str, Any]

    @property
    def role(self) -> str:
        return str(self.doc["host"].get("role") or "")

    @property
    def namespaces(self) -> list[dict[str, Any]]:
        return ordered(self.doc["namespaces"])

    def routed(self, ns: dict[str, Any]) -> dict[str, Any]:
        """`ns` with the routes the kernel derived itself (connected, local): what routing decides by."""
        return as_routed(self.doc, ns)

    def namespace(self, ns_id: str) -> dict[str, Any] | None:
        return next((ns for ns in self.doc["namespaces"] if ns["id"] == ns_id), None)


def sysctl_ifname(ifname: str) -> str:
    """How /proc/sys spells an interface in a key: a `.` in the name becomes `/` (flannel.1 -> flannel/1)."""
    return ifname.replace(".", "/")


def effective_rp_filter(ns: dict[str, Any], ifname: str) -> int | None:
    """The kernel uses max(conf.all.rp_filter, conf.IFNAME.rp_filter); None when neither was captured."""
    sysctls = ns.get("sysctls") or {}
    values = [sysctls.get(f"net.ipv4.conf.{name}.rp_filter") for name in ("all", sysctl_ifname(ifname))]
    known = [int(v) for v in values if v is not None and str(v).strip().isdigit()]
    return max(known) if known else None


def links_by_name(ns: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {link["ifname"]: link for link in ns.get("links", [])}


def select_namespaces(host: Host, selector: str | dict[str, str]) -> list[dict[str, Any]]:
    """`root` (default), `all`, `containers` (Docker and process-owned) or `{named: GLOB}`."""
    if selector == "all":
        return host.namespaces
    if selector == "containers":
        return [ns for ns in host.namespaces if ns["kind"] in ("docker", "proc")]
    if isinstance(selector, dict):
        pattern = selector["named"]
        return [
            ns
            for ns in host.namespaces
            if ns["kind"] == "named" and fnmatch.fnmatchcase(ns.get("name") or ns["id"], pattern)
        ]
    return [ns for ns in host.namespaces if ns["kind"] == "root"]


def is_loopback(address: str) -> bool:
    return address.startswith("127.") or address in ("::1", "::ffff:127.0.0.1")
