"""`listening: {allow: [tcp/22, udp/53]}`: any other listener on a non-loopback address is a finding."""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.check.assertions.base import AssertionKind, Outcome, Problems, per_namespace
from netstack_docs.analysis.check.findings import FAIL, PASS, component, host_ref
from netstack_docs.analysis.check.hosts import Host, is_loopback
from netstack_docs.analysis.check.intent import Intent


def socket_label(sock: dict[str, Any]) -> str:
    address = sock["local_address"]
    shown = f"[{address}]" if ":" in address else address
    owner = f" ({sock['process']})" if sock.get("process") else ""
    return f"{sock['protocol']} {shown}:{sock['port']}{owner}"


def check(intent: Intent, host: Host, ns: dict[str, Any]) -> list[Outcome]:
    allowed = set(intent.spec["allow"])
    expected = "listeners only on " + (", ".join(sorted(allowed)) or "nothing") + " (besides loopback)"
    sockets = (ns.get("sockets") or {}).get("listening") or []
    out: list[Outcome] = []
    for sock in sockets:
        if is_loopback(sock["local_address"]) or f"{sock['protocol']}/{sock['port']}" in allowed:
            continue
        ref = component("socket", ns["id"], sock, socket_label(sock))
        out.append((FAIL, expected, f"also listening: {socket_label(sock)}", ref))
    if not out:
        seen = sorted(
            {f"{s['protocol']}/{s['port']}" for s in sockets if not is_loopback(s["local_address"])}
        )
        out.append((PASS, expected, "listening: " + (", ".join(seen) or "nothing"), host_ref("listeners")))
    return out


def validate(spec: dict[str, Any]) -> Problems:
    return [
        (("allow", i), f"port {entry.split('/')[1]} is out of range (0-65535)")
        for i, entry in enumerate(spec["allow"])
        if int(entry.split("/")[1]) > 65535
    ]


KIND = AssertionKind(
    "listening",
    per_namespace(check),
    lambda i: "only " + (", ".join(i.spec["allow"]) or "nothing") + " listen beyond loopback",
    validate,
)
