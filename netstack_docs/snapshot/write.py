"""Write snapshots deterministically (sorted keys, stable layout) and atomically (never a half file).

The layout is exactly `json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\\n"`: one
scalar per line, so a one-line change on the host is a one-line diff. With `indent` set, the standard
library falls back to its pure-Python encoder (0.6 s of a 200-namespace capture); `dump_snapshot`
writes the same bytes faster: it hands each container to the C encoder, whose item separator
carries the newline and indentation, and indents only the brackets itself (see _Writer).
tests/capture/test_snapshot_write.py proves the bytes equal on every snapshot in the repository,
odd values and a sandbox capture. Standard library only, Python 3.9+ (the capture half uses it).
"""

from __future__ import annotations

import bisect
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

INDENT = " "
# Only a non-empty container needs its own lines: an empty one is `[]` or `{}` as the C encoder writes it
_CONTAINERS = (dict, list, tuple)
_PLACEHOLDER = 0  # stands in for a nested container while its parent goes through the C encoder


def dump_snapshot(doc: dict[str, Any]) -> str:
    """The snapshot as text: byte for byte `json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False)`
    plus a final newline."""
    return _Writer().text(doc, 0) + "\n"


def dump_reference(doc: dict[str, Any]) -> str:
    """The standard library's output, the definition of the format (tests compare against it)."""
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _c_encoder(item_separator: str) -> Callable[[Any], str]:
    """The standard library's C encoder, made once (json.dumps makes one per call), for sorted keys,
    no ASCII escaping and `item_separator`; its pure-Python twin where the C part is missing."""
    encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(item_separator, ": "))
    make = getattr(json.encoder, "c_make_encoder", None)  # None without the _json C module
    if make is None:
        return encoder.encode
    # the arguments JSONEncoder.iterencode passes, without the circular-reference markers
    c_encode = make(None, encoder.default, json.encoder.encode_basestring, None, ": ", item_separator,
                    True, False, True)
    return lambda o: "".join(c_encode(o, 0))


class _Writer:
    """Each container goes through the C encoder once, its nested containers replaced by a placeholder
    scalar; its item separator is `,` + newline + the indentation of its items. An encoded string never
    holds a raw newline, so splitting the body at that separator gives one piece per item, in the
    encoder's (sorted) order; the pieces of nested containers get their own text in place of the
    placeholder."""

    def __init__(self) -> None:
        self.encoders: dict[int, Any] = {}  # depth -> encoder for the items of a container at that depth

    def encoder(self, depth: int) -> Any:
        encode = self.encoders.get(depth)
        if encode is None:
            encode = self.encoders[depth] = _c_encoder(",\n" + INDENT * (depth + 1))
        return encode

    def text(self, o: Any, depth: int) -> str:
        if isinstance(o, dict):
            nested = [k for k, v in o.items() if v and isinstance(v, _CONTAINERS)]
            if nested:
                return self.container(o, depth, nested)
        elif isinstance(o, (list, tuple)):
            nested_at = [i for i, v in enumerate(o) if v and isinstance(v, _CONTAINERS)]
            if nested_at:
                return self.container(o, depth, nested_at)
        encoded: str = self.encoder(depth)(o)
        return self.indented(encoded, depth)

    @staticmethod
    def indented(encoded: str, depth: int) -> str:
        """`{a,<sep>b}` as the C encoder wrote it -> `{<newline+indent>a,<sep>b<newline+indent>}`."""
        if len(encoded) <= 2 or encoded[0] not in "{[":  # a scalar, {} or []
            return encoded
        return (encoded[0] + "\n" + INDENT * (depth + 1) + encoded[1:-1] + "\n" + INDENT * depth
                + encoded[-1])

    def container(self, o: Any, depth: int, nested: list[Any]) -> str:
        shallow: dict[Any, Any] | list[Any]
        if isinstance(o, dict):
            shallow = dict(o)
            for key in nested:
                shallow[key] = _PLACEHOLDER
            order = sorted(o)  # the encoder sorts the items by key: the same order
            positions = [(bisect.bisect_left(order, key), o[key]) for key in nested]
        else:
            shallow = list(o)
            for i in nested:
                shallow[i] = _PLACEHOLDER
            positions = [(i, o[i]) for i in nested]
        encoded: str = self.encoder(depth)(shallow)
        pieces = encoded[1:-1].split(",\n" + INDENT * (depth + 1))
        for i, value in positions:
            pieces[i] = pieces[i][:-1] + self.text(value, depth + 1)  # the piece ends in the placeholder
        body = (",\n" + INDENT * (depth + 1)).join(pieces)
        return encoded[0] + "\n" + INDENT * (depth + 1) + body + "\n" + INDENT * depth + encoded[-1]


def write_atomic(path: Path | str, text: str) -> None:
    """Write to a temporary file beside the target, fsync, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
