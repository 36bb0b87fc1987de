"""`netstack-docs diff --reach` output: the reachability changes as text (terminal-safe) or JSON."""

from __future__ import annotations

import json
from typing import Any

from netstack_docs.versions.report import KIND_WORDS, safe

VIEW_WORDS = {"host": "from any source", "outside": "from outside, through the uplink"}
OP_SIGNS = {"reachable": ("+", "became reachable"), "unreachable": ("-", "no longer reachable")}


def packet_text(example: dict[str, Any] | None) -> str:
    if not example:
        return ""
    ports = example.get("proto") in ("tcp", "udp")
    src, dst = str(example["src"]), str(example["dst"])
    src = (f"[{src}]" if ":" in src else src) + (f":{example['sport']}" if ports else "")
    dst = (f"[{dst}]" if ":" in dst else dst) + (f":{example['dport']}" if ports else "")
    return f"{example['proto']} {src} -> {dst}, {example.get('state', 'new')}"


def cause_text(obj: Any) -> str:
    return f"{obj.op} {KIND_WORDS.get(obj.kind, obj.kind)} {obj.name} [{obj.namespace}]"


def to_text(result: Any) -> str:
    if result.identical:
        worked = len(result.worked_out)
        return (
            f"No change in reachability ({len(result.hosts)} host(s) compared, {worked} worked out again).\n"
        )
    lines: list[str] = []
    current = None
    for c in result.changes:
        head = f"{c.env}/{c.host}"
        if head != current:
            lines.append(safe(head))
            current = head
        sign, words = OP_SIGNS[c.op]
        lines.append(
            safe(f"  {sign} {c.socket} in via {c.ifname} [{c.netns}], {VIEW_WORDS[c.view]}: {words}")
        )
        lines.append(safe(f"      packets: {c.description}"))
        if c.example:
            lines.append(safe(f"      e.g.:    {packet_text(c.example)}"))
        if c.causes:
            lines.append("      because:")
            lines += [safe(f"        {cause_text(o)}") for o in c.causes]
        else:
            lines.append(
                "      because: no configuration change on its path was found in this host's snapshot"
            )
    return "\n".join(lines) + "\n"


def to_json(result: Any) -> str:
    return json.dumps(result.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
