"""Turn command templates into commands to paste: real names, shell-quoted, run in the right namespace.

Every value comes from a snapshot and is untrusted (`a|b`, `$(reboot)`), so each one is passed
through shlex.quote as a single word. The wrapping depends on where the object lives:

- root namespace: the command as is;
- named netns: `ip -n NAME`, `tc -n NAME`, `bridge -n NAME` for tools with a namespace flag,
  `ip netns exec NAME CMD` for the rest (nft, ss, ethtool, sysctl, bpftool, ...);
- Docker and /proc-only namespaces (invisible to `ip netns`): `nsenter --net=PATH CMD`;
- host-wide commands (`bpftool prog show`, `systemctl status`) are never wrapped.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from netstack_docs.model.matcher import lookup
from netstack_docs.model.model import PLACEHOLDER, CommandTemplate
from netstack_docs.model.namespaces import NamespaceRef

NETNS_FLAG_TOOLS = frozenset({"ip", "tc", "bridge"})


@dataclass(frozen=True)
class Command:
    title: str
    text: str  # shell text, safe to paste: every snapshot value is quoted


def fill(template: str, obj: Any) -> str | None:
    """The template with each {field} replaced by the quoted value; None when a field has no value."""
    missing = False

    def value(m: Any) -> str:
        nonlocal missing
        v = lookup(obj, m.group(1))
        if v is None or v == "" or isinstance(v, dict | list):
            missing = True
            return ""
        return shlex.quote(str(v))

    text = PLACEHOLDER.sub(value, template)
    return None if missing else text


def wrap(text: str, tool: str, ns: NamespaceRef) -> str:
    """`text` (a command for `tool`) made to run inside namespace `ns`."""
    if ns.kind in ("root", "host"):
        return text
    if ns.kind == "named":
        name = shlex.quote(ns.name)
        if tool in NETNS_FLAG_TOOLS and text.startswith(tool + " "):
            return f"{tool} -n {name} {text[len(tool) + 1 :]}"
        return f"ip netns exec {name} {text}"
    if ns.path is None:
        raise ValueError(f"namespace {ns.id!r} has no path to enter it by")
    return f"nsenter --net={shlex.quote(ns.path)} {text}"


def render_commands(templates: list[CommandTemplate], obj: Any, ns: NamespaceRef) -> list[Command]:
    """The commands of one component; templates whose fields this object lacks are left out."""
    out = []
    for t in templates:
        text = fill(t.template, obj)
        if text is None:
            continue
        if not t.host_wide and ns.path is None and ns.kind in ("docker", "proc"):
            continue  # cannot be entered: no path was captured
        out.append(Command(t.title, text if t.host_wide else wrap(text, t.tool, ns)))
    return out
