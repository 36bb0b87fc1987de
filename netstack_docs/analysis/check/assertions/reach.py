"""`reach: {in, src, dst, proto, dport}` with `expect: allow|deny`, decided over whole spaces.

`src` and `dst` are prefixes (one, or a list), `proto` one protocol or a list, `dport` a port, a range
`"1000-2000"` or a list of those: together they are a space of packets (new connections), and the
reach engine sorts every packet of it into regions by what happens to it. `expect: deny` holds only
when no region gets through (delivered, forwarded, or sent out), `allow` only when every region
does. `dst: self` is every address of the namespace a packet arriving on `in` could be delivered to,
never 127.0.0.0/8 or ::1. A failure names the offending region and one counterexample packet with
its trace. A region whose fate depends on what the snapshot cannot decide (a BPF program, a set
filled at run time) makes the intent undetermined, never passed or failed by it; a region firm under
outcomes the user stated (`assume:`) says so.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any

from netstack_docs.analysis.check.assertions.base import AssertionKind, Context, Problems, finding
from netstack_docs.analysis.check.findings import FAIL, PASS, UNDETERMINED, ComponentRef, Finding, host_ref
from netstack_docs.analysis.check.hosts import Host, select_namespaces
from netstack_docs.analysis.check.intent import Intent

ALLOWED = ("delivered", "forwarded", "sent")
DENIED = ("dropped", "rejected")
PORTED = ("tcp", "udp")


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _shown(value: Any) -> str:
    return ",".join(str(v) for v in _items(value))


def describe(intent: Intent) -> str:
    s = intent.spec
    port = f"/{_shown(s['dport'])}" if s.get("dport") is not None else ""
    where = f" in via {s['in']}" if s.get("in") else ""
    return f"{_shown(s['proto'])}{port} from {_shown(s['src'])} to {_shown(s['dst'])}{where}: {intent.expect}"


def _ports(value: Any) -> list[tuple[int, int]]:
    out = []
    for item in _items(value):
        if isinstance(item, int) and not isinstance(item, bool):
            out.append((item, item))
        else:
            lo, _, hi = str(item).partition("-")
            out.append((int(lo), int(hi or lo)))
    return out


def _protos(spec: dict[str, Any], family: int) -> list[str]:
    out = []
    for p in _items(spec["proto"]):
        out.append("icmpv6" if p == "icmp" and family == 6 else str(p))
    return out


def query(spec: dict[str, Any], self_addrs: list[str]) -> tuple[Any, Any]:
    """(source space, destination space) of an intent: proto, ports and state ride on the source side."""
    from netstack_docs.analysis.reach.space import Space

    srcs = [str(s) for s in _items(spec["src"])]
    dsts = self_addrs if spec["dst"] == "self" else [str(d) for d in _items(spec["dst"])]
    src_space, dst_space = Space.empty(), Space.empty()
    for fam in (4, 6):
        mine = [s for s in srcs if ipaddress.ip_network(s, strict=False).version == fam]
        theirs = [d for d in dsts if ipaddress.ip_network(d, strict=False).version == fam]
        if not mine or not theirs:
            continue
        for proto in _protos(spec, fam):
            fields: dict[str, Any] = {"family": fam, "proto": proto, "saddr": mine, "state": "new"}
            if proto in PORTED and spec.get("dport") is not None:
                fields["dport"] = _ports(spec["dport"])
            src_space = src_space | Space.where(**fields)
        dst_space = dst_space | Space.where(family=fam, daddr=theirs)
    return src_space, dst_space


def _ref(step: Any) -> ComponentRef:
    if step is not None and step.component and step.layer:
        return ComponentRef(step.layer, step.component, step.what, step.host)
    return host_ref("reach")


def _say(region: Any) -> str:
    from netstack_docs.render.exposure import packet_words

    result = region.example_trace
    end = f" ({region.end})" if region.end else ""
    decided = result.decided_by
    why = f" by {decided.what}" if decided is not None and region.fate not in ("delivered", "depends") else ""
    stated = f" (under stated assumptions: {'; '.join(result.assumptions)})" if result.assumptions else ""
    unknowns = [u.what for u in result.unknowns if u.mattered] or list(region.depends_on)
    depends = f" (depends on: {'; '.join(unknowns)})" if region.fate == "depends" else ""
    return (
        f"{region.space.describe()}: {region.fate}{end}{why}{stated}{depends}; "
        f"e.g. {packet_words(region.example)}"
    )


Decision = tuple[str, str, ComponentRef, Any]  # status, actual, component, the region whose example is shown


def decide(expect: str, regions: list[Any]) -> Decision:
    """deny: no region gets through; allow: every region does; a `depends` region decides nothing."""
    if not regions:
        return (
            UNDETERMINED,
            "no packet to ask about: no address of that family here",
            host_ref("addresses"),
            None,
        )
    through = [r for r in regions if r.fate in ALLOWED]
    stopped = [r for r in regions if r.fate in DENIED]
    unknown = [r for r in regions if r.fate not in ALLOWED + DENIED]
    wrong = through if expect == "deny" else stopped
    if wrong:
        r = wrong[0]
        more = f" ({len(wrong) - 1} more region(s) like it)" if len(wrong) > 1 else ""
        return FAIL, f"counterexample region: {_say(r)}{more}", _ref(r.example_trace.decided_by), r
    if unknown:
        r = unknown[0]
        return UNDETERMINED, f"undetermined region: {_say(r)}", _ref(r.example_trace.decided_by), r
    r = regions[0]
    verb = "gets through" if expect == "allow" else "is stopped"
    return (
        PASS,
        f"every packet {verb} ({len(regions)} region(s)); e.g. {_say(r)}",
        _ref(r.example_trace.decided_by),
        r,
    )


def _flow(intent: Intent, ns_id: str, region: Any) -> dict[str, Any]:
    """The shown region's example packet as `netstack-docs trace` options (the site links /trace/)."""
    from netstack_docs.render.tracelink import region_flow

    flow = region_flow(intent.spec.get("in"), ns_id, region.example)
    if intent.assume:
        flow["assume"] = list(intent.assume)
    return flow


def regions_of(intent: Intent, host: Host, ns_id: str, ctx: Context) -> list[Any]:
    from netstack_docs.analysis.reach.engine import reach
    from netstack_docs.analysis.reach.selfaddr import self_addresses

    spec, fleet = intent.spec, ctx.fleet()
    ns_doc = fleet.host(host.env, host.slug).namespace(ns_id).doc
    src, dst = query(spec, self_addresses(ns_doc, spec.get("in")) if spec["dst"] == "self" else [])
    if src.is_empty() or dst.is_empty():
        return []
    ingress = spec.get("in")
    answer = reach(
        fleet,
        host.env,
        host.slug,
        ingress=ingress,
        from_local=ingress is None,
        netns=ns_id,
        src=src,
        dst=dst,
        assume=intent.assume,
    )
    return list(answer.regions)


def evaluate(intent: Intent, hosts: list[Host], ctx: Context) -> list[Finding]:
    from netstack_docs.analysis.trace import TraceInputError

    out = []
    for host in hosts:
        for ns in select_namespaces(host, intent.namespaces):
            try:
                status, actual, ref, shown = decide(
                    str(intent.expect), regions_of(intent, host, ns["id"], ctx)
                )
            except TraceInputError as exc:  # e.g. no interface `wan0` on this host: reach cannot run
                status, actual, ref, shown = UNDETERMINED, f"reach cannot run: {exc}", host_ref("reach"), None
            found = finding(intent, host, ns["id"], status, describe(intent), actual, ref)
            if shown is not None:
                steps = tuple(f"{s.layer}: {s.what}" for s in shown.example_trace.steps)
                found = replace(found, flow=_flow(intent, ns["id"], shown), trace=steps)
            out.append(found)
    return out


def validate(spec: dict[str, Any]) -> Problems:
    problems: Problems = []
    families: dict[str, set[int]] = {}
    for key in ("src", "dst"):
        families[key] = set()
        for item in _items(spec[key]):
            if key == "dst" and item == "self":
                if isinstance(spec[key], list):
                    problems.append(((key,), "`self` stands alone, not in a list"))
                families[key] = {4, 6}
                continue
            try:
                families[key].add(ipaddress.ip_network(str(item), strict=False).version)
            except ValueError:
                what = "a CIDR prefix or address" + (" or `self`" if key == "dst" else "")
                problems.append(((key,), f"{item!r} is not {what}"))
    if not problems and not families["src"] & families["dst"]:
        problems.append((("dst",), "src and dst are not the same address family"))
    protos = [str(p) for p in _items(spec["proto"])]
    if spec.get("dport") is None and all(p in PORTED for p in protos):
        problems.append(((), f"{'/'.join(protos)} needs dport"))
    if spec.get("dport") is not None:
        if not any(p in PORTED for p in protos):
            problems.append((("dport",), "icmp has no port"))
        try:
            if any(not 0 <= lo <= hi <= 65535 for lo, hi in _ports(spec["dport"])):
                raise ValueError
        except ValueError:
            problems.append((("dport",), f"{spec['dport']!r}: ports are 0-65535, ranges LOW-HIGH"))
    return problems


KIND = AssertionKind("reach", evaluate, describe, validate, needs_expect=True)
