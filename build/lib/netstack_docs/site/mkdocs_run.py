"""Run a strict MkDocs build in-process into a fresh directory, then swap it in place of the old site.

In-process (mkdocs.commands.build) rather than a subprocess: it saves the interpreter start and the
imports of mkdocs, material and pygments on every build, and lets us collect MkDocs' warnings to
name them in the error. Strict mode turns every warning (a dangling link or anchor) into a failure.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from netstack_docs.errors import UserError

MARKER = ".netstack-docs-site"  # written into every built site; an unmarked non-empty dir is never replaced


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname}: {record.getMessage()}")


class _PageTicks(logging.Handler):
    """Progress through MkDocs' own per-page debug records: each page is read, then built."""

    def __init__(self, progress: Callable[[str, int, int], None], pages: int) -> None:
        super().__init__(logging.DEBUG)
        self.progress, self.total, self.done = progress, 2 * pages, 0

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str) and record.msg.startswith(("Reading: ", "Building page ")):
            self.done += 1
            if self.done % 50 == 0 or self.done == self.total:
                self.progress("mkdocs", min(self.done, self.total), self.total)


def run_mkdocs(
    config_file: Path, progress: Callable[[str, int, int], None] | None = None, pages: int = 0
) -> None:
    """Build the site described by `config_file`; any MkDocs warning raises UserError listing them."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # material's banner about MkDocs 2.0 on stderr
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    logger = logging.getLogger("mkdocs")
    collect = _Collect()
    saved_level, saved_propagate = logger.level, logger.propagate
    logger.addHandler(collect)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    build_logger = logging.getLogger("mkdocs.commands.build")
    ticks = _PageTicks(progress, pages) if progress and pages else None
    if ticks:
        build_logger.addHandler(ticks)
        build_logger.setLevel(logging.DEBUG)
    try:
        config = load_config(config_file=str(config_file), strict=True)
        build(config)
    except MkDocsException as exc:
        details = "\n  ".join(collect.messages[:20]) or str(exc)
        more = f"\n  ... and {len(collect.messages) - 20} more" if len(collect.messages) > 20 else ""
        raise UserError(f"the strict MkDocs build failed ({exc}):\n  {details}{more}") from None
    finally:
        if ticks:
            build_logger.removeHandler(ticks)
            build_logger.setLevel(logging.NOTSET)
        logger.removeHandler(collect)
        logger.setLevel(saved_level)
        logger.propagate = saved_propagate


def check_site_dir(site_dir: Path) -> None:
    """Refuse to replace a directory that is not a site we built (e.g. `--site docs` by mistake)."""
    if site_dir.exists() and (
        not site_dir.is_dir() or (any(site_dir.iterdir()) and not (site_dir / MARKER).exists())
    ):
        raise UserError(
            f"{site_dir}: exists and is not a site built by netstack-docs (no {MARKER}); "
            "refusing to replace it: choose another --site or remove it yourself"
        )


def staging_dirs(site_dir: Path) -> tuple[Path, Path]:
    """The new site is built next to the old one (same filesystem, so the swap is two renames)."""
    parent, name = site_dir.parent, site_dir.name
    return parent / f".{name}.new", parent / f".{name}.old"


def swap_in(new: Path, site_dir: Path) -> None:
    """Rename the old site away, the new one in, then delete the old one."""
    (new / MARKER).write_text("Built by netstack-docs; `netstack-docs build` replaces this directory.\n")
    _, old = staging_dirs(site_dir)
    if old.exists():
        shutil.rmtree(old)
    if site_dir.exists():
        site_dir.rename(old)
    new.rename(site_dir)
    if old.exists():
        shutil.rmtree(old)
