"""tc units and handles: psched ticks to bytes like tc does, tc's handle spelling, and the generic fallback.

tc prints `rate 1Mbit burst 4Kb latency 400ms`; the kernel stores bytes/s and a buffer measured
in psched ticks (see /proc/net/psched). These helpers do the same arithmetic as iproute2's
tc_core.c so a reader can compare the snapshot with `tc -s qdisc show`. The kinds with their own
decoder live in tcqdiscs, tcfilters and tcactions; `generic_options` keeps what pyroute2 decodes
for any other kind, and the caller records a gap saying those values are unchecked.
"""

from __future__ import annotations

from functools import cache
from typing import Any

TIME_UNITS_PER_SEC = 1_000_000


@cache
def tick_in_usec() -> float:
    """iproute2 tc_core_init(): ticks per microsecond from /proc/net/psched (0 when unreadable)."""
    try:
        with open("/proc/net/psched") as fh:
            fields = [int(x, 16) for x in fh.read().split()[:3]]
    except (OSError, ValueError):
        return 0.0
    t2us, us2t, clock_res = fields
    if clock_res == 1_000_000_000:
        t2us = us2t
    return t2us / us2t * (clock_res / TIME_UNITS_PER_SEC) if us2t else 0.0


def ticks_to_usec(ticks: int) -> int | None:
    """tc_core_tick2time(): whole microseconds (truncated, as tc does)."""
    tick = tick_in_usec()
    return int(ticks / tick) if tick else None


def ticks_to_bytes(ticks: int, rate_bytes: int) -> int | None:
    """tc_calc_xmitsize(): bytes sent at `rate_bytes` during `ticks`, truncated like tc."""
    usec = ticks_to_usec(ticks)
    return None if usec is None else int(rate_bytes * usec / TIME_UNITS_PER_SEC)


def u32_handle(value: int) -> str:
    """u32 handles are htid:hash:node (`800::800`)."""
    htid, hsh, node = value >> 20, (value >> 12) & 0xFF, value & 0xFFF
    return f"{htid:x}:{hsh:x}:{node:x}".replace(":0:", "::").removesuffix(":0") if hsh == 0 or node == 0 \
        else f"{htid:x}:{hsh:x}:{node:x}"


def _plain(value: Any) -> Any:
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict) and "attrs" not in value:
        keep = [(str(k), v) for k, v in value.items() if not str(k).startswith("_") and "reserved" not in k]
        return {k: _plain(v) for k, v in keep}
    return None


def generic_options(kind: str | None, opts: Any) -> dict[str, Any]:
    """What pyroute2 decodes of a kind without a decoder here (unchecked against tc; the caller says so)."""
    if opts is None or not hasattr(opts, "get"):
        return {}
    out: dict[str, Any] = {}
    prefix = f"TCA_{(kind or '').upper()}_"
    for name, value in opts.get("attrs", []) if "attrs" in opts else []:
        if not isinstance(name, str) or name == "UNKNOWN":
            continue
        key = name[len(prefix):].lower() if name.startswith(prefix) else name.lower()
        plain = _plain(value)
        if plain is not None and key not in ("act", "police", "fd", "pcnt"):
            out[key] = plain
    if "attrs" not in opts:
        out.update({k: v for k, v in ((k, _plain(v)) for k, v in opts.items()) if v is not None})
    return out
