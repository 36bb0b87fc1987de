"""iptables-legacy rules of the current thread's namespace, when its legacy tables exist.

Run from the nftables collector. Only the legacy (x_tables) backend needs this: iptables-nft
rules already appear in the nftables ruleset. The kernel lists the legacy tables of the calling
thread's namespace in /proc/thread-self/net/ip_tables_names; a child forked from this thread
inherits that namespace, so `iptables-legacy-save` sees the right rules without `ip netns exec`.

Stored as doc["iptables"] = {table: {chain: {policy, rules: [text]}}}; IPv6 tables are keyed
`ip6:<table>` so that `filter` and `ip6:filter` can sit side by side.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

from netstack_docs.capture.context import NamespaceCapture

FAMILIES = (
    ("ip_tables_names", "iptables-legacy-save", ""),
    ("ip6_tables_names", "ip6tables-legacy-save", "ip6:"),
)
_COUNTERS = re.compile(r"^\[\d+:\d+\] ")
_POLICY = re.compile(r"^:(\S+) (\S+)")


def parse_save(text: str) -> dict[str, Any]:
    """`iptables-save` text -> {table: {chain: {policy, rules: [text]}}}, counters stripped."""
    tables: dict[str, Any] = {}
    chains: dict[str, Any] = {}
    for line in text.splitlines():
        if line.startswith("*"):
            chains = tables.setdefault(line[1:].strip(), {})
        elif m := _POLICY.match(line):
            chains[m.group(1)] = {"policy": None if m.group(2) == "-" else m.group(2), "rules": []}
        elif line.startswith("-A "):
            chain, _, rule = line[3:].partition(" ")
            chains.setdefault(chain, {"policy": None, "rules": []})["rules"].append(_COUNTERS.sub("", rule))
    return tables


def collect(ns: NamespaceCapture) -> None:
    found: dict[str, Any] = {}
    for names_file, tool, prefix in FAMILIES:
        try:
            with open(f"/proc/thread-self/net/{names_file}") as fh:
                names = fh.read().split()
        except FileNotFoundError:
            continue  # no legacy x_tables in this kernel
        except OSError as exc:
            ns.gap(f"{tool}", f"cannot read {names_file}: {exc.strerror}")
            continue
        if not names:
            continue
        path = shutil.which(tool)
        if path is None:
            ns.gap(f"{tool}", f"tables {', '.join(names)} exist but {tool} is not installed")
            continue
        # -M /bin/false: never let xtables modprobe anything (capture is observation only).
        try:
            proc = subprocess.run([path, "-M", "/bin/false"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            ns.gap(f"{tool}", f"{tool} failed: {exc}")
            continue
        if proc.returncode != 0:
            ns.gap(f"{tool}", f"{tool} exited {proc.returncode}: {proc.stderr.strip()[:200]}")
            continue
        for table, chains in parse_save(proc.stdout).items():
            found[prefix + table] = chains
    if found:
        ns.doc["iptables"] = found
