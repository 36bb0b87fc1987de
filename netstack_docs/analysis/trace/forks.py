"""Forks: what a snapshot cannot decide splits the walk, and only agreeing forks make a firm verdict.

A walk is deterministic given the outcome of every unknown it meets (a BPF program's verdict, a
match trace cannot evaluate, a set filled at run time, a limit, a random choice). Each unknown is a
Choice with its possible outcomes; the walk asks `Forks.choose` and goes on with the answer. The
explorer re-runs the walk once per combination of outcomes actually met (depth first, the first
outcome of each choice on the first run), up to MAX_WALKS walks, so a walk that meets no unknown is
walked once.

A user may state an outcome (`--assume xdp:wan0=pass`, an intent's `assume:`, a default in
mkdocs.yml): that choice then has one outcome, and the result lists the statement as an assumption.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from netstack_docs.errors import UserError

MAX_WALKS = 64


@dataclass(frozen=True)
class Choice:
    """One unknown met on a walk. `key` is what a user names in `--assume KEY=OUTCOME`."""

    key: str
    what: str  # what cannot be evaluated, for a person ("XDP program xdp_filter on wan0")
    outcomes: tuple[str, ...]
    host: str = ""
    random: bool = False  # a random choice among known outcomes (numgen, a multipath hash)
    copies: bool = False  # every outcome happens (copies of a frame): each is walked, each an end

    def names(self) -> tuple[str, ...]:
        return (self.key, f"{self.key}@{self.host}") if self.host else (self.key,)


@dataclass(frozen=True)
class Assumption:
    """A user's statement `PATTERN=OUTCOME` (PATTERN may be a glob, and may end in @HOST)."""

    pattern: str
    outcome: str

    @property
    def text(self) -> str:
        return f"{self.pattern}={self.outcome}"

    def applies(self, choice: Choice) -> bool:
        return any(fnmatch.fnmatchcase(name, self.pattern) for name in choice.names())


def parse_assumptions(texts: list[str] | tuple[str, ...], where: str = "--assume") -> list[Assumption]:
    out = []
    for text in texts:
        key, sep, value = str(text).partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UserError(
                f"{where} {text!r}: write KEY=OUTCOME, e.g. xdp:wan0=pass or "
                "rule:inet/filter/input/12=nomatch"
            )
        out.append(Assumption(key.strip(), value.strip()))
    return out


@dataclass
class Forks:
    """The outcomes one walk takes: a forced prefix (set by the explorer), then each choice's first."""

    prefix: tuple[str, ...] = ()
    stated: list[Assumption] = field(default_factory=list)
    path: list[tuple[Choice, str]] = field(default_factory=list)
    used: list[Assumption] = field(default_factory=list)

    def choose(self, choice: Choice) -> str:
        for a in self.stated:
            if a.applies(choice):
                if a.outcome not in choice.outcomes:
                    raise UserError(
                        f"--assume {a.text}: {choice.key} can be one of {', '.join(choice.outcomes)}"
                    )
                if a not in self.used:
                    self.used.append(a)
                return a.outcome
        i = len(self.path)
        outcome = self.prefix[i] if i < len(self.prefix) else choice.outcomes[0]
        self.path.append((choice, outcome))
        return outcome

    def branches(self) -> list[tuple[str, ...]]:
        """The prefixes of the walks not yet taken from this one: every other outcome of each new choice."""
        values = [v for _, v in self.path]
        out = []
        for j in range(len(self.prefix), len(self.path)):
            choice, taken = self.path[j]
            for other in choice.outcomes:
                if other != taken:
                    out.append((*values[:j], other))
        return out
