"""A host's captured Open vSwitch, indexed for the OpenFlow walk (ofproto.py): bridges, ports by interface
name, flows by table in priority order, groups, OpenFlow port numbers; and what the walk returns
(events for the trail, outputs: the walk's ends), with a flow spelled as `ovs-ofctl` prints it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netstack_docs.analysis.trace import ofactions as act
from netstack_docs.analysis.trace.ofmatch import VLAN_CFI, Frame, Test, parse_match

Obj = dict[str, Any]
DEFAULT_PRIORITY = 32768
LOCAL_OFPORT = 65534
TUNNEL_TYPES = {"vxlan", "geneve", "gre", "ip6gre", "erspan", "ip6erspan", "stt", "lisp", "gtpu", "bareudp"}


@dataclass(frozen=True)
class Event:
    bridge: str
    what: str  # holds strings from the snapshot: escape before showing
    flow: Obj | None = None
    undetermined: bool = False
    choice: bool = False  # an unknown met here: the caller's choose() said what this walk takes


@dataclass
class Output:
    """Where a copy of the frame leaves the pipeline: kind port/tunnel/undetermined, with the frame then."""

    kind: str
    bridge: str
    port: str
    frame: Frame
    events: int  # how many events led to it
    iface: Obj = field(default_factory=dict)
    why: str = ""

    @property
    def vlan(self) -> int | None:
        tci = act.read(self.frame, "vlan_tci")
        return tci & 0xFFF if tci & VLAN_CFI else None


class Switch:
    """The captured OVS of one host: bridges, their ports by interface name, flows by table."""

    def __init__(self, ovs: Obj, state: Obj | None = None):
        self.bridges: dict[str, Obj] = {b["name"]: b for b in ovs.get("bridges") or []}
        self.port_of: dict[str, tuple[str, Obj, Obj]] = {}  # interface name -> (bridge, port, interface)
        self.tables: dict[str, dict[int, list[Obj]]] = {}
        self.numbers: dict[str, dict[int, str]] = {}
        self.groups: dict[str, dict[int, Obj] | None] = {}  # None: the snapshot has no groups of the bridge
        self._compiled: dict[tuple[str, str], tuple[Test, ...]] = {}
        self.passes: dict[tuple[Any, ...], tuple[list[Event], list[Output]]] = {}
        self.anchors: dict[tuple[str, str, int], tuple[str, str]] = {}  # the trail's links to tables
        bstate = (state or {}).get("bridges") or {}
        for name, br in self.bridges.items():
            for port in br.get("ports") or []:
                for iface in port.get("interfaces") or []:
                    self.port_of[iface["name"]] = (name, port, iface)
            tables: dict[int, list[Obj]] = {}
            for flow in br.get("flows") or []:
                tables.setdefault(int(flow.get("table", 0)), []).append(flow)
            for flows in tables.values():
                flows.sort(key=lambda f: -int(f.get("priority", 32768)))
            self.tables[name] = tables
            groups = br.get("groups")
            self.groups[name] = {int(g["group_id"]): g for g in groups} if isinstance(groups, list) else None
            ifaces = (bstate.get(name) or {}).get("interfaces") or {}
            self.numbers[name] = {
                act.read(v, "ofport"): k
                for k, v in ifaces.items()
                if isinstance(v, dict) and isinstance(v.get("ofport"), int)
            }
            self.numbers[name][LOCAL_OFPORT] = name

    def tests(self, bridge: str, match: str) -> tuple[Test, ...]:
        """A flow's match, its in_port (LOCAL, a number) resolved to the interface name."""
        key = (bridge, match)
        if key not in self._compiled:
            self._compiled[key] = tuple(
                Test(t.field, self.port_name(bridge, str(t.value))) if t.field == "in_port" else t
                for t in parse_match(match)
            )
        return self._compiled[key]

    def port_name(self, bridge: str, text: str) -> str:
        text = text.strip().strip('"')
        if text == "LOCAL":
            return bridge
        if text.isdigit():
            return self.numbers.get(bridge, {}).get(int(text), text)
        return text


def flow_text(flow: Obj) -> str:
    """A flow as `ovs-ofctl --names --no-stats dump-flows` prints it (defaults left out, as it does)."""
    head = "" if flow.get("cookie") in (None, "0x0") else f"cookie={flow.get('cookie')}, "
    for key in ("table", "idle_timeout", "hard_timeout"):
        if flow.get(key):
            head += f"{key}={flow.get(key)}, "
    priority = flow.get("priority", DEFAULT_PRIORITY)
    match = ",".join(
        p for p in (f"priority={priority}" if priority != DEFAULT_PRIORITY else "", flow.get("match")) if p
    )
    return f"{head}{match + ' ' if match else ''}actions={flow.get('actions') or 'drop'}"
