"""Traffic control on the walk: ingress filters (clsact/ingress) and the egress root qdisc of a device.

What trace can decide: a classic-BPF `accept everything` program and matchall match every packet;
mirred to an ifb device shapes and hands the packet back; a qdisc without filters queues it. A
filter running an eBPF program or one whose match trace does not evaluate (u32, flower) cannot be
decided: the walk goes on assuming it lets the packet through, and says so.
"""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.trail import Trail

INGRESS_PARENTS = ("ffff:", "ffff:fff2")
EGRESS_FILTER_PARENTS = ("ffff:fff3",)
ACCEPT_ALL_CBPF = ("1,6 0 0 4294967295", "1,6 0 0 65535", "1,6 0 0 262144")


def _filters(ns: Namespace, ifname: str, parents: tuple[str, ...], direction: str) -> list[dict[str, Any]]:
    out = []
    for f in (ns.doc.get("tc") or {}).get("filters", []):
        if f.get("ifname") != ifname:
            continue
        if f.get("parent") in parents or f.get("direction") == direction:
            out.append(f)
    return sorted(out, key=lambda f: (f.get("pref") or 0, str(f.get("handle"))))


def _matches_everything(f: dict[str, Any]) -> bool:
    if f.get("kind") == "matchall":
        return True
    return f.get("kind") == "bpf" and (f.get("options") or {}).get("bytecode") in ACCEPT_ALL_CBPF


def _describe_action(action: dict[str, Any]) -> str:
    return " ".join(str(action.get(k)) for k in ("kind", "action", "dev") if action.get(k))


def ingress(trail: Trail, ns: Namespace, ifname: str) -> str:
    """Run tc ingress filters: returns `pass`, `drop` or `undetermined`."""
    for f in _filters(ns, ifname, INGRESS_PARENTS, "ingress"):
        name = f"tc ingress filter {f.get('kind')} pref {f.get('pref')} on {ifname}"
        bpf = f.get("bpf") or {}
        if bpf.get("prog_id") is not None or (f.get("kind") == "bpf" and not _matches_everything(f)):
            prog = bpf.get("name") or bpf.get("prog_id") or "?"
            trail.step(
                ns,
                "traffic-control",
                f"{name}: BPF program {prog} decides (not evaluable offline)",
                "filter",
                f,
                undetermined=True,
            )
            trail.assume(f"assuming the tc BPF program {prog} on {ifname} ingress passes it (TC_ACT_OK)")
            continue
        actions = f.get("actions") or []
        if not _matches_everything(f):
            if actions:
                trail.step(
                    ns,
                    "traffic-control",
                    f"{name}: match not evaluated by trace",
                    "filter",
                    f,
                    undetermined=True,
                )
                trail.assume(f"assuming the {name} does not drop or redirect it")
            continue
        for action in actions:
            kind = action.get("kind")
            verb = str(action.get("action") or "")
            if kind == "mirred" and "redirect" in verb and str(action.get("dev", "")).startswith("ifb"):
                trail.step(
                    ns,
                    "traffic-control",
                    f"{name}: redirected to {action['dev']} for ingress shaping; the ifb hands it back",
                    "filter",
                    f,
                )
            elif kind == "gact" and verb in ("drop", "shot"):
                trail.step(ns, "traffic-control", f"{name}: dropped (gact drop)", "filter", f, decides=True)
                return "drop"
            elif kind in ("gact",) and verb in ("ok", "pass", "continue", "pipe"):
                continue
            else:
                trail.step(
                    ns,
                    "traffic-control",
                    f"{name}: action {_describe_action(action)} not evaluated",
                    "filter",
                    f,
                    undetermined=True,
                )
                trail.assume(f"assuming the action {_describe_action(action)} on {ifname} ingress passes it")
    return "pass"


def egress(trail: Trail, ns: Namespace, ifname: str) -> None:
    """Name the root qdisc the packet is queued in, and any egress filter trace cannot decide."""
    for f in _filters(ns, ifname, EGRESS_FILTER_PARENTS, "egress"):
        bpf = f.get("bpf") or {}
        prog = bpf.get("name") or bpf.get("prog_id") or f.get("kind")
        trail.step(
            ns,
            "traffic-control",
            f"tc egress filter {prog} on {ifname}: not evaluable offline",
            "filter",
            f,
            undetermined=True,
        )
        trail.assume(f"assuming the tc egress filter {prog} on {ifname} passes it")
    qdiscs = (ns.doc.get("tc") or {}).get("qdiscs", [])
    root = next((q for q in qdiscs if q.get("ifname") == ifname and q.get("parent") == "root"), None)
    if root is None or root.get("kind") == "noqueue":
        return
    classes = [c for c in (ns.doc.get("tc") or {}).get("classes", []) if c.get("ifname") == ifname]
    detail = ""
    if classes:
        default = (root.get("options") or {}).get("default")
        detail = (
            f"; class decided by its filters (default {default})" if default else "; class decided by filters"
        )
    trail.step(
        ns,
        "traffic-control",
        f"egress: queued in root qdisc {root.get('kind')} {root.get('handle')} on {ifname}{detail}",
        "qdisc",
        root,
    )
