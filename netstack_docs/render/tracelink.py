"""Links to /trace/ (the browser trace, netstack_docs.browser) with a host chosen and a flow filled in.

The query carries `env`, `host` and `netstack-docs trace` options by name (`in`, `netns`, `src`,
`dport`, `assume` repeated...); every value is percent-encoded, so host strings cannot break the link.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode


def trace_query(env: str, host: str, flow: Mapping[str, Any] | None = None) -> str:
    pairs: list[tuple[str, str]] = [("env", env), ("host", host)]
    for name, value in (flow or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs += [(name, str(v)) for v in values if v is not None]
    return urlencode(pairs, quote_via=quote, safe="")


def served_trace_href(page_path: str, env: str, host: str, flow: Mapping[str, Any] | None = None) -> str:
    """The same link for raw HTML (MkDocs rewrites no `.md` link there): served directory URLs."""
    here = page_path.removesuffix(".md").removesuffix("index").rstrip("/")  # the page's served directory
    return posixpath.relpath("trace", here or ".") + "/?" + trace_query(env, host, flow)


def region_flow(ifname: str | None, netns: str | None, packet: Any) -> dict[str, Any]:
    """A region's example packet as trace options: in via `ifname` (None: from a local process)."""
    if packet is None:
        return {}
    flow = {
        "in": ifname,
        "from-local": None if ifname else True,
        "netns": netns,
        "src": packet.src,
        "dst": packet.dst,
        "proto": packet.proto,
        "sport": packet.sport if packet.proto in ("tcp", "udp") else None,
        "dport": packet.dport if packet.proto in ("tcp", "udp") else None,
        "state": packet.state,
        "mark": packet.mark or None,
    }
    return {k: v for k, v in flow.items() if v is not None}
