"""The record a walk leaves: steps with their component anchors and URLs, and the outcomes it took where
the snapshot could not decide (forks.py explores the others)."""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.trace.forks import Choice, Forks
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.result import Step


class Trail:
    def __init__(self, forks: Forks | None = None) -> None:
        self.steps: list[Step] = []
        self.decided_by: Step | None = None
        self.forks = forks if forks is not None else Forks()
        self.l2: dict[str, str] = {}  # layer-2 fields derived on the way (shown in the result's packet)

    def step(
        self,
        ns: Namespace,
        layer: str,
        what: str,
        kind: str | None = None,
        obj: dict[str, Any] | None = None,
        undetermined: bool = False,
        decides: bool = False,
    ) -> Step:
        component = url = None
        if kind is not None and obj is not None:
            try:
                component, url = ns.anchor(kind, obj)
            except (KeyError, TypeError):
                component = url = None  # an object the snapshot shapes unusually: no link, the step stays
        step = Step(layer, ns.host.slug, ns.id, what, component, url, undetermined)
        self.steps.append(step)
        if decides:
            self.decided_by = step
        return step

    def choose(
        self,
        ns: Namespace,
        layer: str,
        key: str,
        what: str,
        outcomes: tuple[str, ...],
        kind: str | None = None,
        obj: dict[str, Any] | None = None,
        *,
        random: bool = False,
        copies: bool = False,
    ) -> str:
        """An unknown: the outcome this walk takes (stated, or the explorer's pick), as a step."""
        choice = Choice(key, what, outcomes, ns.host.slug, random, copies)
        before = len(self.forks.path)
        outcome = self.forks.choose(choice)
        if len(self.forks.path) == before:
            text = f"{what}: assumed {outcome} (stated: {key}={outcome})"
            self.step(ns, layer, text, kind, obj)
        else:
            others = ", ".join(o for o in outcomes if o != outcome)
            verb = "picked at random" if random else "not evaluable from the snapshot"
            text = f"{what}: {verb}; this walk: {outcome} (forks: {others}) [{key}]"
            if copies:
                text = f"{what}: each is walked; this walk follows {outcome} (the others: {others}) [{key}]"
            self.step(ns, layer, text, kind, obj, undetermined=not copies)
        return outcome
