"""The theme overrides of the generated site: Material's `main.html` extended, plus its stylesheet.

`main.html` draws a host's own sidebar and breadcrumbs from the front matter that
netstack_docs.render.hostnav writes on host pages; `assets/netstack/reading.css` styles them and the
firewall listings. MkDocs copies every non-template file of the theme directory into the site.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

THEME_DIR = Path(__file__).resolve().parent


def with_overrides(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with theme.custom_dir pointing at these overrides (unless the config names its own)."""
    theme = config.get("theme") or {}
    theme = {"name": theme} if isinstance(theme, str) else dict(theme)
    theme.setdefault("custom_dir", str(THEME_DIR))
    return {**config, "theme": theme}
