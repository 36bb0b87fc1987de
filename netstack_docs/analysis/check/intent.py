"""A declared intent: which hosts and namespaces it selects, and the one assertion it makes about them."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.analysis.check.hosts import Host
from netstack_docs.errors import UserError


class IntentError(UserError):
    """An intent file that cannot be used; the message names file:line and the key of every problem."""


@dataclass(frozen=True)
class HostSelector:
    env: str | None = None  # glob
    host: str | None = None  # glob on the host slug or its hostname
    role: str | None = None  # exact role (case-insensitive), as given to `capture --role`

    def matches(self, host: Host) -> bool:
        if self.env is not None and not fnmatch.fnmatchcase(host.env, self.env):
            return False
        if self.host is not None and not (
            fnmatch.fnmatchcase(host.slug, self.host)
            or fnmatch.fnmatchcase(str(host.doc["host"].get("hostname", "")), self.host)
        ):
            return False
        return self.role is None or host.role.casefold() == self.role.casefold()

    def describe(self) -> str:
        parts = [f"{k} {v}" for k, v in (("env", self.env), ("host", self.host), ("role", self.role)) if v]
        return ", ".join(parts) or "every host"


@dataclass(frozen=True)
class Intent:
    name: str
    kind: str  # the assertion key: reach, sysctl, listening, ...
    spec: Any  # the assertion's value, as validated by intent.schema.json
    hosts: HostSelector = field(default_factory=HostSelector)
    namespaces: str | dict[str, str] = "root"
    expect: str | None = None  # reach: allow | deny
    description: str = ""
    origin: str = ""  # file:line, for messages
    assume: tuple[str, ...] = ()  # reach: outcomes stated for what trace cannot evaluate
    optional: bool = False  # selecting no host is expected (else a failure: a typo disables a check)
