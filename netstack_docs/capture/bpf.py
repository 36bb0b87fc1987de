"""Host collector: loaded networking eBPF programs (bpf(2)) and what each is attached to.

Networking program types only: socket_filter, sched_cls and sched_act (tc), xdp, cgroup_skb,
cgroup_sock, cgroup_sock_addr, cgroup_sockopt, sock_ops, sk_skb, sk_msg, sk_reuseport, sk_lookup,
flow_dissector, lwt_in/lwt_out/lwt_xmit/lwt_seg6local and netfilter. Tracing, LSM and other
programs are left out: they say nothing about the network stack's configuration.

Attachments come from three places: the XDP program ids the links collector read per
namespace, the tc bpf filters' program ids, and BPF links (xdp, tcx, netns, cgroup, netfilter).
Program ids are kernel-global, so this runs once per host after every namespace is captured.
Load time and run counts are volatile: they go to state.
"""

from __future__ import annotations

import struct
import threading
from typing import Any

from netstack_docs.capture import bpfsys, netns
from netstack_docs.capture.context import HostCapture
from netstack_docs.snapshot.content import xdp_programs

PROG_TYPES = {1: "socket_filter", 3: "sched_cls", 4: "sched_act", 6: "xdp", 8: "cgroup_skb", 9: "cgroup_sock",
              10: "lwt_in", 11: "lwt_out", 12: "lwt_xmit", 13: "sock_ops", 14: "sk_skb", 16: "sk_msg",
              18: "cgroup_sock_addr", 19: "lwt_seg6local", 21: "sk_reuseport", 22: "flow_dissector",
              25: "cgroup_sockopt", 30: "sk_lookup", 32: "netfilter"}
LINK_CGROUP, LINK_NETNS, LINK_XDP, LINK_NETFILTER, LINK_TCX, LINK_NETKIT = 3, 5, 6, 10, 11, 13
ATTACH_TYPES = {0: "cgroup_inet_ingress", 1: "cgroup_inet_egress", 2: "cgroup_inet_sock_create",
                3: "cgroup_sock_ops", 8: "cgroup_inet4_bind", 9: "cgroup_inet6_bind",
                10: "cgroup_inet4_connect", 11: "cgroup_inet6_connect", 17: "flow_dissector",
                36: "sk_lookup", 37: "xdp",
                45: "netfilter", 46: "tcx_ingress", 47: "tcx_egress", 49: "cgroup_unix_connect",
                50: "cgroup_unix_sendmsg", 51: "cgroup_unix_recvmsg", 52: "cgroup_unix_getpeername",
                53: "cgroup_unix_getsockname", 54: "netkit_primary", 55: "netkit_peer"}
NF_HOOKS = {0: "prerouting", 1: "input", 2: "forward", 3: "output", 4: "postrouting"}
TC_PARENTS = {"ffff:fff2": "ingress", "ffff:fff3": "egress", "ffff:fff1": "ingress"}


def _attach(kind: str, namespace: str | None, ifname: str | None, detail: str | None) -> dict[str, Any]:
    return {"kind": kind, "namespace": namespace, "ifname": ifname, "detail": detail}


def _from_namespaces(host: HostCapture) -> dict[int, list[dict[str, Any]]]:
    """prog_id -> attachments seen by the links (XDP) and tc (bpf filter) collectors."""
    found: dict[int, list[dict[str, Any]]] = {}
    for ns in host.namespaces:
        for link in ns.doc["links"]:
            for xdp in xdp_programs(link.get("xdp")):
                if xdp.get("prog_id"):
                    att = _attach("xdp", ns.id, link["ifname"], xdp.get("mode"))
                    found.setdefault(xdp["prog_id"], []).append(att)
        for flt in ns.doc["tc"]["filters"]:
            if (bpf := flt.get("bpf")) and bpf.get("prog_id"):
                parent = flt["parent"]
                detail = TC_PARENTS.get(parent, f"parent {parent}")
                found.setdefault(bpf["prog_id"], []).append(_attach("tc", ns.id, flt["ifname"], detail))
    return found


def _attached_in(path: str | None, ifindex: int, attach_type: int) -> list[int]:
    """BPF_PROG_QUERY resolves ifindex in the caller's namespace: ask from a thread inside `path`."""
    result: list[int] = []

    def body() -> None:
        try:
            if path is not None:
                netns.enter(path)
            result.extend(bpfsys.query(ifindex, attach_type))
        except OSError:
            pass  # namespace gone or query refused: this candidate is simply not confirmed

    worker = threading.Thread(target=body, name="bpf-query", daemon=True)
    worker.start()
    worker.join(timeout=5)
    return result


def _ifname(host: HostCapture, ifindex: int, prog_id: int, attach_type: int | None) -> tuple[str | None, str]:
    """(namespace, ifname) of a link-attached ifindex, or (None, "ifindex N") when no captured
    namespace confirms it. Ifindexes repeat across namespaces, and the attachment may live in a
    namespace this capture cannot see, so a matching ifindex alone proves nothing: an XDP link must
    show the program in the link's own IFLA_XDP, a tcx/netkit attachment must be confirmed by
    BPF_PROG_QUERY from inside the candidate namespace."""
    for ns in host.namespaces:
        for link in ns.doc["links"]:
            xdp_ids = [x.get("prog_id") for x in xdp_programs(link.get("xdp"))]
            if link["ifindex"] == ifindex and prog_id in xdp_ids:
                return ns.id, link["ifname"]
    if attach_type is not None:
        for ns in host.namespaces:
            if ifindex in ns.ifnames and prog_id in _attached_in(
                    None if ns.doc.get("kind") == "root" else ns.doc.get("path"), ifindex, attach_type):
                return ns.id, ns.ifnames[ifindex]
    return None, f"ifindex {ifindex}"


def _from_link(host: HostCapture, link: bpfsys.LinkInfo) -> dict[str, Any] | None:
    if link.type in (LINK_XDP, LINK_TCX, LINK_NETKIT):
        ifindex, attach_type = struct.unpack_from("=II", link.raw)
        ns_id, ifname = _ifname(host, ifindex, link.prog_id, None if link.type == LINK_XDP else attach_type)
        kind = {LINK_XDP: "xdp", LINK_TCX: "tcx", LINK_NETKIT: "netkit"}[link.type]
        detail = None if link.type == LINK_XDP else ATTACH_TYPES.get(attach_type, str(attach_type))
        return _attach(kind, ns_id, ifname, detail or "bpf link")
    if link.type == LINK_NETNS:
        netns_ino, attach_type = struct.unpack_from("=II", link.raw)
        ns_id = next((ns.id for ns in host.namespaces if ns.doc.get("inode") == netns_ino), None)
        return _attach("netns", ns_id, None, ATTACH_TYPES.get(attach_type, str(attach_type)))
    if link.type == LINK_CGROUP:
        cgroup_id, attach_type = struct.unpack_from("=QI", link.raw)
        hook = ATTACH_TYPES.get(attach_type, str(attach_type))
        return _attach("cgroup", None, None, f"cgroup {cgroup_id} {hook}")
    if link.type == LINK_NETFILTER:
        pf, hooknum, priority = struct.unpack_from("=IIi", link.raw)
        hook = NF_HOOKS.get(hooknum, str(hooknum))
        return _attach("netfilter", None, None, f"pf {pf} {hook} priority {priority}")
    return None


def collect(host: HostCapture) -> None:
    try:
        progs = [p for p in bpfsys.programs() if p.type in PROG_TYPES]
    except OSError as exc:
        why = f"bpf(BPF_PROG_GET_NEXT_ID): {exc.strerror or exc} (needs CAP_SYS_ADMIN or CAP_BPF)"
        host.gap("bpf programs", why)
        return
    attached = _from_namespaces(host)
    try:
        for link in bpfsys.links():
            att = _from_link(host, link)
            known = attached.setdefault(link.prog_id, [])
            # An XDP link also shows in the link's IFLA_XDP: keep the netlink view (it has the mode).
            if att is not None and not any(
                    (k["kind"], k["namespace"], k["ifname"]) == (att["kind"], att["namespace"], att["ifname"])
                    for k in known):
                known.append(att)
    except OSError as exc:
        host.gap("bpf links", f"bpf(BPF_LINK_GET_NEXT_ID): {exc.strerror or exc}")
    names = {p.id: p.name for p in progs}
    for ns in host.namespaces:  # the links collector knows XDP prog ids; give them their names
        for link in ns.doc["links"]:
            for xdp in [link.get("xdp") or {}, *((link.get("xdp") or {}).get("programs") or [])]:
                if xdp.get("prog_name") is None and xdp.get("prog_id") in names:
                    xdp["prog_name"] = names[xdp["prog_id"]] or None
    programs = []
    for p in progs:
        seen = {tuple(sorted(a.items(), key=str)): a for a in attached.get(p.id, [])}
        where = sorted(seen.values(), key=lambda a: tuple(str(v) for v in a.values()))
        programs.append({"id": p.id, "type": PROG_TYPES[p.type], "name": p.name or None, "tag": p.tag,
                         "attached": where})
    programs.sort(key=lambda p: (p["type"], p["name"] or "", p["tag"], p["id"]))
    host.doc["bpf"] = {"programs": programs}
    host.doc.setdefault("state", {})["bpf"] = {
        str(p.id): {"load_time_ns": p.load_time_ns, "run_cnt": p.run_cnt, "run_time_ns": p.run_time_ns}
        for p in progs}
