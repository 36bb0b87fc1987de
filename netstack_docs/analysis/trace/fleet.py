"""The snapshots a trace walks through: every host of every environment, lookups that name the choices.

A VXLAN hop continues on the host of the same environment that owns the remote VTEP address, so a
trace needs the whole environment, not one file. Lookups are built once per host, lazily.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.packet import TraceInputError


@dataclass
class Host:
    """One snapshot: its environment, URL slug, and its namespaces by id."""

    env: str
    slug: str
    doc: dict[str, Any]
    _by_id: dict[str, Namespace] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for ns_doc in self.doc["namespaces"]:
            self._by_id[ns_doc["id"]] = Namespace(self, ns_doc)

    @property
    def namespaces(self) -> list[Namespace]:
        return list(self._by_id.values())

    @cached_property
    def root(self) -> Namespace:
        return next((ns for ns in self._by_id.values() if ns.kind == "root"), self.namespaces[0])

    def namespace(self, wanted: str | None) -> Namespace:
        """By snapshot id, name, container id (or its prefix), or pod name; None is the root namespace."""
        if wanted in (None, "", "root"):
            return self.root
        assert wanted is not None
        if wanted in self._by_id:
            return self._by_id[wanted]
        matches = [ns for ns in self._by_id.values() if ns.answers_to(wanted)]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(sorted(self._by_id))
        why = "is ambiguous" if matches else "does not exist"
        raise TraceInputError(f"namespace {wanted!r} {why} on {self.env}/{self.slug}; namespaces: {known}")

    def namespace_by_id(self, ns_id: str) -> Namespace | None:
        return self._by_id.get(ns_id)


class Fleet:
    """Every loaded host, by (env, slug); VTEP addresses are looked up across one environment."""

    def __init__(self, hosts: Iterable[Host], assume: Iterable[str] = ()):
        self.hosts: dict[tuple[str, str], Host] = {(h.env, h.slug): h for h in hosts}
        self._vteps: dict[tuple[str, str], tuple[Host, Namespace]] | None = None
        # outcomes the docs repository states for every trace (mkdocs.yml extra.netstack.assume)
        self.assume: list[str] = list(assume)

    @classmethod
    def from_docs(cls, docs: dict[tuple[str, str], dict[str, Any]], assume: Iterable[str] = ()) -> Fleet:
        return cls((Host(env, slug, doc) for (env, slug), doc in docs.items()), assume)

    @classmethod
    def from_files(cls, files: Iterable[Any], assume: Iterable[str] = ()) -> Fleet:
        """From netstack_docs.site.inputs.SnapshotFile objects (already validated)."""
        return cls((Host(f.env, f.slug, f.doc) for f in files), assume)

    @classmethod
    def load(cls, snapshots_dir: Path, assume: Iterable[str] = ()) -> Fleet:
        from netstack_docs.site.inputs import load_snapshots

        return cls.from_files(load_snapshots(snapshots_dir), assume)

    def host(self, env: str, slug: str) -> Host:
        found = self.hosts.get((env, slug))
        if found is not None:
            return found
        envs = sorted({e for e, _ in self.hosts})
        if env not in envs:
            raise TraceInputError(f"unknown environment {env!r}; environments: {', '.join(envs) or '(none)'}")
        names = sorted(s for e, s in self.hosts if e == env)
        raise TraceInputError(f"unknown host {env}/{slug}; hosts in {env}: {', '.join(names)}")

    def owner_of(self, env: str, address: str) -> tuple[Host, Namespace] | None:
        """The host and namespace of `env` that hold `address` as one of their own (a VXLAN's remote VTEP)."""
        if self._vteps is None:
            self._vteps = {}
            for host in self.hosts.values():
                for ns in host.namespaces:
                    for addr in ns.doc.get("addresses", []):
                        self._vteps.setdefault((host.env, addr["address"]), (host, ns))
        return self._vteps.get((env, address))
