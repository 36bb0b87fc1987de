"""tc options and actions spelled the way `tc -s qdisc/filter show` prints them, from snapshot values.

The snapshot keeps tc's units as plain numbers (rates in bit/s, sizes in bytes, times in µs with
an `_us` key); a reader compares the page with the live `tc` output, so the page prints `rate
80Mbit burst 64Kb latency 50ms`, `delay 100ms loss 1%`, `mirred egress redirect dev ifb0 stolen`.
"""

from __future__ import annotations

import json
from typing import Any

RATE_KEYS = {"rate": "rate", "ceil": "ceil", "peak": "peakrate", "maxrate": "maxrate",
             "low_rate_threshold": "low_rate_threshold", "min_rate": "min_rate", "max_rate": "max_rate",
             "bandwidth": "bandwidth", "m1": "m1", "m2": "m2"}
SIZE_KEYS = {"burst", "cburst", "memory_limit", "memlimit", "mtu"}
# Snapshots store keys sorted; tc prints the shaping parameters first, in this order.
TC_ORDER = ("rate", "ceil", "peak", "burst", "cburst", "mtu", "latency_us", "delay_us", "jitter_us",
            "loss_pct", "limit")


def _rate(bits: float) -> str:
    """tc's spelling of a rate in bit/s: 80Mbit, 1.5Gbit, 800Kbit."""
    for unit, scale in (("Gbit", 1e9), ("Mbit", 1e6), ("Kbit", 1e3)):
        if bits >= scale:
            return f"{bits / scale:.4g}{unit}"
    return f"{bits:g}bit"


def tc_size(size: float) -> str:
    """tc's spelling of a size in bytes (its sprint_size): 64Kb, 2Mb, 1600b."""
    mib = round(size / 1048576)
    if size >= 1048576 and abs(mib * 1048576 - size) < 1024:
        return f"{mib}Mb"
    kib = round(size / 1024)
    if size >= 1024 and abs(kib * 1024 - size) < 16:
        return f"{kib}Kb"
    return f"{round(size)}b"


def _duration(usec: float) -> str:
    return f"{usec / 1e6:g}s" if usec >= 1e6 else f"{usec / 1e3:g}ms" if usec >= 1e3 else f"{usec:g}us"


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(_word(v) for v in value)
    if isinstance(value, dict):  # hfsc curves `rt m1 2Mbit d 10ms m2 1Mbit`, gact's random
        return " ".join(p for k, v in value.items() if (p := _pair(k, v)))
    return str(value) if isinstance(value, str | int | float) else json.dumps(value, sort_keys=True)


def _pair(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if value is True:
        return key  # flags: `ecn`, `skip_hw`, `terminal`
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if key in RATE_KEYS:
        if isinstance(value, list):
            return f"{RATE_KEYS[key]} {' '.join(_rate(v) for v in value)}"
        return f"{RATE_KEYS[key]} {_rate(value) if number else value}"
    if key in SIZE_KEYS and number:
        return f"{key} {tc_size(value)}"
    if key.endswith("_us") and number:
        return f"{key[:-3]} {_duration(value)}"
    if key.endswith("_s") and number:
        return f"{key[:-2]} {value}sec"
    if key.endswith("_pct") and number:
        return f"{key[:-4]} {value:g}%"
    if key == "keys" and isinstance(value, list):  # u32 keys as `tc -d filter show` prints them
        return " ".join(f"match {k.get('value')}/{k.get('mask')} at {k.get('off')}" for k in value
                        if isinstance(k, dict))
    return f"{key} {_word(value)}"


def tc_options(value: Any) -> str:
    """tc parameters the way `tc -s qdisc show` prints them: `rate 80Mbit burst 64Kb latency 50ms`."""
    if not isinstance(value, dict):
        return _word(value)
    first = [k for k in TC_ORDER if k in value]
    keys = first + [k for k in value if k not in first]
    return " ".join(p for k in keys if (p := _pair(k, value[k])))


def tc_actions(value: Any) -> str:
    """tc filter actions as tc names them: `mirred egress redirect dev ifb0 stolen; gact drop`."""
    if not isinstance(value, list):
        return _word(value)
    parts = []
    for a in value:
        if not isinstance(a, dict):
            parts.append(_word(a))
            continue
        words = [str(a.get("kind") or "?")]
        for key, v in a.items():
            if key == "kind" or v is None:
                continue
            words.append(str(v) if key in ("action", "then") else _pair(key, v) or "")
        parts.append(" ".join(w for w in words if w))
    return "; ".join(parts)
