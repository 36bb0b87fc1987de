"""Write the mkdocs.yml of one build: the repository's base mkdocs.yml plus what only the build knows.

The base config (theme, features, plugins, Markdown extensions, validation) is edited by people;
this module adds docs_dir/site_dir, the nav (Home, Handbook, one tab per environment), the host
pages kept out of the nav (`not_in_nav`, see DESIGN.md: a nav holding every host page makes each
page's HTML and the build time grow with the fleet), site_url, and the mike version selector.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from netstack_docs.errors import UserError


@dataclass(frozen=True)
class SiteOptions:
    """Options merged once, at the edge (CLI or caller), and passed down unchanged."""

    site_url: str | None = None
    versioned: bool = False  # add the mike version selector (extra.version.provider: mike)
    hosts_in_nav: bool = False  # the naive configuration, kept only for the benchmark's comparison
    search: bool = True


def load_base(path: Path) -> dict[str, Any]:
    try:
        base = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"{path}: cannot read the base MkDocs configuration: {exc}") from None
    if not isinstance(base, dict):
        raise UserError(f"{path}: expected a mapping of MkDocs settings")
    for key in ("nav", "site_dir"):
        if key in base:
            raise UserError(f"{path}: {key}: set by `netstack-docs build`, remove it from the base config")
    return base


def _hosts_nav(envs: dict[str, list[str]], layers: list[tuple[str, str]]) -> list[Any]:
    """The naive nav: every page of every host (only for the benchmark's comparison)."""
    return [
        {
            env: [
                f"{env}/index.md",
                *(
                    {
                        host: [
                            f"{env}/{host}/index.md",
                            *({title: f"{env}/{host}/{slug}.md"} for slug, title in layers),
                        ]
                    }
                    for host in hosts
                ),
            ]
        }
        for env, hosts in envs.items()
    ]


def nav(
    handwritten: list[str], layers: list[tuple[str, str]], envs: dict[str, list[str]], hosts_in_nav: bool
) -> list[Any]:
    """Home (with the hand-written pages), Handbook (ten layers), then one tab per environment."""
    home: list[Any] = ["index.md", *handwritten, {"Changes": "changes.md"}]
    handbook = [{title: f"handbook/{slug}.md"} for slug, title in layers]
    tabs: list[Any] = [{"Home": home}, {"Handbook": handbook}]
    if hosts_in_nav:
        tabs.extend(_hosts_nav(envs, layers))
    else:
        tabs.extend({env: f"{env}/index.md"} for env in envs)
    return tabs


def build_config(
    base: dict[str, Any],
    docs_dir: Path,
    site_dir: Path,
    nav_: list[Any],
    envs: dict[str, list[str]],
    options: SiteOptions,
) -> dict[str, Any]:
    config = dict(base)
    config.update(docs_dir=str(docs_dir), site_dir=str(site_dir), nav=nav_, strict=True)
    if not options.hosts_in_nav:
        # Everything under <env>/<host>/ is reached from the environment's index table instead.
        config["not_in_nav"] = "\n".join(f"/{env}/*/" for env in envs)
    else:  # the benchmark's naive nav lists host pages but not e.g. per-host change pages
        validation = dict(config.get("validation") or {})
        validation["nav"] = {**(validation.get("nav") or {}), "omitted_files": "info"}
        config["validation"] = validation
    if options.site_url:
        config["site_url"] = options.site_url if options.site_url.endswith("/") else options.site_url + "/"
    if options.versioned:
        extra = dict(config.get("extra") or {})
        extra["version"] = {**(extra.get("version") or {}), "provider": "mike"}
        config["extra"] = extra
    if not options.search:
        config["plugins"] = [p for p in config.get("plugins", []) if p != "search" and "search" not in p]
    return config


def write_config(config: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
