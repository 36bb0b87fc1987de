"""Which snapshots are stale: captured more than N days before the newest capture of the site.

A host that silently stopped being captured keeps its last snapshot; without a mark, its pages
look as current as the rest. The reference is the newest capture among the site's snapshots (the
date a published version is named after), not the clock of the machine that builds: the same
snapshots give the same site, whenever it is built.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

DEFAULT_STALE_AFTER_DAYS = 7
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Freshness:
    captured_on: str  # YYYY-MM-DD (UTC), as the pages show it
    newest_on: str  # the newest capture of the site, YYYY-MM-DD
    days_behind: int  # whole days between this capture and the newest one
    stale_after_days: int

    @property
    def stale(self) -> bool:
        return self.days_behind > self.stale_after_days


class CaptureTimeError(ValueError):
    """A capture time that is not ISO 8601; `key` says whose (the caller names the file)."""

    def __init__(self, key: Hashable, value: str):
        super().__init__(f"{value!r} is not an ISO 8601 date-time")
        self.key = key


def _parse(key: Hashable, captured_at: str) -> datetime:
    try:
        when = datetime.fromisoformat(str(captured_at).replace("Z", "+00:00"))
    except ValueError:
        raise CaptureTimeError(key, captured_at) from None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def assess(captured_at: Mapping[K, str], stale_after_days: int = DEFAULT_STALE_AFTER_DAYS
           ) -> dict[K, Freshness]:
    """Freshness of every snapshot, keyed like `captured_at` (ISO 8601 capture times)."""
    if not captured_at:
        return {}
    times = {key: _parse(key, value) for key, value in captured_at.items()}
    newest = max(times.values())
    newest_on = newest.date().isoformat()
    return {key: Freshness(when.date().isoformat(), newest_on, (newest - when).days, stale_after_days)
            for key, when in times.items()}
