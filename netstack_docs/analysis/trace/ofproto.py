"""The OpenFlow pipeline of captured OVS bridges, walked the way `ovs-appctl ofproto/trace` walks it.

Tables by priority, resubmit/goto_table, NORMAL as OVS's learning switch with the ports' VLAN
configuration (without learned MACs, which are run-time state, it floods, as ofproto/trace says),
patch ports continue on the peer bridge with registers, metadata and tunnel fields cleared, tunnel
ports end encapsulated towards their remote_ip with the tunnel id. What a snapshot cannot decide
(ct with NAT, a controller, a group, bundle/multipath choices, a field or action not read here)
asks `choose` (the trace's fork mechanism). The result: every output (the walk's ends), and the
events that led to each, for the trail.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.analysis.trace import ofactions as act
from netstack_docs.analysis.trace import ofnormal
from netstack_docs.analysis.trace.ofmatch import CT_FLAGS, VLAN_CFI, Frame, Unevaluable, matches
from netstack_docs.analysis.trace.ofswitch import TUNNEL_TYPES, Event, Output, Switch, flow_text

__all__ = ["Event", "Output", "Switch", "flow_text", "run"]

Obj = dict[str, Any]
Choose = Callable[..., str]  # (key, what, outcomes, random=False) -> the outcome this walk takes
MAX_RESUBMITS = 64
MAX_KEPT = 4096  # pipeline passes kept per switch


@dataclass
class _Ctx:
    switch: Switch
    choose: Choose
    ct_next: int
    events: list[Event] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    depth: int = 0
    recirculated: list[tuple[str, Frame, int]] = field(default_factory=list)  # ct(table=N) clones
    stop: bool = False  # `exit`: the rest of this pipeline does not run
    halted: bool = False  # an unevaluable action: nothing more runs at all

    def note(self, bridge: str, what: str, flow: Obj | None = None, undetermined: bool = False) -> None:
        self.events.append(Event(bridge, what, flow, undetermined))

    def out(
        self, kind: str, bridge: str, port: str, frame: Frame, iface: Obj | None = None, why: str = ""
    ) -> None:
        self.outputs.append(Output(kind, bridge, port, dict(frame), len(self.events), iface or {}, why))

    def ask(self, bridge: str, key: str, what: str, outcomes: tuple[str, ...], random: bool = False) -> str:
        self.events.append(Event(bridge, what, choice=True))
        return self.choose(key, what, outcomes, random=random)

    def undetermined(self, bridge: str, what: str, frame: Frame) -> None:
        self.note(bridge, what, undetermined=True)
        self.out("undetermined", bridge, "", frame, why=what)
        self.halted = True


def run(
    switch: Switch, bridge: str, frame: Frame, choose: Choose, ct_next: str = "new"
) -> tuple[list[Event], list[Output]]:
    """Every output of `frame` entering `bridge` on port frame["in_port"], and the events on the way.
    `ct_next` is the conntrack state a ct() recirculation sees (the trace's --state). A pass that met no
    unknown is kept: the walks of a flood's copies re-run it with the same frame."""
    key = (bridge, tuple(sorted(frame.items())), ct_next)
    kept = switch.passes.get(key)
    if kept is not None:
        return kept
    asked: list[str] = []

    def ask(*args: Any, **kwargs: Any) -> str:
        asked.append(args[0])
        return choose(*args, **kwargs)

    state = {"established": "est"}.get(ct_next, ct_next)  # the trace's --state in ct_state's words
    ctx = _Ctx(switch, ask, CT_FLAGS["trk"] | CT_FLAGS[state])
    frame = dict(frame)
    _table(ctx, bridge, frame, 0, goto=True)
    while ctx.recirculated and not ctx.halted:  # as ofproto/trace: after the frame's own pass
        where, copy, table = ctx.recirculated.pop(0)
        ctx.depth, ctx.stop = 0, False
        ctx.note(where, f"{where}: the conntrack clone resumes at table {table}")
        _table(ctx, where, copy, table, goto=True)
    if not asked and len(switch.passes) < MAX_KEPT:
        switch.passes[key] = (ctx.events, ctx.outputs)
    return ctx.events, ctx.outputs


def _holds(ctx: _Ctx, bridge: str, table: int, flow: Obj, frame: Frame) -> bool:
    try:
        tests = ctx.switch.tests(bridge, str(flow.get("match") or ""))
    except Unevaluable as exc:
        what = f"{bridge} table {table} priority {flow.get('priority')}: {exc} is not read by trace"
        key = f"ofp:{bridge}/{table}/{flow.get('priority')}/{flow.get('match')}"
        return ctx.ask(bridge, key, what, ("nomatch", "match")) == "match"
    return matches(tests, frame)


def _present(ctx: _Ctx, bridge: str, table: int, flow: Obj) -> bool:
    """A flow with a timeout (one a learn() action or a controller added) is run-time state: it may have
    expired, or been replaced, since the capture. Other flows are configuration."""
    if not (flow.get("idle_timeout") or flow.get("hard_timeout")):
        return True
    what = (
        f"{bridge} table {table}: the flow {flow_text(flow)} expires (a learned or temporary flow); "
        "whether it is still there is run-time state"
    )
    key = f"ofp-expiry:{bridge}/{table}/{flow.get('priority')}/{flow.get('match')}"
    return ctx.ask(bridge, key, what, ("present", "expired")) == "present"


def _conjunctions(flow: Obj) -> list[tuple[int, int, int]] | None:
    """(id, k, n) of a flow whose actions are conjunction(id,k/n) (and notes), None for any other flow."""
    actions = act.parse_actions(str(flow.get("actions") or ""))
    if not actions or any(name not in ("conjunction", "note") for name, _ in actions):
        return None
    out = []
    for name, arg in actions:
        if name == "conjunction":
            ident, _, dim = arg.partition(",")
            k, _, n = dim.strip().partition("/")
            out.append((int(ident, 0), int(k), int(n)))
    return out


def _lookup(ctx: _Ctx, bridge: str, frame: Frame, table: int, soft: bool = True) -> Obj | None:
    """The flow a frame matches: the highest priority, where conjunctive flows whose every dimension
    matches (at a higher priority than the best plain flow) lead to their conj_id=ID flow (ovs-fields(7))."""
    found: dict[int, dict[int, dict[int, set[int]]]] = {}  # priority -> id -> n -> dimensions matched
    hard = None
    for flow in ctx.switch.tables.get(bridge, {}).get(table, []):
        conjunctions = _conjunctions(flow)
        if conjunctions is not None:
            if soft and _holds(ctx, bridge, table, flow, frame):
                for ident, k, n in conjunctions:
                    found.setdefault(int(flow.get("priority", 0)), {}).setdefault(ident, {}).setdefault(
                        n, set()
                    ).add(k)
            continue
        if _holds(ctx, bridge, table, flow, frame) and _present(ctx, bridge, table, flow):
            hard = flow
            break
    for priority in sorted(found, reverse=True):
        if hard is not None and priority <= int(hard.get("priority", 0)):
            break
        for ident, dims in sorted(found[priority].items()):
            if any(len(ks) == n for n, ks in dims.items()):
                target = _lookup(ctx, bridge, {**frame, "conj_id": ident}, table, soft=False)
                if target is not None:
                    ctx.note(
                        bridge,
                        f"{bridge} table {table}: every dimension of conjunction {ident} matches "
                        f"(priority {priority}): its conj_id={ident} flow decides",
                    )
                    return target
    return hard


def _table(ctx: _Ctx, bridge: str, frame: Frame, table: int, goto: bool) -> None:
    ctx.depth += 1
    if ctx.depth > MAX_RESUBMITS:
        ctx.undetermined(bridge, f"more than {MAX_RESUBMITS} resubmits: a loop?", frame)
        return
    flow = _lookup(ctx, bridge, frame, table)
    if flow is None:
        ctx.note(bridge, f"{bridge} table {table}: no flow matches" + (": dropped" if goto else ""))
    else:
        ctx.note(bridge, f"{bridge} table {table} priority {flow.get('priority')}: {flow_text(flow)}", flow)
        _actions(ctx, bridge, frame, act.parse_actions(str(flow.get("actions") or "")), table, flow)
    ctx.depth -= 1


def _actions(
    ctx: _Ctx, bridge: str, frame: Frame, actions: tuple[act.Action, ...], table: int, flow: Obj
) -> None:
    for name, arg in actions:
        if ctx.stop or ctx.halted:
            return
        try:
            _action(ctx, bridge, frame, name, arg, table, flow)
        except Unevaluable as exc:
            ctx.undetermined(
                bridge, f"{bridge}: action {name}:{arg} is not evaluated by trace ({exc})", frame
            )


def _action(ctx: _Ctx, bridge: str, frame: Frame, name: str, arg: str, table: int, flow: Obj) -> None:
    tci = act.read(frame, "vlan_tci")
    if name.isdigit() or name.startswith('"'):
        name, arg = "output", name
    if name == "output":
        port = arg.split("port=", 1)[-1].split(",")[0] if arg.startswith("port=") else arg  # output(port=P)
        _output(ctx, bridge, frame, port)
    elif name == "enqueue":  # enqueue:PORT:QUEUE, a queue of that port
        _output(ctx, bridge, frame, arg.rsplit(":", 1)[0])
    elif name == "resubmit":
        port, _, tab = arg.partition(",") if "," in arg else (arg, "", "")
        saved = frame.get("in_port")
        if port.strip():
            frame["in_port"] = ctx.switch.port_name(bridge, port)
        _table(ctx, bridge, frame, int(tab.split(",")[0]) if tab.strip() else table, goto=False)
        frame["in_port"] = saved
    elif name == "goto_table":
        _table(ctx, bridge, frame, int(arg), goto=True)  # the flow's last instruction
    elif name in ("mod_vlan_vid", "mod_vlan_pcp"):
        vid, pcp = (int(arg, 0), (tci >> 13) & 7) if name == "mod_vlan_vid" else (tci & 0xFFF, int(arg, 0))
        frame["vlan_tci"] = VLAN_CFI | (pcp << 13) | vid
    elif name in ("strip_vlan", "pop_vlan"):
        frame["vlan_tci"] = 0
    elif name == "push_vlan":
        if tci & VLAN_CFI:
            raise Unevaluable("a second VLAN header (QinQ)")
        frame["vlan_tci"] = VLAN_CFI
    elif name == "set_field":
        act.set_field(frame, arg)
    elif name == "load":
        act.load(frame, arg)
    elif name == "move":
        act.move(frame, arg)
    elif name in ("set_tunnel", "set_tunnel64"):
        frame["tun_id"] = int(arg, 0)
    elif name in (
        "mod_dl_src",
        "mod_dl_dst",
        "mod_nw_src",
        "mod_nw_dst",
        "mod_tp_src",
        "mod_tp_dst",
        "mod_nw_tos",
    ):
        act.set_field(frame, f"{arg}->{name[4:]}")
    elif name == "write_metadata":
        act.set_field(frame, f"{arg}->metadata")
    elif name == "dec_ttl":
        frame["nw_ttl"] = max(act.read(frame, "nw_ttl") - 1, 0)
    elif name in ("note", "set_queue", "pop_queue", "sample"):
        pass
    elif name == "learn":
        ctx.note(
            bridge,
            f"{bridge}: learn() adds flows for later frames; this frame is not changed by it "
            "(as ofproto/trace: its side effects are not applied)",
        )
    elif name == "exit":
        ctx.stop = True
    elif name == "clone":
        copy = dict(frame)
        _actions(ctx, bridge, copy, act.parse_actions(arg), table, flow)
        ctx.stop = False
    elif name == "ct":
        _ct(ctx, bridge, frame, arg)
    elif name == "controller":
        what = (
            f"{bridge}: a copy goes to the OpenFlow controller ({arg or 'packet-in'}); what it does with it"
        )
        if ctx.ask(bridge, f"ofp-controller:{bridge}", what, ("nothing", "packet-out")) == "packet-out":
            ctx.undetermined(bridge, f"{bridge}: the controller sends the frame out (in this walk)", frame)
    elif name == "bundle":
        _bundle(ctx, bridge, frame, arg)
    elif name == "group":
        _group(ctx, bridge, frame, arg, table, flow)
    elif name == "multipath":
        _multipath(ctx, bridge, frame, arg)
    elif name == "meter":
        what = f"{bridge}: meter {arg} limits a rate; whether this frame is over it is run-time state"
        if ctx.ask(bridge, f"ofp-meter:{bridge}/{arg}", what, ("under", "over")) == "over":
            ctx.note(bridge, f"{bridge}: meter {arg}: over its rate, dropped (in this walk)")
            ctx.halted = True
    else:
        raise Unevaluable(f"action {name}")


def _ct(ctx: _Ctx, bridge: str, frame: Frame, arg: str) -> None:
    """ct(): conntrack. With table=N the frame recirculates with ct_state from the trace's --state
    (ofproto/trace's --ct-next); NAT rewrites what only the run-time connection knows: a fork."""
    opts = act.split(arg)
    if any(o == "nat" or o.startswith("nat(") for o in opts):
        what = f"{bridge}: ct({arg}) NATs by the connection's run-time binding"
        ctx.ask(bridge, f"ofp-ct-nat:{bridge}", what, ("unknown",))
        ctx.undetermined(bridge, what, frame)
        return
    zone = next((o.split("=", 1)[1] for o in opts if o.startswith("zone=")), None)
    table = next((o.split("=", 1)[1] for o in opts if o.startswith("table=")), None)
    exec_actions = next((o[5:-1] for o in opts if o.startswith("exec(")), "")
    if table is None:
        ctx.note(
            bridge, f"{bridge}: ct({arg}): sent to conntrack, no recirculation; this frame goes on unchanged"
        )
        return
    copy = dict(frame)
    copy["ct_state"] = ctx.ct_next
    if zone is not None:
        try:
            copy["ct_zone"] = int(zone, 0)
        except ValueError:
            copy["ct_zone"] = act.read(frame, act.subfield(zone)[0])
    if exec_actions:
        _actions(ctx, bridge, copy, act.parse_actions(exec_actions), int(table), {})
    states = "|".join(k for k, v in CT_FLAGS.items() if v & ctx.ct_next)
    ctx.note(
        bridge,
        f"{bridge}: ct({arg}): a clone recirculates to table {table} with ct_state={states} (the "
        "trace's --state); this frame goes on untracked",
    )
    ctx.recirculated.append((bridge, copy, int(table)))
    for key in [k for k in frame if k.startswith("ct_")]:
        del frame[key]


def _bundle(ctx: _Ctx, bridge: str, frame: Frame, arg: str) -> None:
    members = arg.split("members:", 1)[-1] if "members:" in arg else arg.split("slaves:", 1)[-1]
    names = tuple(ctx.switch.port_name(bridge, m) for m in members.split(","))
    what = f"{bridge}: bundle() hashes the frame over {', '.join(names)}"
    picked = ctx.ask(bridge, f"ofp-bundle:{bridge}", what, names, random=True)
    _output(ctx, bridge, frame, picked)


def _group(ctx: _Ctx, bridge: str, frame: Frame, arg: str, table: int, flow: Obj) -> None:
    """group:N: `all` runs every bucket on its own copy, `indirect` its one bucket, `select` a bucket by a
    hash (random), `ff` the first bucket whose watched port is live (run-time state: a fork)."""
    groups = ctx.switch.groups.get(bridge)
    if groups is None:
        raise Unevaluable(f"group {arg}: the bridge's groups were not captured")
    group = groups.get(int(arg, 0))
    if group is None:
        ctx.note(bridge, f"{bridge}: group {arg} does not exist: nothing happens")
        return
    kind, buckets = str(group.get("type")), list(group.get("buckets") or [])
    labels = tuple(f"bucket {i}: {b.get('actions') or 'drop'}" for i, b in enumerate(buckets))
    if kind == "all":
        picked = list(range(len(buckets)))
    elif kind in ("select", "ff", "fast_failover") and buckets:
        live = [i for i, b in enumerate(buckets) if kind != "select" or b.get("weight", 1) != 0]
        what = (
            f"{bridge}: select group {arg} hashes the frame to one bucket"
            if kind == "select"
            else f"{bridge}: fast-failover group {arg} takes the first bucket whose port is live (run-time)"
        )
        choice = ctx.ask(
            bridge, f"ofp-group:{bridge}/{arg}", what, tuple(labels[i] for i in live), random=kind == "select"
        )
        picked = [labels.index(choice)]
    else:
        picked = list(range(len(buckets)))[:1]
    ctx.note(bridge, f"{bridge}: group {arg} ({kind}): " + "; ".join(labels[i] for i in picked))
    for i in picked:
        _actions(
            ctx, bridge, dict(frame), act.parse_actions(str(buckets[i].get("actions") or "")), table, flow
        )
        ctx.stop = False


def _multipath(ctx: _Ctx, bridge: str, frame: Frame, arg: str) -> None:
    """multipath(fields, basis, algorithm, n_links, arg, dst): a hash picks a link number into dst."""
    parts = act.split(arg)
    if len(parts) != 6 or not parts[3].strip().isdigit():
        raise Unevaluable(f"multipath({arg})")
    links = tuple(str(i) for i in range(int(parts[3])))
    what = f"{bridge}: multipath() hashes the frame to one of {len(links)} links"
    picked = ctx.ask(bridge, f"ofp-multipath:{bridge}", what, links, random=True)
    field, low, bits = act.subfield(parts[5])
    act.write(frame, field, int(picked), low, bits)


def _output(ctx: _Ctx, bridge: str, frame: Frame, arg: str) -> None:
    port = ctx.switch.port_name(bridge, arg)
    if port.startswith(("NXM_", "OXM_", "reg")):
        field, low, bits = act.subfield(port)
        number = (act.read(frame, field) >> low) & ((1 << bits) - 1)
        port = ctx.switch.port_name(bridge, str(number))
    if port == "NORMAL":
        _normal(ctx, bridge, frame)
    elif port in ("FLOOD", "ALL"):
        for name in sorted(ctx.switch.port_of):
            if ctx.switch.port_of[name][0] == bridge and name != frame.get("in_port"):
                _to_port(ctx, bridge, frame, name)
    elif port == "IN_PORT":
        _to_port(ctx, bridge, frame, str(frame.get("in_port")), allow_in_port=True)
    elif port == "LOCAL":
        _to_port(ctx, bridge, frame, bridge)
    elif port in ("CONTROLLER", "NONE"):
        if port == "CONTROLLER":
            _action(ctx, bridge, frame, "controller", "", 0, {})
    else:
        _to_port(ctx, bridge, frame, port)


def _to_port(ctx: _Ctx, bridge: str, frame: Frame, port: str, allow_in_port: bool = False) -> None:
    if port == frame.get("in_port") and not allow_in_port:
        ctx.note(bridge, f"{bridge}: output to {port} skipped: it is the input port")
        return
    found = ctx.switch.port_of.get(port)
    if found is None or found[0] != bridge:
        ctx.note(bridge, f"{bridge}: output to {port}: no such port on this bridge")
        return
    _, _, iface = found
    kind = str(iface.get("type") or "system")
    if kind == "patch":
        peer = str((iface.get("options") or {}).get("peer") or "")
        far = ctx.switch.port_of.get(peer)
        if far is None:
            ctx.note(bridge, f"{bridge}: patch port {port}: its peer {peer} is not on any bridge: dropped")
            return
        copy = {
            k: v
            for k, v in frame.items()
            if not (k.startswith(("reg", "xreg", "tun_", "ct_")) or k == "metadata")
        }
        copy["in_port"] = peer
        ctx.note(far[0], f"{bridge}: output to patch port {port}: continues on bridge {far[0]} from {peer}")
        _table(ctx, far[0], copy, 0, goto=True)
        return
    if kind in TUNNEL_TYPES:
        options = iface.get("options") or {}
        key = str(options.get("out_key") or options.get("key") or "0")
        out = dict(frame)
        if key != "flow":
            out["tun_id"] = int(key, 0) if key.strip().lstrip("-").isdigit() or key.startswith("0x") else 0
        remote = options.get("remote_ip")
        if remote == "flow":
            remote = str(ipaddress.ip_address(act.read(out, "tun_dst")))
        tun_id = act.read(out, "tun_id")
        ctx.note(
            bridge,
            f"{bridge}: output to {kind} port {port}: encapsulated with tunnel id {hex(tun_id)} "
            f"towards {remote}",
        )
        ctx.out("tunnel", bridge, port, out, iface)
        return
    ctx.note(bridge, f"{bridge}: output to {port}")
    ctx.out("port", bridge, port, frame, iface)


def _normal(ctx: _Ctx, bridge: str, frame: Frame) -> None:
    found = ctx.switch.port_of.get(str(frame.get("in_port")))
    if found is None or found[0] != bridge:
        ctx.note(bridge, f"{bridge}: NORMAL: no input port {frame.get('in_port')} on this bridge: dropped")
        return
    what, copies = ofnormal.flood(ctx.switch.bridges[bridge].get("ports") or [], found[1], frame)
    ctx.note(bridge, f"{bridge}: NORMAL: {what}")
    for port, out in copies:
        ifaces = port.get("interfaces") or []
        if len(ifaces) > 1:
            names = tuple(i["name"] for i in ifaces)
            what = f"{bridge}: bond {port['name']}: the member in use is run-time state"
            target = ctx.ask(bridge, f"ofp-bond:{port['name']}", what, names, random=True)
        elif ifaces:
            target = ifaces[0]["name"]
        else:
            continue
        _to_port(ctx, bridge, out, target)
