"""`trace()`: the public entry point; one packet from a device or a local socket, every fork walked,
returned as data."""

from __future__ import annotations

from collections.abc import Iterable

from netstack_docs.analysis.trace.explore import explore
from netstack_docs.analysis.trace.fleet import Fleet
from netstack_docs.analysis.trace.forks import Assumption, Forks, parse_assumptions
from netstack_docs.analysis.trace.packet import Packet, TraceInputError
from netstack_docs.analysis.trace.result import TraceResult
from netstack_docs.analysis.trace.trail import Trail
from netstack_docs.analysis.trace.walk import End
from netstack_docs.analysis.trace.walker import Walker


def trace(
    fleet: Fleet,
    env: str,
    host: str,
    packet: Packet,
    *,
    ingress: str | None = None,
    netns: str | None = None,
    from_local: bool = False,
    assume: Iterable[str | Assumption] = (),
) -> TraceResult:
    """Walk `packet` through `env/host` arriving on `ingress` (in `netns`), or sent from a local process.

    `assume`: outcomes the user states for unknowns (`xdp:wan0=pass`); each fork of the rest is walked."""
    if from_local == (ingress is not None):
        raise TraceInputError("say where the packet starts: an ingress interface, or from a local process")
    h = fleet.host(env, host)
    ns = h.namespace(netns)
    if ingress is not None:
        ns.require_link(ingress)
    given = list(assume)
    stated = [a for a in given if isinstance(a, Assumption)]
    stated += parse_assumptions([a for a in given if isinstance(a, str)])
    stated += parse_assumptions(fleet.assume, "extra.netstack.assume")  # the repository's defaults come last

    trails: list[Trail] = []

    def walk(forks: Forks) -> tuple[End, Trail]:
        trail = Trail(forks)
        trails.append(trail)
        walker = Walker(fleet, trail)
        if from_local:
            return walker.local_out(ns, packet), trail
        assert ingress is not None
        return walker.receive(ns, ingress, packet), trail

    result = explore(walk, stated, packet.fields())
    for key, value in trails[0].l2.items():  # layer-2 fields derived on the first walk (Open vSwitch frames)
        result.packet.setdefault(key, value)
    return result
