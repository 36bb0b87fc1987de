"""Links to /trace/ (the browser trace, netstack_docs.browser) with a host chosen and a flow filled in.

The query carries `env`, `host` and `netstack-docs trace` options by name (`in`, `netns`, `src`,
`dport`, `assume` repeated...); every value is percent-encoded, so host strings cannot break the link.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from netstack_docs.analysis.trace.exposure import Cell, Row

EXPOSURE_SPORT = 40000  # the source port netstack_docs.analysis.trace.exposure gives its packets


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


def exposure_flow(row: Row, cell: Cell) -> dict[str, Any]:
    """The packet an exposure cell traced: a new connection from cell.src to the socket, in via row.ifname."""
    return {
        "in": row.ifname,
        "netns": row.netns,
        "src": cell.src,
        "dst": cell.dst,
        "proto": row.socket["protocol"],
        "sport": EXPOSURE_SPORT,
        "dport": row.socket["port"],
    }
