"""The record a walk leaves: steps with their component anchors and URLs, and the assumptions it made."""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.result import Step


class Trail:
    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.assumptions: list[str] = []
        self.decided_by: Step | None = None

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

    def assume(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)
