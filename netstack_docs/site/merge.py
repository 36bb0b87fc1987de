"""Merge a docs repository's mkdocs.yml over the tool's base configuration, once, at the edge.

The team owns the look and its own pages (site name, URLs, palette, logo, extra CSS/JS, plugins,
Markdown extensions, a nav for its own pages); the tool owns what the generated site depends on
(where pages are, strict link checking, the URL contract). A setting that would break the generated
site is refused with the key, its line and the reason, never silently dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netstack_docs.errors import UserError
from netstack_docs.site.userconfig import UserConfig

# Keys the build decides; each with the reason a team cannot set it.
REFUSED = {
    "docs_dir": "the build assembles docs/ with the generated pages in a directory of its own; "
    "keep your pages in docs/ next to mkdocs.yml",
    "site_dir": "use `netstack-docs build --site DIR`",
    "use_directory_urls": "the URLs /<env>/<host>/<layer>/ are a contract runbooks link to",
    "strict": "the build is always strict: a dangling link or anchor in a runbook must fail it",
    "validation": "link and anchor validation is the runbook authors' safety net",
    "not_in_nav": "host pages are kept out of the navigation by the build",
    "INHERIT": "the tool's base configuration is merged by `netstack-docs build`, not inherited",
}
# Plain values a team sets as it likes.
SCALARS = {
    "site_name",
    "site_description",
    "site_author",
    "site_url",
    "repo_url",
    "repo_name",
    "edit_uri",
    "copyright",
    "remote_branch",
    "remote_name",
    "dev_addr",
    "exclude_docs",
    "draft_docs",
    "watch",
}
LISTS_APPENDED = {"extra_css", "extra_javascript"}


def _named(entries: list[Any]) -> dict[str, Any]:
    """MkDocs' plugin / extension lists: `- name` or `- name: {config}` -> {name: config}."""
    named: dict[str, Any] = {}
    for entry in entries:
        if isinstance(entry, str):
            named[entry] = None
        elif isinstance(entry, dict) and len(entry) == 1:
            ((name, cfg),) = entry.items()
            named[str(name)] = cfg
        else:
            raise ValueError(entry)
    return named


def _merge_named(base: list[Any], user: Any, where: str) -> list[Any]:
    """Base entries stay (their config updated by the user's); the user's new ones are appended."""
    if isinstance(user, dict):
        user = [{k: v} for k, v in user.items()]
    if not isinstance(user, list):
        raise UserError(f"{where}: expected a list of names or `name: {{options}}` entries")
    try:
        merged = _named(base)
        for name, cfg in _named(user).items():
            merged[name] = cfg if cfg is not None or name not in merged else merged[name]
    except ValueError as exc:
        raise UserError(f"{where}: {exc.args[0]!r} is not a name or a single `name: {{options}}`") from None
    return [name if cfg is None else {name: cfg} for name, cfg in merged.items()]


def _merge_theme(base: dict[str, Any], user: Any, cfg: UserConfig, root: Path) -> dict[str, Any]:
    if not isinstance(user, dict):
        raise UserError(f"{cfg.where('theme')}: expected a mapping (palette, logo, features, ...)")
    if user.get("name", "material") != "material":
        raise UserError(f"{cfg.where('theme')}.name: the generated pages are written for `material`")
    theme = dict(base)
    for key, value in user.items():
        if key == "features":
            if not isinstance(value, list):
                raise UserError(f"{cfg.where('theme')}.features: expected a list of feature names")
            theme["features"] = list(dict.fromkeys([*base.get("features", []), *value]))
        elif key == "custom_dir":  # relative to mkdocs.yml, but the build's mkdocs.yml lives elsewhere
            theme["custom_dir"] = str((root / value).resolve())
        else:
            theme[key] = value
    return theme


def _deep(base: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in user.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _deep(out[key], value) if both else value
    return out


def merge_user_config(base: dict[str, Any], cfg: UserConfig, root: Path) -> tuple[dict[str, Any], list[Any]]:
    """The merged settings and the user's own nav entries (placed by the build among the generated tabs)."""
    merged = dict(base)
    user_nav: list[Any] = []
    for key, value in cfg.settings.items():
        if key in REFUSED:
            raise UserError(f"{cfg.where(key)}: cannot be set in a docs repository: {REFUSED[key]}")
        if key == "nav":
            if not isinstance(value, list):
                raise UserError(f"{cfg.where(key)}: expected a list of your own pages")
            user_nav = value
        elif key == "theme":
            merged["theme"] = _merge_theme(base.get("theme", {}), value, cfg, root)
        elif key in ("plugins", "markdown_extensions"):
            merged[key] = _merge_named(base.get(key, []), value, cfg.where(key))
        elif key in LISTS_APPENDED:
            if not isinstance(value, list):
                raise UserError(f"{cfg.where(key)}: expected a list of paths under docs/")
            merged[key] = [*base.get(key, []), *value]
        elif key == "extra":
            if not isinstance(value, dict):
                raise UserError(f"{cfg.where(key)}: expected a mapping")
            merged["extra"] = _deep(base.get("extra") or {}, value)
        elif key == "hooks":
            if not isinstance(value, list):
                raise UserError(f"{cfg.where(key)}: expected a list of Python files (paths from mkdocs.yml)")
            merged["hooks"] = [str((root / h).resolve()) for h in value]
        elif key in SCALARS or key not in base:
            merged[key] = value  # MkDocs itself rejects what it does not know (the build is strict)
        else:
            raise UserError(f"{cfg.where(key)}: set by the tool's base configuration")
    return merged, user_nav
