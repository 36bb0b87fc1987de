"""What an nftables object *is*, apart from kernel handles and spelling: for capture, model, diagrams.

Handles are renumbered when an edited ruleset is reloaded (`nft -f` with `flush ruleset`), so a
rule is known by what it does: its text as nft prints it, without its comment (a comment edit
changes no packet's fate, and must not break a runbook's link to the rule).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_TRAILING_COMMENT = re.compile(r'\s+comment\s+"(?:[^"\\]|\\.)*"$')


def nft_rule_content(rule: Mapping[str, Any]) -> str:
    """The rule's text minus a trailing comment, or its canonical JSON expressions without a text."""
    text = rule.get("text")
    if text:
        return _TRAILING_COMMENT.sub("", text)
    exprs = [e for e in rule.get("expr") or [] if not (isinstance(e, dict) and set(e) == {"comment"})]
    return json.dumps(exprs, sort_keys=True, separators=(",", ":"))


def chain_devices(chain: Mapping[str, Any]) -> list[str]:
    """The devices a netdev/ingress base chain is on: `device` (one) or `devices` (a list of two or more)."""
    devices = chain.get("devices")
    if isinstance(devices, list):
        return [str(d) for d in devices]
    return [str(chain["device"])] if chain.get("device") else []


def xdp_programs(xdp: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """A link's XDP programs: one per mode in multi mode (`programs`), else the one program."""
    if not xdp:
        return []
    programs = xdp.get("programs")
    return list(programs) if isinstance(programs, list) else [xdp]
