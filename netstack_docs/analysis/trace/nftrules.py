"""One nftables rule compiled into operations: pure matches, things trace cannot evaluate, statements.

A rule runs as the kernel runs it: matches in order, the first that fails ends the rule. A match
trace cannot evaluate (an expression outside its vocabulary, a set filled at run time, a limit or
quota, an iptables-nft xt match) does not end it: the rule's other matches are still evaluated,
and only when they all pass and a statement with an effect follows does the walk fork (the rule
matched / did not). A rule whose evaluable matches fail takes no fork. A statement whose effect
trace cannot compute (an xt target, an unknown mangle) ends that fork undetermined.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.analysis.trace.nftexpr import (
    ABSENT,
    EvalContext,
    Getter,
    Predicate,
    Undetermined,
    _int,
    compile_value,
)
from netstack_docs.analysis.trace.nftsets import FindSet, compile_match, map_lookup

VERDICTS = ("accept", "drop", "reject", "return", "jump", "goto", "continue")
NO_EFFECT = (
    "counter",
    "log",
    "comment",
    "flow",
    "ct count set",
    "dup",  # the copy goes its own way; the packet trace follows goes on unchanged
    "ct helper",  # a helper for the connection: it changes what later packets are (related), not this one
)  # a packet's fate does not depend on them
NAT = ("dnat", "snat", "masquerade", "redirect")
LIKE_A_MATCH = ("limit", "quota", "meter", "connlimit", "ct count")  # they stop the rule or let it go on
FATE_NEUTRAL_KEYS = ("priority", "nftrace", "dscp", "ecn")  # set, they change no verdict trace follows

# (the rule, the reasons it cannot be decided) -> does it match in this walk?
Fork = Callable[["CompiledRule", list[str]], bool]


@dataclass
class Effect:
    """What a matching rule did: a verdict (with a chain target), NAT, fields set; or why unknown."""

    verdict: str | None = None
    target: str | None = None
    nat: tuple[str, dict[str, Any]] | None = None
    sets: dict[str, int] = field(default_factory=dict)  # packet fields set (mark, ctmark)
    undetermined: str | None = None  # a statement trace cannot evaluate: this fork cannot go on

    @property
    def mark(self) -> int | None:
        return self.sets.get("mark")


Run = Callable[[EvalContext, Effect], bool]  # False: the rule stops here (a map without the element)


@dataclass(frozen=True)
class Op:
    """`match` (get, pred), `unknown` (reason), or `statement` (run, and whether it has an effect).

    `expr` keeps the statement as nft's JSON writes it: the closures answer for one packet, the
    expression lets an evaluator over sets of packets (reach) read the same rule."""

    kind: str
    get: Getter | None = None
    pred: Predicate | None = None
    run: Run | None = None
    reason: str = ""
    effect: bool = True
    expr: dict[str, Any] | None = None


def _verdict(name: str, arg: Any) -> Run:
    target = arg.get("target") if isinstance(arg, dict) else None

    def run(ctx: EvalContext, eff: Effect) -> bool:
        eff.verdict, eff.target = name, target
        return True

    return run


def _verdict_text(verdict: dict[str, Any]) -> str:
    ((name, sub),) = verdict.items()
    return f"{name} {(sub or {}).get('target')}" if isinstance(sub, dict) and sub.get("target") else name


def _vmap(arg: dict[str, Any], find: FindSet) -> Run:
    get, kind = compile_value(arg["key"])
    lookup, elements = map_lookup(arg["data"], kind, find)
    options = {_verdict_text(v): v for _, v in elements if isinstance(v, dict) and len(v) == 1}

    def run(ctx: EvalContext, eff: Effect) -> bool:
        try:
            verdict = lookup(get(ctx))
        except Undetermined as exc:  # the key cannot be computed: each verdict of the map, or none
            outcomes = (*options, "no element")
            picked = ctx.choose(f"vmap:{ctx.rule}", f"verdict map key ({exc})", outcomes, False)
            verdict = options.get(picked)
        if verdict is None:
            return True  # no element: the rule goes on (and ends without a verdict)
        ((name, sub),) = verdict.items()
        eff.verdict, eff.target = name, (sub or {}).get("target")
        return True

    return run


# NF_IP_PRI_CONNTRACK: on prerouting and output, conntrack attaches the packet's connection here.
CONNTRACK_PRIORITY = -200


def notrack(ctx: EvalContext, eff: Effect) -> bool:
    """`notrack` (nft_notrack_eval) and `-j CT --notrack` (xt_ct_target): a packet that has no connection
    yet is marked untracked; one that already has one (conntrack ran before this chain, or a looped-back
    local packet) is left alone. Allowed on prerouting and output only (the kernel refuses it elsewhere)."""
    if ctx.packet.untracked or ctx.tracked or ctx.hook not in ("prerouting", "output"):
        return True
    if ctx.priority is None or ctx.priority == CONNTRACK_PRIORITY:
        raise Undetermined(
            f"notrack at priority {ctx.priority} on {ctx.hook}: whether conntrack (priority "
            f"{CONNTRACK_PRIORITY}) has run before it is not known"
        )
    if ctx.priority < CONNTRACK_PRIORITY:
        eff.sets["untracked"] = True
    return True


def _mangle(arg: dict[str, Any]) -> Run:
    key = arg.get("key") or {}
    meta, ct = key.get("meta") or {}, key.get("ct") or {}
    target = (
        "mark"
        if meta.get("key") == "mark"
        else "ctmark"
        if ct.get("key") == "mark" and not ct.get("dir")
        else None
    )
    if target is None:
        inner: dict[str, Any] = {}
        if isinstance(key, dict) and len(key) == 1:
            inner = next(iter(key.values())) or {}
        name = (inner or {}).get("key") or (inner or {}).get("field")
        if name in FATE_NEUTRAL_KEYS or "tcp option" in key:  # MSS clamping: no verdict depends on it
            return lambda ctx, eff: True
        raise Undetermined(f"statement `set` of {key!r} is outside trace's vocabulary")
    value = arg.get("value")
    if isinstance(value, (int, str)):
        constant = _int(value)

        def run_constant(ctx: EvalContext, eff: Effect) -> bool:
            if target != "ctmark" or not ctx.packet.untracked:  # no connection: nothing to set
                eff.sets[target] = constant
            return True

        return run_constant
    get, _ = compile_value(value)

    def run(ctx: EvalContext, eff: Effect) -> bool:
        value = get(ctx)
        if value is ABSENT:  # `meta mark set ct mark` of an untracked packet: the ct load breaks the rule
            return False
        if target == "ctmark" and ctx.packet.untracked:
            return True  # nft_ct_set_eval: no connection to set it on
        eff.sets[target] = int(value) & 0xFFFFFFFF
        return True

    return run


def _nat(name: str, arg: Any, find: FindSet) -> Run:
    arg = dict(arg or {})
    addr = arg.get("addr")
    if isinstance(addr, dict) and "map" in addr:
        get, kind = compile_value(addr["map"]["key"])
        lookup, _ = map_lookup(addr["map"]["data"], kind, find)

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


def _stuck(reason: str) -> Run:
    def run(ctx: EvalContext, eff: Effect) -> bool:
        raise Undetermined(reason)

    return run


def compile_op(stmt: dict[str, Any], find: FindSet) -> Op:
    """One statement of a rule, compiled; the JSON it came from stays on it."""
    op = _compile_op(stmt, find)
    return Op(op.kind, op.get, op.pred, op.run, op.reason, op.effect, stmt)


def _compile_op(stmt: dict[str, Any], find: FindSet) -> Op:
    ((name, arg),) = stmt.items()
    try:
        if name == "match":
            get, pred = _guard(arg, find)
            return Op("match", get, pred)
        if name in LIKE_A_MATCH:
            return Op("unknown", reason=f"{name} {_brief(arg)}: its state at run time decides")
        if name == "xt" and (arg or {}).get("type") == "match":
            return Op("unknown", reason=f"iptables match -m {arg.get('name')} is not evaluated by trace yet")
        if name in VERDICTS:
            return Op("statement", run=_verdict(name, arg))
        if name == "vmap":
            return Op("statement", run=_vmap(arg, find))
        if name == "mangle":
            return Op("statement", run=_mangle(arg))
        if name in NAT:
            return Op("statement", run=_nat(name, arg, find))
        if name in NO_EFFECT:
            return Op("statement", run=lambda ctx, eff: True, effect=False)
        if name == "notrack":
            return Op("statement", run=notrack)
        if name in ("set", "map") and isinstance(arg, dict):
            # `add @s { ip saddr }` / `update @s { ... }` writes a set (a runtime set: trace never reads
            # one); with a limit or quota in the element it stops the rule when that is over (nft_dynset)
            if any(k in json.dumps(arg.get("elem")) for k in ('"limit"', '"quota"', '"ct count"')):
                what = f"`{name} {arg.get('op')} {arg.get('set')}` with a limit or quota in its element"
                return Op("unknown", reason=f"{what}: its state at run time decides")
            return Op("statement", run=lambda ctx, eff: True, effect=False)
        if name == "xt":
            raise Undetermined(f"iptables target -j {(arg or {}).get('name')} is not evaluated by trace yet")
        raise Undetermined(f"statement {name!r} is outside trace's vocabulary")
    except Undetermined as exc:
        if name == "match":
            return Op("unknown", reason=str(exc))
        return Op("statement", run=_stuck(str(exc)))
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        reason = f"{name} not understood ({exc})"
        return Op("unknown", reason=reason) if name == "match" else Op("statement", run=_stuck(reason))


def _brief(arg: Any) -> str:
    if isinstance(arg, dict):
        return " ".join(f"{k} {v}" for k, v in arg.items() if isinstance(v, (str, int)))
    return str(arg or "")


@dataclass
class CompiledRule:
    rule: dict[str, Any]
    key: str  # family/table/chain/handle: what a fork on this rule is called
    # The rule's leading evaluable matches, run before any Effect is made: most rules fail their first
    # match, and a 500-rule chain is walked at >= 1,000 packets/s only when a failing rule costs a few calls.
    guards: list[tuple[Getter, Predicate]] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)
    guard_ops: list[Op] = field(default_factory=list)  # the guards as Ops (their expressions), in order

    @property
    def statements(self) -> list[Op]:
        """Every statement of the rule in order, guards first: the one compiled form of the rule."""
        return [*self.guard_ops, *self.ops]

    def run(self, ctx: EvalContext, fork: Fork) -> Effect | None:
        """The rule's effect when it matches (in this walk), None when it does not.

        The hot path: most rules fail a leading match, with nothing to remember on the way."""
        ctx.rule = self.key
        try:
            for get, pred in self.guards:
                if not pred(get(ctx)):
                    return None
        except Undetermined:
            return self._careful(ctx, fork)
        return self._rest(ctx, fork, [])

    def _careful(self, ctx: EvalContext, fork: Fork) -> Effect | None:
        """A leading match could not be evaluated (a value known only at run time, such as the ct mark
        of an established flow): every other match still decides first, then the rule forks."""
        pending: list[str] = []
        for get, pred in self.guards:
            try:
                if not pred(get(ctx)):
                    return None
            except Undetermined as exc:
                pending.append(str(exc))
        return self._rest(ctx, fork, pending)

    def _rest(self, ctx: EvalContext, fork: Fork, pending: list[str]) -> Effect | None:
        eff = Effect()
        for op in self.ops:
            if op.kind == "match":
                assert op.get is not None and op.pred is not None
                try:
                    if not op.pred(op.get(ctx)):
                        return None
                except Undetermined as exc:
                    pending.append(str(exc))
                continue
            if op.kind == "unknown":
                pending.append(op.reason)
                continue
            if op.effect and pending:
                if not fork(self, pending):
                    return None
                pending = []
            assert op.run is not None
            try:
                if not op.run(ctx, eff):
                    return None
            except Undetermined as exc:
                eff.undetermined = str(exc)
                return eff
        return eff


def _guard(stmt: dict[str, Any], find: FindSet) -> tuple[Getter, Predicate]:
    left, right, op = stmt["left"], stmt["right"], stmt.get("op", "==")
    try:
        get, kind = compile_value(left)
        return get, compile_match(op, right, kind, find)
    except (KeyError, ValueError, TypeError) as exc:
        raise Undetermined(f"match {left!r} {op} {right!r}: {exc}") from None


def compile_rule(rule: dict[str, Any], find: FindSet, ipsets: Any = None) -> CompiledRule:
    key = f"{rule.get('family')}/{rule.get('table')}/{rule.get('chain')}/{rule.get('handle')}"
    ops: list[Op] = []
    for s in rule.get("expr") or []:
        if isinstance(s, dict) and len(s) == 1:
            ops += _xt_ops(s["xt"], rule, ipsets) if "xt" in s else [compile_op(s, find)]
    if any(not (isinstance(s, dict) and len(s) == 1) for s in rule.get("expr") or []):
        ops.append(Op("statement", run=_stuck("rule expression not understood")))
    return build_rule(rule, key, ops)


def _xt_ops(arg: Any, rule: dict[str, Any], ipsets: Any) -> list[Op]:
    """An iptables-nft xt expression: the ops of its decoded iptables text (iptrules), or, without
    a text (not decoded, an ebtables/arptables one), today's fork on it."""
    from netstack_docs.analysis.trace.iptparse import RuleSyntaxError
    from netstack_docs.analysis.trace.iptrules import compile_xt

    family = rule.get("family")
    if isinstance(arg, dict) and arg.get("text") and family in ("ip", "ip6"):
        try:
            return compile_xt(arg, str(family), ipsets)
        except (RuleSyntaxError, ValueError) as exc:
            why = f"iptables {arg.get('type')} `{arg.get('text')}` not understood ({exc})"
    else:
        undecoded = (arg or {}).get("undecoded") if isinstance(arg, dict) else None
        why = f"iptables {(arg or {}).get('type')} {(arg or {}).get('name')}"
        why += f" ({undecoded})" if undecoded else ""
    if isinstance(arg, dict) and arg.get("type") == "match":
        return [Op("unknown", reason=f"{why}: not evaluated by trace", expr={"xt": arg})]
    return [Op("statement", run=_stuck(f"{why}: not evaluated by trace"), expr={"xt": arg})]


def build_rule(rule: dict[str, Any], key: str, ops: list[Op]) -> CompiledRule:
    """A rule of compiled ops: its leading matches become the hot path's guards."""
    guards, guard_ops = [], []
    while ops and ops[0].kind == "match":
        op = ops.pop(0)
        assert op.get is not None and op.pred is not None
        guards.append((op.get, op.pred))
        guard_ops.append(op)
    return CompiledRule(rule, key, guards, ops, guard_ops)
