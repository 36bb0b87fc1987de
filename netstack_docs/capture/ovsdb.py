"""A minimal OVSDB client (RFC 7047) over the database's unix socket: `transact` with `select`s only.

The capture must run where only Python and pyroute2 are installed, so it does not use the `ovs`
Python IDL; it sends one JSON-RPC request and reads the reply. It never writes: every operation
it sends is a `select`. Values come back in OVSDB's JSON notation (`["set", [...]]`,
`["map", [[k, v], ...]]`, `["uuid", "..."]`) and are turned into plain Python values here.
"""

from __future__ import annotations

import json
import socket
from typing import Any

DB_SOCKET = "/run/openvswitch/db.sock"
DATABASE = "Open_vSwitch"


class OvsdbError(Exception):
    """The server answered with an error (not a connection problem: those are OSError)."""


def atom(value: Any) -> Any:
    """One OVSDB value as Python: sets become lists, maps dicts, uuids their string."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
        tag, body = value
        if tag == "set":
            return [atom(v) for v in body]
        if tag == "map":
            return {str(atom(k)): atom(v) for k, v in body}
        if tag in ("uuid", "named-uuid"):
            return body
    return value


def _receive(sock: socket.socket, limit: int) -> Any:
    decoder = json.JSONDecoder()
    buffer = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise OvsdbError("the server closed the connection before answering")
        buffer += chunk
        if len(buffer) > limit:
            raise OvsdbError(f"reply larger than {limit} bytes")
        try:
            reply, _end = decoder.raw_decode(buffer.decode("utf-8").lstrip())
        except (ValueError, UnicodeDecodeError):
            continue  # not complete yet
        return reply


def select(
    tables: dict[str, list[str]], path: str = DB_SOCKET, timeout: float = 5.0, limit: int = 64 << 20
) -> dict[str, list[dict[str, Any]]]:
    """Rows of each table (only the named columns, plus `_uuid`), in one read-only transaction."""
    names = sorted(tables)
    ops = [{"op": "select", "table": t, "where": [], "columns": ["_uuid", *tables[t]]} for t in names]
    request = {"method": "transact", "params": [DATABASE, *ops], "id": 1}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(json.dumps(request).encode())
        reply = _receive(sock, limit)
    if not isinstance(reply, dict) or reply.get("error") is not None:
        raise OvsdbError(f"transact failed: {reply.get('error') if isinstance(reply, dict) else reply!r}")
    results = reply.get("result") or []
    out: dict[str, list[dict[str, Any]]] = {}
    for i, name in enumerate(names):  # no zip(strict=): the capture runs on Python 3.9
        result = results[i] if i < len(results) else None
        if not isinstance(result, dict) or "error" in result:
            raise OvsdbError(f"select on {name} failed: {result!r}")
        out[name] = [{col: atom(v) for col, v in row.items()} for row in result.get("rows", [])]
    return out
