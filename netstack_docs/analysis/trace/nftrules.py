"""One nftables rule compiled into a list of operations: matches, then statements with their effects.

Operations run in the rule's order, as the kernel runs a rule's expressions. A match whose value
is unknown does not stop the walk: the rule is assumed not to match (a limit or quota is assumed to
let the packet through), and the assumption is returned so the walk can state it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.analysis.trace.nftexpr import EvalContext, Getter, Predicate, Undetermined, compile_value
from netstack_docs.analysis.trace.nftsets import FindSet, compile_match, map_lookup

VERDICTS = ("accept", "drop", "reject", "return", "jump", "goto", "continue")
NO_EFFECT = ("counter", "log", "notrack", "comment", "flow")  # nothing a packet's fate depends on
NAT = ("dnat", "snat", "masquerade", "redirect")
ASSUME_PASSES = ("limit", "quota", "meter", "connlimit")


@dataclass
class Effect:
    """What a matching rule did: a verdict (with a chain target), a NAT request, a mark; or why unknown."""

    verdict: str | None = None
    target: str | None = None
    nat: tuple[str, dict[str, Any]] | None = None
    mark: int | None = None
    assumptions: list[str] = field(default_factory=list)
    undetermined: str | None = None  # a statement trace cannot evaluate: the walk cannot go on


Op = Callable[[EvalContext, Effect], bool]  # False: the rule does not match, stop


def _match(stmt: dict[str, Any], find: FindSet) -> Op:
    get, pred = _guard(stmt, find)

    def run(ctx: EvalContext, eff: Effect) -> bool:
        return pred(get(ctx))

    return run


def _verdict(name: str, arg: Any) -> Op:
    target = arg.get("target") if isinstance(arg, dict) else None

    def run(ctx: EvalContext, eff: Effect) -> bool:
        eff.verdict, eff.target = name, target
        return True

    return run


def _vmap(arg: dict[str, Any], find: FindSet) -> Op:
    get, kind = compile_value(arg["key"])
    lookup = map_lookup(arg["data"], kind, find)

    def run(ctx: EvalContext, eff: Effect) -> bool:
        verdict = lookup(get(ctx))
        if verdict is None:
            return True  # no element: the rule goes on (and ends without a verdict)
        ((name, sub),) = verdict.items()
        eff.verdict, eff.target = name, (sub or {}).get("target")
        return True

    return run


def _mangle(arg: dict[str, Any]) -> Op:
    key = arg.get("key") or {}
    if key.get("meta", {}).get("key") != "mark" or not isinstance(arg.get("value"), (int, str)):
        raise Undetermined(f"statement {arg!r} is outside trace's vocabulary")
    value = arg["value"] if isinstance(arg["value"], int) else int(arg["value"], 0)

    def run(ctx: EvalContext, eff: Effect) -> bool:
        eff.mark = value
        return True

    return run


def _nat(name: str, arg: Any, find: FindSet) -> Op:
    arg = dict(arg or {})
    addr = arg.get("addr")
    if isinstance(addr, dict) and "map" in addr:
        get, kind = compile_value(addr["map"]["key"])
        lookup = map_lookup(addr["map"]["data"], kind, find)

        def run_map(ctx: EvalContext, eff: Effect) -> bool:
            mapped = lookup(get(ctx))
            if mapped is None:
                return False  # no element: the kernel's NAT expression breaks the rule
            eff.nat = (name, {**arg, "addr": mapped})
            return True

        return run_map

    def run(ctx: EvalContext, eff: Effect) -> bool:
        eff.nat = (name, arg)
        return True

    return run


def _assume(name: str) -> Op:
    def run(ctx: EvalContext, eff: Effect) -> bool:
        eff.assumptions.append(f"assuming the {name} statement lets this packet through")
        return True

    return run


def compile_statement(stmt: dict[str, Any], find: FindSet) -> Op:
    ((name, arg),) = stmt.items()
    if name == "match":
        return _match(arg, find)
    if name in VERDICTS:
        return _verdict(name, arg)
    if name == "vmap":
        return _vmap(arg, find)
    if name == "mangle":
        return _mangle(arg)
    if name in NAT:
        return _nat(name, arg, find)
    if name in NO_EFFECT:
        return lambda ctx, eff: True
    if name in ASSUME_PASSES:
        return _assume(name)
    raise Undetermined(f"statement {name!r} is outside trace's vocabulary")


@dataclass
class CompiledRule:
    rule: dict[str, Any]
    ops: list[Op]
    problem: str | None  # set when the rule could not be compiled: every packet reaching it is undetermined
    # The rule's leading matches, run before any Effect is made: most rules fail their first match, and a
    # 500-rule chain is walked at >= 1,000 packets/s only when a failing rule costs a few calls.
    guards: list[tuple[Getter, Predicate]] = field(default_factory=list)

    def run(self, ctx: EvalContext) -> Effect | None:
        """The rule's effect when it matches, None when it does not."""
        try:
            for get, pred in self.guards:
                if not pred(get(ctx)):
                    return None
        except Undetermined as exc:
            return Effect(undetermined=str(exc))
        eff = Effect()
        if self.problem is not None:
            eff.undetermined = self.problem
            return eff
        try:
            for op in self.ops:
                if not op(ctx, eff):
                    return None
        except Undetermined as exc:
            eff.undetermined = str(exc)
        return eff


def _guard(stmt: dict[str, Any], find: FindSet) -> tuple[Getter, Predicate]:
    left, right, op = stmt["left"], stmt["right"], stmt.get("op", "==")
    try:
        get, kind = compile_value(left)
        return get, compile_match(op, right, kind, find)
    except (KeyError, ValueError, TypeError) as exc:
        raise Undetermined(f"match {left!r} {op} {right!r}: {exc}") from None


def compile_rule(rule: dict[str, Any], find: FindSet) -> CompiledRule:
    statements = list(rule.get("expr") or [])
    try:
        guards = []
        while statements and "match" in statements[0]:
            guards.append(_guard(statements.pop(0)["match"], find))
        return CompiledRule(rule, [compile_statement(s, find) for s in statements], None, guards)
    except Undetermined as exc:
        return CompiledRule(rule, [], str(exc))
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        return CompiledRule(rule, [], f"rule expression not understood ({exc})")
