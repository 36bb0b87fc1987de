"""`reach: {in, src, dst, proto, dport}` with `expect: allow|deny`, decided by trace.

A prefix source is traced from a few representative addresses (trace picks the first and last
address and every boundary the host's own rules draw inside it), `dst: self` means every local
address of the namespace the packet arrives in. An undetermined verdict (trace's forks disagree) is
never a pass: it is reported as undetermined with what split it. A verdict firm under unknowns that
did not matter is decided; one firm under outcomes the user stated (`assume:`) says so.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any

from netstack_docs.analysis.check.assertions.base import AssertionKind, Context, Problems, finding
from netstack_docs.analysis.check.findings import FAIL, PASS, UNDETERMINED, ComponentRef, Finding, host_ref
from netstack_docs.analysis.check.hosts import Host, select_namespaces
from netstack_docs.analysis.check.intent import Intent

ALLOWED = ("delivered", "forwarded")
DENIED = ("dropped", "rejected")


def describe(intent: Intent) -> str:
    s = intent.spec
    port = f"/{s['dport']}" if s.get("dport") is not None else ""
    where = f" in via {s['in']}" if s.get("in") else ""
    return f"{s['proto']}{port} from {s['src']} to {s['dst']}{where}: {intent.expect}"


def _proto(spec: dict[str, Any]) -> str:
    if spec["proto"] == "icmp" and ":" in spec["src"]:
        return "icmpv6"
    return str(spec["proto"])


def _outcome(result: Any) -> str:
    """allowed | denied | unproven, for one trace result."""
    if result.verdict == "undetermined":
        return "unproven"
    return "allowed" if result.verdict in ALLOWED else "denied"


def _ref(result: Any) -> ComponentRef:
    step = result.decided_by
    if step is not None and step.component and step.layer:
        return ComponentRef(step.layer, step.component, step.what, step.host)
    return host_ref(result.verdict)


def _say(src: str, dst: str, result: Any) -> str:
    why = f" by {result.decided_by.what}" if result.decided_by is not None else ""
    stated = f" (under stated assumptions: {'; '.join(result.assumptions)})" if result.assumptions else ""
    split = [u.what for u in result.unknowns if u.mattered]
    depends = f" (depends on: {'; '.join(split)})" if split else ""
    return f"{src} -> {dst}: {result.verdict}{why}{stated}{depends}"


def _traces(intent: Intent, host: Host, ns_id: str, ctx: Context) -> list[tuple[str, str, Any]]:
    """(source, destination, TraceResult) for every representative source and destination."""
    from netstack_docs.analysis.trace import Packet, representative_sources, trace, trace_to_local

    spec, fleet = intent.spec, ctx.fleet()
    out = []
    for src in representative_sources(spec["src"], fleet, host.env, host.slug):
        common = {"ingress": spec.get("in"), "netns": ns_id, "assume": intent.assume}
        if spec["dst"] == "self":
            results = trace_to_local(
                fleet,
                host.env,
                host.slug,
                proto=_proto(spec),
                dport=spec.get("dport"),
                src=src,
                state="new",
                **common,
            )
            out += [(src, dst, r) for dst, r in sorted(results.items())]
        else:
            packet = Packet(
                src=src, dst=spec["dst"], proto=_proto(spec), dport=spec.get("dport"), state="new"
            )
            out.append((src, spec["dst"], trace(fleet, host.env, host.slug, packet, **common)))
    return out


# status, actual, component, and the (src, dst) whose trace `actual` shows
Decision = tuple[str, str, ComponentRef, tuple[str, str] | None]


def _decide(intent: Intent, traces: list[tuple[str, str, Any]]) -> Decision:
    if not traces:
        return UNDETERMINED, "nothing to trace: no local address of that family", host_ref("addresses"), None
    outcomes = [(_outcome(r), src, dst, r) for src, dst, r in traces]
    allowed = [o for o in outcomes if o[0] == "allowed"]
    unproven = [o for o in outcomes if o[0] == "unproven"]
    if intent.expect == "deny":
        if allowed:
            _, src, dst, r = allowed[0]
            return FAIL, _say(src, dst, r), _ref(r), (src, dst)
        if unproven:
            _, src, dst, r = unproven[0]
            return UNDETERMINED, _say(src, dst, r), _ref(r), (src, dst)
        _, src, dst, r = outcomes[0]
        return PASS, f"{len(outcomes)} trace(s) denied; e.g. {_say(src, dst, r)}", _ref(r), (src, dst)
    sources = sorted({src for _, src, _, _ in outcomes})
    for src in sources:  # allow: every representative source reaches at least one destination
        mine = [o for o in outcomes if o[1] == src]
        if not any(o[0] == "allowed" for o in mine):
            _, _, dst, r = next((o for o in mine if o[0] == "unproven"), mine[0])
            status = UNDETERMINED if any(o[0] == "unproven" for o in mine) else FAIL
            return status, _say(src, dst, r), _ref(r), (src, dst)
    _, src, dst, r = allowed[0]
    return PASS, f"{len(allowed)} trace(s) reach; e.g. {_say(src, dst, r)}", _ref(r), (src, dst)


def _flow(intent: Intent, ns_id: str, shown: tuple[str, str]) -> dict[str, Any]:
    """The trace `actual` names, as `netstack-docs trace` options (the site links it to /trace/)."""
    s = intent.spec
    flow = {"in": s.get("in"), "netns": ns_id, "src": shown[0], "dst": shown[1], "proto": _proto(s),
            "dport": s.get("dport"), "state": "new", "assume": list(intent.assume)}
    return {k: v for k, v in flow.items() if v not in (None, [])}


def evaluate(intent: Intent, hosts: list[Host], ctx: Context) -> list[Finding]:
    from netstack_docs.analysis.trace import TraceInputError

    out = []
    for host in hosts:
        for ns in select_namespaces(host, intent.namespaces):
            try:
                status, actual, ref, shown = _decide(intent, _traces(intent, host, ns["id"], ctx))
            except TraceInputError as exc:  # e.g. no interface `wan0` on this host: trace cannot run
                status, actual, ref, shown = UNDETERMINED, f"trace cannot run: {exc}", host_ref("trace"), None
            found = finding(intent, host, ns["id"], status, describe(intent), actual, ref)
            out.append(replace(found, flow=_flow(intent, ns["id"], shown)) if shown else found)
    return out


def validate(spec: dict[str, Any]) -> Problems:
    problems: Problems = []
    try:
        src = ipaddress.ip_network(spec["src"], strict=False)
    except ValueError:
        return [(("src",), f"{spec['src']!r} is not a CIDR prefix or address")]
    if spec["dst"] != "self":
        try:
            dst = ipaddress.ip_address(spec["dst"])
        except ValueError:
            problems.append((("dst",), f"{spec['dst']!r} is not an IP address or `self`"))
        else:
            if dst.version != src.version:
                problems.append((("dst",), "src and dst are not the same address family"))
    if spec["proto"] in ("tcp", "udp") and spec.get("dport") is None:
        problems.append(((), f"{spec['proto']} needs dport"))
    if spec["proto"] == "icmp" and spec.get("dport") is not None:
        problems.append((("dport",), "icmp has no port"))
    return problems


KIND = AssertionKind("reach", evaluate, describe, validate, needs_expect=True)
