"""`netstack-docs trace`: walk a packet through captured hosts in the kernel's order (see trace-api docs).

Public API: Fleet, Packet, trace, TraceResult, Step, Final,
TraceInputError. Everything is pure: snapshot documents in, dataclasses out.
"""

from netstack_docs.analysis.trace.api import trace
from netstack_docs.analysis.trace.fleet import Fleet, Host
from netstack_docs.analysis.trace.packet import Packet, TraceInputError
from netstack_docs.analysis.trace.result import Final, Step, TraceResult

__all__ = [
    "Fleet",
    "Final",
    "Host",
    "Packet",
    "Step",
    "TraceInputError",
    "TraceResult",
    "trace",
]
