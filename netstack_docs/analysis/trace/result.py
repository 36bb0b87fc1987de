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


@dataclass
class TraceResult:
    verdict: str
    final: Final
    steps: list[Step] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    decided_by: Step | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "assumptions": list(self.assumptions),
            "steps": [s.to_json() for s in self.steps],
            "final": asdict(self.final),
        }
