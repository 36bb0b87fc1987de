"""Right-hand sides of nftables matches: literals, anonymous and named sets, prefixes, ranges, maps.

A named set flagged dynamic or timeout is filled by the packet path itself at runtime: what the
snapshot holds is a moment, not the rule's meaning, so a lookup in it is undetermined.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from netstack_docs.analysis.trace.nftexpr import ABSENT, LITERAL, Predicate, Undetermined, _tcp_flags

SetDoc = dict[str, Any]
FindSet = Callable[[str], "SetDoc | None"]
RUNTIME_FLAGS = {"dynamic", "timeout"}


_MISSING = object()


def _literal(kind: str) -> Callable[[Any], Any]:
    try:
        return LITERAL[kind]
    except KeyError:
        raise Undetermined(f"values of kind {kind} are outside trace's vocabulary") from None


def element_matcher(element: Any, kind: str) -> Predicate:
    """A predicate for one set element (or one right-hand literal) against a value of `kind`."""
    if isinstance(element, dict) and "elem" in element:
        return element_matcher(element["elem"].get("val"), kind)
    if kind.startswith("concat:"):
        kinds = kind[len("concat:") :].split(",")
        parts = element.get("concat") if isinstance(element, dict) else element
        if not isinstance(parts, list) or len(parts) != len(kinds):
            raise Undetermined(f"concatenated element {element!r} does not fit {kind}")
        preds = [element_matcher(p, k) for p, k in zip(parts, kinds, strict=True)]
        return lambda v: all(pred(x) for pred, x in zip(preds, v, strict=True))
    if isinstance(element, dict) and "prefix" in element:
        net = ipaddress.ip_network(f"{element['prefix']['addr']}/{element['prefix']['len']}", strict=False)
        return lambda v: getattr(v, "version", None) == net.version and v in net
    if isinstance(element, dict) and "range" in element:
        conv = _literal(kind)
        low, high = (conv(x) for x in element["range"])
        return lambda v: type(v) is type(low) and low <= v <= high
    if isinstance(element, (dict, list)):
        raise Undetermined(f"set element {element!r} is outside trace's vocabulary")
    if kind == "flags":
        flag = str(element)
        return lambda v: v is not ABSENT and flag in v
    if kind == "str" and isinstance(element, str) and element.endswith("*"):
        stem = element[:-1]
        return lambda v: isinstance(v, str) and v.startswith(stem)
    wanted = _literal(kind)(element)
    return lambda v: v == wanted


def _any(preds: list[Predicate]) -> Predicate:
    return lambda v: any(p(v) for p in preds)


def named_set(name: str, find: FindSet) -> SetDoc:
    doc = find(name)
    if doc is None:
        raise Undetermined(f"set @{name} is not in the snapshot")
    if RUNTIME_FLAGS & set(doc.get("flags") or []):
        raise Undetermined(f"set @{name} is filled at runtime ({', '.join(doc.get('flags') or [])})")
    if doc.get("elements") is None:
        raise Undetermined(f"the elements of set @{name} were not captured")
    return doc


def _exact_key(element: Any, kind: str) -> Any:
    """The hashable value an element equals exactly (a literal, or a concatenation of literals), else
    None: prefixes, ranges, flags and wildcards are matched one by one."""
    if isinstance(element, dict) and "elem" in element:
        return _exact_key(element["elem"].get("val"), kind)
    if kind.startswith("concat:"):
        kinds = kind[len("concat:") :].split(",")
        parts = element.get("concat") if isinstance(element, dict) else element
        if not isinstance(parts, list) or len(parts) != len(kinds):
            return None
        keys = tuple(_exact_key(p, k) for p, k in zip(parts, kinds, strict=True))
        return None if any(k is None for k in keys) else keys
    if isinstance(element, (dict, list)) or kind not in LITERAL or kind == "flags":
        return None
    if kind == "str" and str(element).endswith("*"):
        return None
    try:
        return LITERAL[kind](element)
    except (ValueError, TypeError):
        return None


def _lookup_key(value: Any, kind: str) -> Any:
    return tuple(value) if kind.startswith("concat:") and isinstance(value, (list, tuple)) else value


def _members(elements: list[Any], kind: str) -> Predicate:
    """Literal elements (and concatenations of literals) become one hash lookup (a 5,000-element set
    costs what a 1-element one does); the others (prefixes, ranges) are tried one by one."""
    exact: set[Any] = set()
    others: list[Predicate] = []
    for e in elements:
        key = _exact_key(e, kind)
        if key is None:
            others.append(element_matcher(e, kind))
        else:
            exact.add(key)
    if not others:
        return lambda v: _lookup_key(v, kind) in exact
    rest = _any(others)
    return lambda v: _lookup_key(v, kind) in exact or rest(v)


def set_predicate(right: Any, kind: str, find: FindSet) -> Predicate:
    """Membership in the right-hand side: a named set, an anonymous set, a list, or one element."""
    if isinstance(right, str) and right.startswith("@"):
        return _members(named_set(right[1:], find)["elements"], kind)
    if isinstance(right, dict) and "set" in right:
        return _members(right["set"], kind)
    if isinstance(right, list) and not kind.startswith("concat:"):
        return _members(right, kind)
    return element_matcher(right, kind)


def compile_match(op: str, right: Any, kind: str, find: FindSet) -> Predicate:
    """The predicate of `left OP right`; an absent field fails every comparison, as in the kernel."""
    if kind == "fiboif" and isinstance(right, bool):  # `oif missing` / `oif exists`
        if op in ("==", "in"):
            return lambda v: v is not ABSENT and bool(v) == right
        return lambda v: v is not ABSENT and bool(v) != right
    named = isinstance(right, str) and right.startswith("@")
    if kind == "tcpflags" and not named and not (isinstance(right, dict) and "set" in right):
        bits = _tcp_flags(right)
        if op == "in":  # `tcp flags syn,ack`: any of these bits set
            return lambda v: v is not ABSENT and v & bits != 0
        if op == "==":
            return lambda v: v == bits
        if op == "!=":
            return lambda v: v is not ABSENT and v != bits
    if op == "!" and kind == "flags":  # `ct status & (snat | dnat) == 0`: none of these bits set
        names = [str(f) for f in (right if isinstance(right, list) else [right])]
        return lambda v: v is not ABSENT and not any(f in v for f in names)
    if op in ("==", "in"):
        # ABSENT equals no literal and is in no set: membership alone is the kernel's answer
        return set_predicate(right, kind, find)
    if op == "!=":
        member = set_predicate(right, kind, find)
        return lambda v: v is not ABSENT and not member(v)
    if op in ("<", ">", "<=", ">="):
        bound = _literal(kind)(right)
        cmp = {
            "<": lambda a: a < bound,
            ">": lambda a: a > bound,
            "<=": lambda a: a <= bound,
            ">=": lambda a: a >= bound,
        }[op]
        return lambda v: v is not ABSENT and cmp(v)
    raise Undetermined(f"match operator {op!r} is outside trace's vocabulary")


def map_lookup(data: Any, kind: str, find: FindSet) -> tuple[Callable[[Any], Any], list[Any]]:
    """(value -> the mapped data of the first matching element (None when none matches), the elements)."""
    if isinstance(data, str) and data.startswith("@"):
        elements = named_set(data[1:], find)["elements"]
    elif isinstance(data, dict) and "set" in data:
        elements = data["set"]
    else:
        raise Undetermined(f"map {data!r} is outside trace's vocabulary")
    # a map's keys never overlap (the kernel refuses it): an exact key found is the one element matching
    exact: dict[Any, Any] = {}
    pairs = []
    for k, v in elements:
        key = _exact_key(k, kind)
        if key is None:
            pairs.append((element_matcher(k, kind), v))
        else:
            exact.setdefault(key, v)

    def lookup(value: Any) -> Any:
        if value is ABSENT:
            return None
        found = exact.get(_lookup_key(value, kind), _MISSING)
        if found is not _MISSING:
            return found
        return next((v for pred, v in pairs if pred(value)), None)

    return lookup, list(elements)
