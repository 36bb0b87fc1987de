"""Read a kind's facts out of a snapshot object as (label, text) pairs; values stay untrusted text."""

from __future__ import annotations

import json
from typing import Any

from netstack_docs.model.matcher import lookup
from netstack_docs.model.model import Fact
from netstack_docs.model.nftvalue import nft_value
from netstack_docs.model.tcfacts import tc_actions, tc_options


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value) if isinstance(value, str | int | float) else json.dumps(value, sort_keys=True)


def _on_keys(value: Any) -> str:
    """Offload-style mappings ({feature: on/off or bool}): list what is on, count what is off."""
    if not isinstance(value, dict):
        return _text(value)
    on = [k for k, v in value.items() if v is True or v == "on"]
    off = len(value) - len(on)
    return ", ".join(on) + (f" ({off} off)" if off else "") if on else f"all off ({off})"


def _keys(value: Any) -> str:
    return ", ".join(str(k) for k in value) if isinstance(value, dict) else _text(value)


def _attachments(value: Any) -> str:
    """BPF attachments: `xdp on eth0 (root)`, one per entry."""
    if not isinstance(value, list):
        return _text(value)
    out = []
    for a in value:
        if not isinstance(a, dict):
            out.append(_text(a))
            continue
        text = str(a.get("kind") or "attached")
        if a.get("ifname"):
            text += f" on {a['ifname']}"
        if a.get("namespace"):
            text += f" ({a['namespace']})"
        if a.get("detail"):
            text += f": {a['detail']}"
        out.append(text)
    return "; ".join(out)


MAX_ELEMENTS = 50


def _elements(value: Any) -> str:
    """Set and map elements; big sets (blocklists) are cut, saying how many were left out."""
    if not isinstance(value, list):
        return _text(value)
    shown = ", ".join(nft_value(e) for e in value[:MAX_ELEMENTS])
    rest = len(value) - MAX_ELEMENTS
    return shown + (f" ... and {rest} more" if rest > 0 else "")


def _lines(value: Any) -> str:
    """Items that hold commas themselves (OpenFlow flows), `;`-separated; a long list is cut like a set's."""
    if not isinstance(value, list):
        return _text(value)
    rest = len(value) - MAX_ELEMENTS
    return "; ".join(_text(v) for v in value[:MAX_ELEMENTS]) + (f" ... and {rest} more" if rest > 0 else "")


def _range(value: Any) -> str:
    """`ip rule` ranges ({start, end}): `1000-2000`, or one number when both ends are equal."""
    if isinstance(value, dict) and {"start", "end"} <= value.keys():
        return str(value["start"]) if value["start"] == value["end"] else f"{value['start']}-{value['end']}"
    return _text(value)


_FORMATS = {
    "text": _text,
    "lines": _lines,
    "list": _text,
    "keys": _keys,
    "on-keys": _on_keys,
    "attachments": _attachments,
    "elements": _elements,
    "tc-options": tc_options,
    "actions": tc_actions,
    "range": _range,
}


def read_facts(facts: list[Fact], obj: Any) -> list[tuple[str, str]]:
    """The facts this object has, in model order; absent or empty values are left out, not shown blank."""
    out = []
    for fact in facts:
        value = lookup(obj, fact.path)
        if value is None or value == "" or value == [] or value == {}:
            continue
        out.append((fact.label, _FORMATS.get(fact.format, _text)(value)))
    return out
