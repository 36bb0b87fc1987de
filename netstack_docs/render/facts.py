"""The plain facts shown about a host (tables on host and environment pages), read from its snapshot.

Values returned here are untrusted text: the templates escape them like any other value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Check:
    """A command a reader can run to look for themselves (shown in a fenced code block)."""

    title: str
    text: str


def _count(snapshot: dict[str, Any], key: str) -> int:
    return sum(len(ns.get(key) or []) for ns in snapshot["namespaces"])


def daemon_names(snapshot: dict[str, Any], running: bool = True) -> list[str]:
    """Daemons that run (and so manage something), or with `running=False` those only installed: stopped
    ones (running false) and configuration-only ones whose files exist (netplan, nftables.conf: null)."""
    return [d["name"] for d in snapshot.get("daemons") or [] if (d.get("running") is True) == running]


def left_out(snapshot: dict[str, Any]) -> list[str]:
    """The namespaces the capture counted but did not capture (isolated, excluded), one line per reason."""
    from netstack_docs.capture.leftout import summary  # pure: reads the snapshot's state

    return summary((snapshot.get("state") or {}).get("namespaces_left_out") or [])


def host_facts(view: Any) -> list[tuple[str, object]]:
    snap = view.snapshot
    host, meta = snap["host"], snap["meta"]
    namespaces = (
        [ns.label for ns in view.namespaces]
        if getattr(view, "namespaces", None)
        else [ns["id"] for ns in snap["namespaces"]]
    )
    return [
        ("Hostname", host["hostname"]),
        ("Environment", host["env"]),
        ("Role", host.get("role") or "not set"),
        ("Kernel", host["kernel"]),
        ("OS", host.get("os") or "unknown"),
        ("Machine", host.get("machine") or "unknown"),
        (f"Network namespaces ({len(namespaces)})", ", ".join(namespaces)),
        *([("Namespaces not captured", "; ".join(lines))] if (lines := left_out(snap)) else []),
        ("Interfaces (all namespaces)", _count(snap, "links")),
        ("Addresses", _count(snap, "addresses")),
        ("Routes", _count(snap, "routes")),
        ("eBPF programs", len(snap["bpf"]["programs"])),
        ("Network daemons running", ", ".join(daemon_names(snap)) or "none found"),
        *([("Installed, not running", ", ".join(idle))] if (idle := daemon_names(snap, False)) else []),
        ("Captured at", meta["captured_at"]),
        ("Captured by", f"netstack-docs {meta['tool_version']}"),
    ]


def host_gaps(view: Any) -> list[tuple[str, str, str, str | None]]:
    """Every capture gap, host-wide and per namespace, as (where, what, reason, layer slug or None)."""
    return [
        (g.namespace.label if g.namespace else "whole host", g.what, g.reason, g.layer) for g in view.gaps
    ]


def env_row(host: Any) -> dict[str, Any]:
    snap = host.view.snapshot
    components = sum(len(lv.components) for lv in host.view.layers.values())
    return {
        "host": host,
        "role": snap["host"].get("role") or "not set",
        "kernel": snap["host"]["kernel"],
        "os": snap["host"].get("os") or "unknown",
        "namespaces": len(snap["namespaces"]),
        "links": _count(snap, "links"),
        "components": components,
        "daemons": daemon_names(snap),
        "installed": daemon_names(snap, running=False),
    }


def layer_checks(layer: Any) -> list[Check]:
    """The layer's own commands for an empty page: how to check the live host yourself."""
    commands = list(getattr(layer, "check_commands", None) or [])
    return (
        [
            Check(
                "Run as root; to look inside a named namespace, put ip netns exec NAME in front",
                "\n".join(commands),
            )
        ]
        if commands
        else []
    )
