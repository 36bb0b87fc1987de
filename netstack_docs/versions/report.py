"""Print a Diff for a terminal (grouped by host, namespace and kind) or as JSON for tools.

Snapshot strings are untrusted here too: control characters (an ifname or an nft comment could
carry a terminal escape sequence) are shown escaped, never sent to the terminal raw.
"""

from __future__ import annotations

import json
import re
from typing import Any

from netstack_docs.versions.diff import Diff, FieldChange, HostDiff, NamespaceChange, ObjectChange

SIGN = {"added": "+", "removed": "-", "changed": "~"}
KIND_WORDS = {
    "link": "link", "addr": "address", "route": "route", "rule": "rule", "neigh": "neighbour",
    "fdb": "fdb entry", "qdisc": "qdisc", "class": "class", "filter": "filter", "nfttable": "nft table",
    "nftchain": "nft chain", "nftrule": "nft rule", "nftset": "nft set", "socket": "listening socket",
    "sysctl": "sysctl", "iptables": "iptables table", "prog": "BPF program", "daemon": "daemon",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe(text: str) -> str:
    """Terminal-safe: control characters as \\xNN."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def show_value(value: Any) -> str:
    """A field value as one short line: strings as they are, the rest as compact JSON, absent as (none)."""
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return safe(value) if value else '""'
    return safe(json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


def field_line(change: FieldChange) -> str:
    return f"{safe(change.field)}: {show_value(change.old)} -> {show_value(change.new)}"


def folded_text(obj: ObjectChange | NamespaceChange) -> str:
    """" (40 sysctls)": the settings that came or went with an added or removed object or namespace."""
    if not obj.folded:
        return ""
    count = len(obj.folded)
    return f" ({count} {KIND_WORDS['sysctl']}{'' if count == 1 else 's'})"


def _object_lines(obj: ObjectChange) -> list[str]:
    lines = [f"    {SIGN[obj.op]} {KIND_WORDS[obj.kind]} {safe(obj.name)}{folded_text(obj)}"]
    lines.extend(f"        {field_line(f)}" for f in obj.fields)
    return lines


def host_text(host: HostDiff) -> list[str]:
    title = f"{host.env}/{host.host}"
    if host.op in ("added", "removed"):
        return [f"{SIGN[host.op]} host {title} ({safe(host.hostname)}) {host.op}"]
    lines = [f"~ host {title} ({safe(host.hostname)})"]
    lines.extend(f"    ~ {field_line(f)}" for f in host.fields)
    for ns in host.namespaces:
        head = f"  {safe(ns.label)}"
        if ns.op in ("added", "removed"):
            head = f"  {SIGN[ns.op]} {safe(ns.label)} {ns.op}{folded_text(ns)}"
        elif ns.op == "changed":
            head = f"  ~ {safe(ns.label)}: " + "; ".join(field_line(f) for f in ns.fields)
        lines.append(head)
        for obj in ns.objects:
            lines.extend(_object_lines(obj))
    return lines


def to_text(diff: Diff) -> str:
    """Only what changed; an empty diff says so in one line."""
    changed = [h for h in diff.hosts if h.changed]
    if not changed:
        return f"no change ({len(diff.hosts)} host(s) compared)\n"
    lines = [line for h in changed for line in host_text(h)]
    return "\n".join(lines) + "\n"


def _field_json(f: FieldChange) -> dict[str, Any]:
    return {"field": f.field, "old": f.old, "new": f.new}


def to_json_data(diff: Diff) -> dict[str, Any]:
    hosts = []
    for h in diff.hosts:
        if not h.changed:
            continue
        hosts.append({
            "env": h.env, "host": h.host, "hostname": h.hostname, "op": h.op or "changed",
            "fields": [_field_json(f) for f in h.fields],
            "namespaces": [{
                "id": ns.id, "label": ns.label, "op": ns.op, "fields": [_field_json(f) for f in ns.fields],
                "folded": [{"kind": f.kind, "name": f.name} for f in ns.folded],
                "objects": [{
                    "kind": o.kind, "op": o.op, "namespace": o.namespace, "key": list(o.key), "name": o.name,
                    "fields": [_field_json(f) for f in o.fields],
                    "folded": [{"kind": f.kind, "name": f.name} for f in o.folded],
                } for o in ns.objects],
            } for ns in h.namespaces],
        })
    return {"identical": diff.identical, "hosts_compared": len(diff.hosts), "hosts": hosts}


def to_json(diff: Diff) -> str:
    return json.dumps(to_json_data(diff), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
