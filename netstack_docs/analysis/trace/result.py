"""What a trace returns: steps in the kernel's order, the verdict, its assumptions, the packet at the end."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

VERDICTS = ("delivered", "forwarded", "dropped", "rejected", "undetermined")
# The CLI's exit status per verdict (the contract): 0 it gets through, 1 it does not, 3 unknown.
EXIT_CODES = {"delivered": 0, "forwarded": 0, "dropped": 1, "rejected": 1, "undetermined": 3}


@dataclass(frozen=True)
class Step:
    """One thing that happened to the packet. `what` holds host strings: untrusted, escape before showing."""

    layer: str
    host: str
    netns: str
    what: str
    component: str | None = None
    url: str | None = None
    undetermined: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "host": self.host,
            "netns": self.netns,
            "what": self.what,
            "component": self.component,
            "url": self.url,
            **({"undetermined": True} if self.undetermined else {}),
        }


@dataclass(frozen=True)
class Final:
    """The packet where it arrives or leaves, after NAT."""

    host: str
    netns: str
    ifname: str | None
    socket: str | None
    src: str
    dst: str
    sport: int | None
    dport: int | None


@dataclass(frozen=True)
class Unknown:
    """Something the walk could not evaluate: whether its outcome changed the verdict, and how."""

    key: str  # what `--assume KEY=OUTCOME` names
    what: str
    outcomes: tuple[str, ...]
    mattered: bool
    random: bool = False
    splits: tuple[tuple[str, str], ...] = ()  # (outcome, what the walk ended with under it) when it mattered

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "what": self.what, "outcomes": list(self.outcomes)}
        if self.mattered:
            out["splits"] = [{"outcome": o, "ends": e} for o, e in self.splits]
        else:
            out["did_not_matter"] = True
        if self.random:
            out["random"] = True
        return out


@dataclass(frozen=True)
class Alternative:
    """One way an undetermined walk may end: under which outcomes, with what verdict and steps."""

    condition: tuple[tuple[str, str], ...]  # (unknown key, outcome)
    verdict: str
    final: Final
    steps: tuple[Step, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "condition": [{"unknown": k, "outcome": o} for k, o in self.condition],
            "verdict": self.verdict,
            "final": asdict(self.final),
            "steps": [s.to_json() for s in self.steps],
        }


@dataclass
class TraceResult:
    verdict: str
    final: Final
    steps: list[Step] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)  # only what the user stated (--assume)
    decided_by: Step | None = None
    unknowns: list[Unknown] = field(default_factory=list)
    alternatives: list[Alternative] = field(default_factory=list)  # when undetermined
    ends: list[Final] = field(default_factory=list)  # a random choice among agreeing ends: each of them
    packet: dict[str, Any] = field(default_factory=dict)  # the fields rules may test, defaults included
    notes: list[str] = field(default_factory=list)  # e.g. the fork bound was hit
    copies: bool = False  # the walk made copies of a frame (an Open vSwitch flood): `ends` are all reached

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def firm(self) -> bool:
        return self.verdict != "undetermined"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verdict": self.verdict,
            "assumptions": list(self.assumptions),
            "steps": [s.to_json() for s in self.steps],
            "final": asdict(self.final),
            "unknowns": [u.to_json() for u in self.unknowns],
            "packet": dict(self.packet),
        }
        if len(self.ends) > 1:
            out["ends"] = [asdict(e) for e in self.ends]
        if self.copies:
            out["copies"] = True
        if self.verdict == "undetermined":
            out["alternatives"] = [a.to_json() for a in self.alternatives]
        if self.notes:
            out["notes"] = list(self.notes)
        return out
