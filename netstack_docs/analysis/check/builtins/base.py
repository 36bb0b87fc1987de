"""What a built-in check is: a named pitfall of the layer model that a snapshot alone can decide."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from netstack_docs.analysis.check.findings import ComponentRef
from netstack_docs.analysis.check.hosts import Host

# status, namespace id (None: the whole host), actual, component
Problem = tuple[str, str | None, str, ComponentRef]


@dataclass(frozen=True)
class Builtin:
    name: str  # kebab-case: what --disable and the pages use
    title: str
    expected: str  # what holds when the check passes, for findings and the checks page
    layer: str  # the layer whose handbook page explains the pitfall
    check: Callable[[Host], list[Problem]]  # no problem found: the host passes
