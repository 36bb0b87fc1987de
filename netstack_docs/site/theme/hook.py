"""MkDocs hook (added to `hooks` by netstack_docs.site.theme): put these overrides among the theme's dirs.

A hook rather than `theme.custom_dir`, so that a docs repository keeps its own custom_dir: its
templates still come first, ours right after them, Material's last.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

THEME_DIR = str(Path(__file__).resolve().parent)


def on_config(config: Any) -> Any:
    dirs = config.theme.dirs
    if THEME_DIR not in dirs:
        dirs.insert(1 if config.theme.custom_dir else 0, THEME_DIR)
    return config
