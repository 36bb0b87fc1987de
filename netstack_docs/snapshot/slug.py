"""The slug rule (the schema's pattern) for environment and host names, with the standard library only.

It lives apart from load.py so the capture half (and the single-file bundle, which carries no
jsonschema) checks names against the very pattern the schema enforces later.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any


@cache
def schema() -> dict[str, Any]:
    text = resources.files("netstack_docs.snapshot").joinpath("snapshot.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


@cache
def _slug_pattern() -> re.Pattern[str]:
    return re.compile(schema()["$defs"]["slug"]["pattern"])


def is_slug(value: str) -> bool:
    """Whether `value` can be an environment or host name in URLs (the schema's slug pattern)."""
    return bool(_slug_pattern().match(value))


def make_slug(name: str) -> str:
    """A host name as a slug: short name (before the first dot), lowercase, other characters '-'."""
    short = name.split(".", 1)[0].lower()
    return re.sub(r"[^a-z0-9-]+", "-", short).strip("-")
