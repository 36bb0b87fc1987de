"""The theme overrides of the generated site: Material's `main.html` extended, plus its stylesheet.

They join the theme through an MkDocs hook (hook.py), after a docs repository's own custom_dir.
`main.html` draws a host's own sidebar and breadcrumbs from the front matter that
netstack_docs.render.hostnav writes on host pages; `assets/netstack/reading.css` styles them and the
firewall listings. MkDocs copies every non-template file of the theme directory into the site.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

THEME_DIR = Path(__file__).resolve().parent
HOOK = THEME_DIR / "hook.py"


def with_overrides(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with the hook that adds these overrides after the repository's own custom_dir, if any."""
    hooks = [h for h in config.get("hooks") or [] if h != str(HOOK)]
    return {**config, "hooks": [*hooks, str(HOOK)]}
