"""What every assertion kind provides, and the helpers they share to turn outcomes into findings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.analysis.check.findings import FAIL, ComponentRef, Finding, host_ref
from netstack_docs.analysis.check.hosts import Host, select_namespaces
from netstack_docs.analysis.check.intent import Intent
from netstack_docs.analysis.check.yamllines import Path_

Problems = list[tuple[Path_, str]]  # (path inside the assertion, message)


@dataclass
class Context:
    """What a check may need beyond its hosts: the whole fleet (trace walks across hosts), built once."""

    hosts: list[Host]
    assume: tuple[str, ...] = ()  # the docs repository's stated outcomes (mkdocs.yml extra.netstack.assume)
    _fleet: Any = field(default=None, repr=False)

    def fleet(self) -> Any:
        if self._fleet is None:
            from netstack_docs.analysis.trace import Fleet

            self._fleet = Fleet.from_docs({(h.env, h.slug): h.doc for h in self.hosts}, self.assume)
        return self._fleet


@dataclass(frozen=True)
class AssertionKind:
    key: str
    evaluate: Callable[[Intent, list[Host], Context], list[Finding]]
    describe: Callable[[Intent], str]  # one line for the checks page and JUnit, e.g. "sysctl a=1"
    validate: Callable[[Any], Problems] = lambda spec: []
    needs_expect: bool = False


def finding(
    intent: Intent, host: Host, netns: str | None, status: str, expected: str, actual: str, ref: ComponentRef
) -> Finding:
    return Finding(intent.name, "intent", host.env, host.slug, netns, status, expected, actual, ref)


Outcome = tuple[str, str, str, ComponentRef]  # status, expected, actual, component
NamespaceCheck = Callable[[Intent, Host, dict[str, Any]], list[Outcome]]


def per_namespace(check: NamespaceCheck) -> Callable[[Intent, list[Host], Context], list[Finding]]:
    """Run `check` on every namespace the intent selects on every host it selects.

    A host without containers has nothing to check for `namespaces: containers`; a named namespace
    the intent expects and the host lacks is a failure."""

    def evaluate(intent: Intent, hosts: list[Host], ctx: Context) -> list[Finding]:
        out = []
        for host in hosts:
            namespaces = select_namespaces(host, intent.namespaces)
            if not namespaces and isinstance(intent.namespaces, dict):  # a named netns that is not there
                out.append(
                    finding(
                        intent,
                        host,
                        None,
                        FAIL,
                        f"namespaces {intent.namespaces}",
                        "no such namespace on this host",
                        host_ref("namespaces"),
                    )
                )
            for ns in namespaces:
                for status, expected, actual, ref in check(intent, host, ns):
                    out.append(finding(intent, host, ns["id"], status, expected, actual, ref))
        return out

    return evaluate
