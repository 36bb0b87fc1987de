"""Walk every fork of a trace and sum them up: a firm verdict when the forks agree, else undetermined.

Forks agree when they end with the same verdict at the same place: the same socket, or the same
egress device and namespace, with the same addresses after NAT (a drop or a rejection: the same
verdict on the same host). A random choice among known outcomes (numgen, a multipath hash) whose
forks all deliver, or all forward, is firm with the set of ends. Anything else is undetermined, with
each alternative and the unknowns that split them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netstack_docs.analysis.trace.forks import MAX_WALKS, Assumption, Choice, Forks
from netstack_docs.analysis.trace.result import VERDICTS, Alternative, Final, TraceResult, Unknown
from netstack_docs.analysis.trace.trail import Trail
from netstack_docs.analysis.trace.walk import End

MAX_ALTERNATIVES = 16
Walk = Callable[[Forks], tuple[End, Trail]]


@dataclass
class Leaf:
    path: list[tuple[Choice, str]]
    end: End
    trail: Trail

    @property
    def final(self) -> Final:
        e, p = self.end, self.end.packet
        return Final(e.ns.host.slug, e.ns.id, e.ifname, e.socket, p.src, p.dst, p.sport, p.dport)

    @property
    def outcome(self) -> tuple[Any, ...]:
        f, v = self.final, self.end.verdict
        if v == "delivered":
            return (v, f.host, f.netns, f.socket, f.src, f.dst, f.sport, f.dport)
        if v == "forwarded":
            return (v, f.host, f.netns, f.ifname, f.src, f.dst, f.sport, f.dport)
        if v in ("dropped", "rejected"):
            return (v, f.host)
        return (v, id(self))  # an undetermined end agrees with nothing


def _describe(leaves: list[Leaf]) -> str:
    words = []
    for leaf in leaves:
        f, v = leaf.final, leaf.end.verdict
        at = f.socket or f.ifname or "-"
        text = f"{v} ({f.host}:{f.netns} {at})" if v in ("delivered", "forwarded") else v
        if text not in words:
            words.append(text)
    return " or ".join(words)


def explore(walk: Walk, stated: list[Assumption], packet: dict[str, Any]) -> TraceResult:
    leaves: list[Leaf] = []
    used: list[Assumption] = []
    pending: list[tuple[str, ...]] = [()]
    notes = []
    while pending:
        if len(leaves) >= MAX_WALKS:
            notes.append(
                f"the fork bound was hit: {MAX_WALKS} walks explored, {len(pending)} or more left; "
                "state outcomes with --assume to narrow it"
            )
            break
        forks = Forks(pending.pop(), stated)
        end, trail = walk(forks)
        leaves.append(Leaf(list(forks.path), end, trail))
        used += [a for a in forks.used if a not in used]
        pending.extend(reversed(forks.branches()))
    verdict, ends = _verdict(leaves, bool(notes))
    first = leaves[0]
    if verdict != "undetermined":  # copies: show a walk that reached the verdict
        first = next(leaf for leaf in leaves if leaf.end.verdict == verdict)
    notes += _other_copies(leaves, verdict, first)
    result = TraceResult(
        verdict,
        first.final,
        first.trail.steps,
        [a.text for a in used],
        first.trail.decided_by,
        _unknowns(leaves, verdict),
        packet=packet,
        notes=notes,
    )
    if verdict == "undetermined":
        result.alternatives = _alternatives(leaves)
    elif len(ends) > 1:
        result.ends = ends
    result.copies = any(c.copies for leaf in leaves for c, _ in leaf.path)
    return result


def _verdict(leaves: list[Leaf], bound_hit: bool, one_copy: bool = False) -> tuple[str, list[Final]]:
    outcomes = [leaf.outcome for leaf in leaves]
    verdicts = {leaf.end.verdict for leaf in leaves}
    if not bound_hit and not one_copy and any(c.copies for c, _ in leaves[0].path):
        return _copies_verdict(leaves)
    if bound_hit or "undetermined" in verdicts:
        return "undetermined", []
    if len(set(outcomes)) == 1:
        return leaves[0].end.verdict, []
    (verdict,) = verdicts if len(verdicts) == 1 else ("undetermined",)
    if verdict not in ("delivered", "forwarded"):
        return "undetermined", []
    # Only random choices may tell the ends apart: every combination of the other unknowns must reach
    # the same set of ends.
    groups: dict[tuple[tuple[str, str], ...], set[tuple[Any, ...]]] = {}
    for leaf in leaves:
        signature = tuple((c.key, v) for c, v in leaf.path if not c.random)
        groups.setdefault(signature, set()).add(leaf.outcome)
    if len({frozenset(g) for g in groups.values()}) != 1:
        return "undetermined", []
    ends, seen = [], set()
    for leaf in leaves:
        if leaf.outcome not in seen:
            seen.add(leaf.outcome)
            ends.append(leaf.final)
    return verdict, ends


def _copies_verdict(leaves: list[Leaf], depth: int = 0) -> tuple[str, list[Final]]:
    """The walks as the tree of their choices, summed up from the ends: copies of a frame (an Open vSwitch
    flood) all happen, so a copies node gets the best verdict of its copies (firm unless an open copy could
    do better); any other unknown above them must agree, as everywhere (a random one may differ in ends)."""
    if not any(c.copies for leaf in leaves for c, _ in leaf.path[depth:]):
        verdict, ends = _verdict(leaves, False, True)
        found = [leaf.final for leaf in leaves if leaf.end.verdict == verdict]
        return verdict, ends or found[:1]
    choice = next(leaf.path[depth][0] for leaf in leaves if len(leaf.path) > depth)
    groups: dict[str, list[Leaf]] = {}
    for leaf in leaves:
        groups.setdefault(leaf.path[depth][1], []).append(leaf)
    results = [_copies_verdict(group, depth + 1) for group in groups.values()]
    verdicts = {v for v, _ in results}
    if choice.copies:
        best = next(v for v in VERDICTS if v in verdicts)
        if best != "delivered" and "undetermined" in verdicts:
            return "undetermined", []  # a copy whose fate is open could do better than the others
        return best, list(dict.fromkeys(f for v, ends in results if v == best for f in ends))
    if len(verdicts) != 1 or "undetermined" in verdicts:
        return "undetermined", []
    (verdict,) = verdicts
    if verdict in ("dropped", "rejected"):
        hosts = {frozenset(f.host for f in ends) for _, ends in results}
        return (verdict, results[0][1]) if len(hosts) == 1 else ("undetermined", [])
    if choice.random or len({frozenset(ends) for _, ends in results}) == 1:
        return verdict, list(dict.fromkeys(f for _, ends in results for f in ends))
    return "undetermined", []


def _other_copies(leaves: list[Leaf], verdict: str, shown: Leaf) -> list[str]:
    """Where the other copies of a frame (an Open vSwitch flood) ended: each named."""
    if verdict == "undetermined":
        return []
    out = []
    for leaf in leaves:
        copies = [f"{c.key}={v}" for c, v in leaf.path if c.copies]
        if copies and leaf is not shown:
            text = f"the copy {', '.join(copies)}: {_describe([leaf])} ({leaf.final.host}:{leaf.final.netns})"
            if text not in out:
                out.append(text)
    return out


def _unknowns(leaves: list[Leaf], verdict: str) -> list[Unknown]:
    choices: dict[str, Choice] = {}
    for leaf in leaves:
        for choice, _ in leaf.path:
            if not choice.copies:  # copies of a frame all happen: not an unknown
                choices.setdefault(choice.key, choice)
    out = []
    for key, choice in choices.items():
        by_outcome: dict[str, list[Leaf]] = {}
        for leaf in leaves:
            taken = next((v for c, v in leaf.path if c.key == key), None)
            if taken is not None:
                by_outcome.setdefault(taken, []).append(leaf)
        sets = {frozenset(leaf.outcome for leaf in group) for group in by_outcome.values()}
        mattered = verdict == "undetermined" and len(sets) > 1
        splits = tuple((o, _describe(group)) for o, group in by_outcome.items()) if mattered else ()
        out.append(Unknown(key, choice.what, choice.outcomes, mattered, choice.random, splits))
    for leaf in leaves if not any(u.mattered for u in out) else ():
        # an end the walk could not get past (OpenFlow tables, a loop): a cause of its own
        if leaf.end.verdict == "undetermined" and leaf.trail.decided_by is not None:
            what = leaf.trail.decided_by.what
            if all(u.what != what for u in out):
                out.append(Unknown("undecided", what, (), True))
    return out


def _alternatives(leaves: list[Leaf]) -> list[Alternative]:
    out: list[Alternative] = []
    seen: set[tuple[Any, ...]] = set()
    for leaf in leaves:
        if leaf.outcome in seen or len(out) >= MAX_ALTERNATIVES:
            continue
        seen.add(leaf.outcome)
        condition = tuple((c.key, v) for c, v in leaf.path)
        out.append(Alternative(condition, leaf.end.verdict, leaf.final, tuple(leaf.trail.steps)))
    return out
