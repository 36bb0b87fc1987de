"""Declarative matchers: how the model recognises a component kind in a snapshot section.

A matcher is data in components.yaml, for example

    recognise: {section: links, where: {kind: [veth]}}
    recognise: {section: tc.qdiscs, where: {parent: [root], kind: {not: [clsact, ingress]}}}
    recognise: {section: sysctls, where: {name: {glob: ["net.ipv4.tcp_*"]}}}
    recognise: {section: links, fallback: true}

Conditions on a field: a list (the value is one of these), `{not: [...]}`, `{glob: [...]}`
(shell patterns, case-sensitive, on the string value; `{glob: [...], except: [...]}` leaves out
exact values another kind takes), `{present: true|false}` (the field is set and not null/empty).
A fallback matcher applies only when no other kind of its section matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from fnmatch import translate
from typing import Any

_MISSING = object()


def lookup(obj: Any, path: str) -> Any:
    """The value at a dotted path (`nic.driver`), or None when any step is missing."""
    value = obj
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # in | not | glob | present
    values: tuple[Any, ...]
    pattern: re.Pattern[str] | None = None  # the globs as one compiled regex (op glob)
    excluded: tuple[Any, ...] = ()  # op glob: values left out even when a pattern matches

    def test(self, obj: Any) -> bool:
        value = lookup(obj, self.field)
        if self.op == "present":
            return (value not in (None, "", [], {})) == self.values[0]
        if self.op == "in":
            return value in self.values
        if self.op == "not":
            return value not in self.values
        return (isinstance(value, str) and self.pattern is not None and self.pattern.match(value) is not None
                and value not in self.excluded)


def _condition(name: str, spec: Any) -> Condition:
    if isinstance(spec, list):
        return Condition(name, "in", tuple(spec))
    if isinstance(spec, dict) and set(spec) == {"glob", "except"} and isinstance(spec["except"], list):
        return replace(_condition(name, {"glob": spec["glob"]}), excluded=tuple(spec["except"]))
    if isinstance(spec, dict) and len(spec) == 1:
        ((op, arg),) = spec.items()
        if op == "present" and isinstance(arg, bool):
            return Condition(name, "present", (arg,))
        if op == "not" and isinstance(arg, list):
            return Condition(name, op, tuple(arg))
        if op == "glob" and isinstance(arg, list) and all(isinstance(p, str) for p in arg):
            return Condition(name, op, tuple(arg), re.compile("|".join(f"(?:{translate(p)})" for p in arg)))
    raise ValueError(f"field {name!r}: expected a list, {{not: [...]}}, {{glob: [...]}} "
                     "(with except: [...]) or {{present: bool}}")


@dataclass(frozen=True)
class Matcher:
    section: str
    conditions: tuple[Condition, ...] = field(default=())
    fallback: bool = False

    @classmethod
    def from_yaml(cls, spec: Any) -> Matcher:
        if not isinstance(spec, dict) or "section" not in spec:
            raise ValueError("expected a mapping with 'section'")
        unknown = set(spec) - {"section", "where", "fallback"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        where = spec.get("where") or {}
        return cls(
            spec["section"], tuple(_condition(k, v) for k, v in where.items()), bool(spec.get("fallback"))
        )

    def matches(self, obj: Any) -> bool:
        return all(c.test(obj) for c in self.conditions)

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.conditions]
