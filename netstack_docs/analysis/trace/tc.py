"""Traffic control on the walk: ingress filters (clsact/ingress) and the egress root qdisc of a device.

What trace can decide: a classic-BPF `accept everything` program and matchall match every packet;
mirred to an ifb device shapes and hands the packet back; a qdisc without filters queues it. A
filter running an eBPF program, or one whose match trace does not evaluate (u32, flower), forks the
walk over its outcomes.
"""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.trail import Trail
from netstack_docs.model.hookorder import matches_every_packet, tc_filters

BPF_OUTCOMES = ("ok", "shot", "redirect")
MATCH_OUTCOMES = ("match", "nomatch")


def _describe_action(action: dict[str, Any]) -> str:
    return " ".join(str(action.get(k)) for k in ("kind", "action", "dev") if action.get(k))


def _key(ifname: str, direction: str, f: dict[str, Any]) -> str:
    return f"tc:{ifname}:{direction}:{f.get('pref')}"


def ingress(trail: Trail, ns: Namespace, ifname: str) -> str:
    """Run tc ingress filters: `pass`, `drop`, `ifb` (redirected to an ifb, which hands it back with
    classification skipped) or `undetermined` (a fork that cannot go on)."""
    for f in tc_filters(ns.doc, ifname, "ingress"):
        name = f"tc ingress filter {f.get('kind')} pref {f.get('pref')} on {ifname}"
        bpf = f.get("bpf") or {}
        if bpf.get("prog_id") is not None or (f.get("kind") == "bpf" and not matches_every_packet(f)):
            prog = bpf.get("name") or bpf.get("prog_id") or "?"
            what = f"{name}: BPF program {prog} decides"
            picked = trail.choose(
                ns, "traffic-control", _key(ifname, "ingress", f), what, BPF_OUTCOMES, "filter", f
            )
            if picked == "shot":
                trail.step(
                    ns, "traffic-control", f"{name}: TC_ACT_SHOT (in this walk)", "filter", f, decides=True
                )
                return "drop"
            if picked == "redirect":
                what = f"{name}: the program redirects it (in this walk); where to is its choice"
                trail.step(ns, "traffic-control", what, "filter", f, undetermined=True, decides=True)
                return "undetermined"
            continue
        actions = f.get("actions") or []
        if not matches_every_packet(f):
            if not actions:
                continue
            what = f"whether {name} matches (its match is not evaluated by trace)"
            if (
                trail.choose(
                    ns, "traffic-control", _key(ifname, "ingress", f), what, MATCH_OUTCOMES, "filter", f
                )
                == "nomatch"
            ):
                continue
        fate = _actions(trail, ns, ifname, name, f, actions)
        if fate != "continue":
            return fate
    return "pass"


def _actions(
    trail: Trail, ns: Namespace, ifname: str, name: str, f: dict[str, Any], actions: list[Any]
) -> str:
    for action in actions:
        kind = action.get("kind")
        verb = str(action.get("action") or "")
        if kind == "mirred" and "redirect" in verb and str(action.get("dev", "")).startswith("ifb"):
            what = f"{name}: redirected to {action['dev']} for ingress shaping; the ifb hands it back"
            trail.step(ns, "traffic-control", what, "filter", f)
            return "ifb"
        if kind == "mirred" and "mirror" in verb:
            trail.step(
                ns, "traffic-control", f"{name}: a copy is mirrored to {action.get('dev')}", "filter", f
            )
            continue
        if kind == "gact" and verb in ("drop", "shot"):
            trail.step(ns, "traffic-control", f"{name}: dropped (gact drop)", "filter", f, decides=True)
            return "drop"
        if kind == "gact" and verb in ("ok", "pass"):
            return "pass"
        if kind == "gact" and verb in ("continue", "pipe"):
            continue
        what = f"{name}: action {_describe_action(action)} is not evaluated by trace"
        trail.step(ns, "traffic-control", what, "filter", f, undetermined=True, decides=True)
        return "undetermined"
    return "continue"


def egress(trail: Trail, ns: Namespace, ifname: str) -> str:
    """Egress filters trace cannot decide fork (`pass` or `drop`); the root qdisc it is queued in."""
    for f in tc_filters(ns.doc, ifname, "egress"):
        bpf = f.get("bpf") or {}
        prog = bpf.get("name") or bpf.get("prog_id") or f.get("kind")
        what = f"tc egress filter {prog} pref {f.get('pref')} on {ifname}: not evaluable offline"
        picked = trail.choose(
            ns, "traffic-control", _key(ifname, "egress", f), what, ("pass", "drop"), "filter", f
        )
        if picked == "drop":
            trail.step(
                ns,
                "traffic-control",
                f"tc egress filter {prog} on {ifname}: drops it (in this walk)",
                "filter",
                f,
                decides=True,
            )
            return "drop"
    qdiscs = (ns.doc.get("tc") or {}).get("qdiscs", [])
    root = next((q for q in qdiscs if q.get("ifname") == ifname and q.get("parent") == "root"), None)
    if root is None or root.get("kind") == "noqueue":
        return "pass"
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
    return "pass"
