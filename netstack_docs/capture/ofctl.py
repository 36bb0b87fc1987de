"""OpenFlow flows of one OVS bridge, from `ovs-ofctl --names dump-flows BRIDGE` (the only OpenFlow source).

OVSDB holds bridges and ports but not flows; those live in ovs-vswitchd, reachable only over
OpenFlow. `ovs-ofctl dump-flows` prints one flow per line:

    cookie=0x1234, duration=1.2s, table=3, n_packets=0, n_bytes=0, priority=10,ip actions=drop

A flow's configuration (table, priority, match, actions, cookie, timeouts, flags) is split from
its volatile counters (duration, packets, bytes, ages), which go to state. `--names` prints
port names instead of OpenFlow port numbers, which change when a port is re-added.
"""

from __future__ import annotations

import subprocess
from typing import Any

# Fields before the match that are settings of the flow, not part of what it matches.
SETTINGS = {"cookie": str, "table": int, "idle_timeout": int, "hard_timeout": int, "importance": int}
COUNTERS = {"duration", "n_packets", "n_bytes", "idle_age", "hard_age"}
FLAGS = {"send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts", "no_byte_counts"}
DEFAULT_PRIORITY = 32768
ALL_VERSIONS = ("OpenFlow10", "OpenFlow11", "OpenFlow12", "OpenFlow13", "OpenFlow14", "OpenFlow15")


def parse_flow(line: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(configuration, counters) of one dump-flows line; None for a line that is not a flow."""
    head, sep, actions = line.strip().partition(" actions=")
    if not sep and line.strip().startswith("actions="):
        head, actions = "", line.strip()[len("actions=") :]
    elif not sep:
        return None
    flow: dict[str, Any] = {"table": 0, "priority": DEFAULT_PRIORITY, "cookie": "0x0"}
    counters: dict[str, Any] = {}
    flags: list[str] = []
    match: list[str] = []
    for token in head.replace(", ", " ").split():
        for part in token.rstrip(",").split(","):
            key, eq, value = part.partition("=")
            if key in SETTINGS and eq and not match:
                flow[key] = SETTINGS[key](value)
            elif key in COUNTERS and eq:
                counters[key] = _number(value.rstrip("s"))
            elif key in FLAGS and not eq:
                flags.append(key)
            elif key == "priority" and eq:
                flow["priority"] = int(value)
            elif part:
                match.append(part)
    flow["match"] = ",".join(match)
    flow["actions"] = actions.strip()
    if flags:
        flow["flags"] = sorted(flags)
    return flow, counters


def _number(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def dump_flows(tool: str, bridge: str, protocols: list[str], timeout: float = 20.0,
               command: str = "dump-flows") -> str:
    """The raw dump of one bridge; OSError (tool or vswitchd unreachable) or ValueError (it failed)."""
    cmd = [tool, "--names"]
    if protocols and "OpenFlow10" not in protocols:  # speak a version the bridge accepts
        cmd += ["-O", ",".join(v for v in ALL_VERSIONS if v in protocols) or protocols[0]]
    try:
        proc = subprocess.run([*cmd, command, "--", bridge], capture_output=True, text=True,
                              timeout=timeout, errors="backslashreplace")
    except subprocess.TimeoutExpired:
        raise ValueError(f"ovs-ofctl {command} {bridge} did not answer within {timeout:g} s") from None
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        raise ValueError(lines[-1] if lines else f"ovs-ofctl exited with status {proc.returncode}")
    return proc.stdout


def flows_of(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Flows (configuration, sorted), their counters (state, keyed by the same identity), and how many
    flow lines could not be read (a table named instead of numbered, say): those are left out."""
    pairs, unread = [], 0
    for line in text.splitlines():
        try:
            pair = parse_flow(line)
        except ValueError:
            unread += 1
            continue
        if pair is not None:
            pairs.append(pair)
    pairs.sort(key=lambda p: (p[0]["table"], -p[0]["priority"], p[0]["match"], p[0]["actions"]))
    flows = [flow for flow, _ in pairs]
    counters = [{"table": f["table"], "priority": f["priority"], "match": f["match"], **c} for f, c in pairs]
    return flows, counters, unread


def _top_level(text: str) -> list[str]:
    """Comma-separated parts, commas inside parentheses kept (`fields(ip_src,ip_dst)`)."""
    parts, current, depth = [], "", 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current] if current else parts


def parse_group(line: str) -> dict[str, Any] | None:
    """One `ovs-ofctl dump-groups` line: group_id, type, its other settings (selection_method...) and its
    buckets, each with its actions and settings (weight, watch_port, bucket_id); None for a header line."""
    text = line.strip()
    if not text.startswith("group_id="):
        return None
    head, *buckets = text.split(",bucket=")
    group: dict[str, Any] = {"group_id": -1, "type": "", "buckets": []}
    settings: dict[str, str] = {}
    for part in _top_level(head):
        key, _, value = part.partition("=")
        if key == "group_id":
            group["group_id"] = int(value, 0)
        elif key == "type":
            group["type"] = value
        elif key:
            settings[key] = value
    if settings:
        group["settings"] = settings
    for bucket_text in buckets:
        params, sep, actions = bucket_text.partition("actions=")
        if not sep:
            params, actions = bucket_text, ""
        bucket: dict[str, Any] = {"actions": actions}
        for part in params.rstrip(",").split(","):
            key, _, value = part.partition(":")
            if key in ("weight", "bucket_id"):
                bucket[key] = int(value, 0)
            elif key in ("watch_port", "watch_group"):
                bucket[key] = value.strip('"')
        group["buckets"].append(bucket)
    if group["group_id"] < 0 or not group["type"]:
        raise ValueError(f"not a group: {text[:80]}")
    return group


def groups_of(text: str) -> tuple[list[dict[str, Any]], int]:
    """Groups (sorted by id) and how many lines could not be read."""
    groups, unread = [], 0
    for line in text.splitlines():
        try:
            group = parse_group(line)
        except ValueError:
            unread += 1
            continue
        if group is not None:
            groups.append(group)
    return sorted(groups, key=lambda g: g["group_id"]), unread
