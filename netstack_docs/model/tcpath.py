"""Packet path steps of traffic control: tc/tcx hooks, and the ifb qdiscs that shape a device's ingress.

A root qdisc shapes what a device sends; an ifb device's qdisc shapes what another device's
ingress filters redirect to it, so it belongs to that device's ingress, not to the host's egress.
Filters of a shared block run on every device whose clsact names the block.
"""

from __future__ import annotations

from typing import Any

from netstack_docs.model.hookorder import EGRESS_PARENTS, INGRESS_PARENTS, filter_devices
from netstack_docs.model.pathstep import Step, step
from netstack_docs.model.sections import section

__all__ = ["EGRESS_PARENTS", "INGRESS_PARENTS", "ingress_redirects", "tc_steps", "tcx_steps"]


def ingress_redirects(ns: dict[str, Any]) -> dict[str, list[str]]:
    """Device -> the ifb devices its ingress filters redirect (or mirror) to with mirred.

    Their qdiscs shape that device's *incoming* traffic (the usual ingress-shaping setup), so the
    path shows them on the device's ingress, not as a step of the host's egress."""
    kinds = {link["ifname"]: link.get("kind") for link in section("links").items(ns)}
    out: dict[str, list[str]] = {}
    for f in section("tc.filters").items(ns):
        if f["parent"] not in INGRESS_PARENTS:
            continue
        for act in f.get("actions") or []:
            target = act.get("dev")
            for dev in filter_devices(ns, f, "ingress"):
                targets = out.setdefault(dev, [])
                if act.get("kind") == "mirred" and kinds.get(target) == "ifb" and target not in targets:
                    targets.append(target)
    return {dev: targets for dev, targets in out.items() if targets}


def _u32_hash_table(flt: dict[str, Any]) -> bool:
    """A u32 hash table entry (`fh 800: ht divisor 1`), which tc lists next to the filters it holds."""
    options = flt.get("options") or {}
    return flt.get("kind") == "u32" and "divisor" in options and "keys" not in options


def tc_steps(ns: dict[str, Any], parents: tuple[str, ...], direction: str) -> list[Step]:
    filters = section("tc.filters").items(ns)
    qdiscs = section("tc.qdiscs").items(ns)
    redirects = ingress_redirects(ns)
    fed = {ifb for targets in redirects.values() for ifb in targets}
    out = []
    for q in qdiscs:
        count = sum(1 for f in filters if f["parent"] in parents and not _u32_hash_table(f)
                    and q["ifname"] in filter_devices(ns, f, direction))
        if q["kind"] in ("clsact", "ingress") and (
            count or direction == "ingress" and q["kind"] == "ingress"
        ):
            detail = f"{q['kind']} qdisc with {count} {direction} filter{'s' if count != 1 else ''}"
        elif direction == "egress" and q["parent"] == "root" and q["kind"] != "noqueue" \
                and q["ifname"] not in fed:
            detail = f"root qdisc {q['kind']} (handle {q['handle']})"
        else:
            continue
        out.append(
            step(
                "qdisc",
                ns["id"],
                q,
                f"tc {direction} on {q['ifname']}",
                detail,
                stage=f"tc-{direction}",
                devices=(q["ifname"],),
            )
        )
        if direction == "ingress":
            out += _ifb_steps(ns, q["ifname"], redirects.get(q["ifname"], []), qdiscs)
    return out


def _ifb_steps(ns: dict[str, Any], dev: str, targets: list[str], qdiscs: list[dict[str, Any]]) -> list[Step]:
    """The qdisc of each ifb that `dev`'s ingress filters redirect to, shown as part of `dev`'s ingress."""
    out = []
    for ifb in targets:
        for q in qdiscs:
            if q["ifname"] == ifb and q["parent"] == "root":
                detail = (f"root qdisc {q['kind']} (handle {q['handle']}) on {ifb}, fed by a mirred redirect "
                          f"of {dev}'s incoming packets; they then continue on {dev}")
                label = f"tc ingress shaping via {ifb} on {dev}"
                out.append(step("qdisc", ns["id"], q, label, detail, stage="tc-ingress", devices=(dev,)))
    return out


def tcx_steps(ns: dict[str, Any], progs: dict[int, dict[str, Any]], direction: str) -> list[Step]:
    """BPF programs attached by BPF link to the tcx hooks (the qdisc-less successor of clsact)."""
    out = []
    for prog in progs.values():
        for att in prog.get("attached") or []:
            if (
                att.get("kind") == "tcx"
                and att.get("namespace") == ns["id"]
                and direction in (att.get("detail") or "")
            ):
                label = f"tcx {direction} on {att.get('ifname') or '?'}"
                detail = f"program {prog.get('name') or '?'} ({prog['type']})"
                devices = (str(att["ifname"]),) if att.get("ifname") else ()
                stage = f"tc-{direction}"
                out.append(step("prog", "host", prog, label, detail, stage=stage, devices=devices))
    return out
