"""The mkdocs.yml of one build: the merged settings (netstack_docs.site.merge) plus what only the build knows.

This module adds docs_dir/site_dir, the nav (Home, Handbook, one tab per environment), the host
pages kept out of the nav (`not_in_nav`, see DESIGN.md: a nav holding every host page makes each
page's HTML and the build time grow with the fleet), site_url, and the mike version selector.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netstack_docs.errors import UserError
from netstack_docs.model.freshness import DEFAULT_STALE_AFTER_DAYS
from netstack_docs.site.theme import with_overrides
from netstack_docs.site.userconfig import UserConfig


@dataclass(frozen=True)
class SiteOptions:
    """Options merged once, at the edge (CLI or caller), and passed down unchanged."""

    site_url: str | None = None
    versioned: bool = False  # add the mike version selector (extra.version.provider: mike)
    hosts_in_nav: bool = False  # the naive configuration, kept only for the benchmark's comparison
    search: bool = True
    diagrams: bool = True  # False: no Graphviz needed, figures as text only (`build --no-diagrams`)
    jobs: int | None = None  # processes for per-host analysis, this one too (`build --jobs`); None: per CPU


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
    pages: list[str],
    layers: list[tuple[str, str]],
    envs: dict[str, list[str]],
    hosts_in_nav: bool,
    user_nav: list[Any] | None = None,
) -> list[Any]:
    """Home (tool pages and the team's pages no nav entry lists), the team's own nav entries as tabs,
    Handbook (ten layers), then one tab per environment."""
    home: list[Any] = ["index.md", *pages, {"Changes": "changes.md"}]
    handbook = [{title: f"handbook/{slug}.md"} for slug, title in layers]
    tabs: list[Any] = [{"Home": home}, *(user_nav or []), {"Handbook": handbook}]
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
    config = with_overrides(base)  # host sidebar, breadcrumbs, firewall listings (site/theme/)
    config.update(docs_dir=str(docs_dir), site_dir=str(site_dir), nav=nav_, strict=True)
    if not options.hosts_in_nav:
        # Everything under <env>/<host>/ is reached from the environment's index table instead.
        # The checks page is reached from the environment page, the home page and every host page.
        config["not_in_nav"] = "\n".join(f"/{env}/*/\n/{env}/checks.md" for env in envs)
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


def stale_after_days(config: dict[str, Any], user: UserConfig) -> int:
    """`extra.netstack.stale_after_days` of the merged settings (default 7): a snapshot captured more
    days than this before the newest one is marked stale on its environment and host pages."""
    ours = (config.get("extra") or {}).get("netstack") or {}
    if not isinstance(ours, dict):
        raise UserError(f"{user.where('extra.netstack')}: expected a mapping (stale_after_days: 7)")
    value = ours.get("stale_after_days", DEFAULT_STALE_AFTER_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"{user.where('extra.netstack.stale_after_days')}: expected a whole number of days "
                        f"(1 or more), found {value!r}")
    return value


def default_assumptions(config: dict[str, Any], user: UserConfig) -> list[str]:
    """`extra.netstack.assume`: outcomes the team states for what trace cannot evaluate, e.g.
    `xdp:wan0=pass` (a list of KEY=OUTCOME); every trace, exposure and check on the site uses them."""
    from netstack_docs.analysis.trace.forks import parse_assumptions

    ours = (config.get("extra") or {}).get("netstack") or {}
    if not isinstance(ours, dict):
        raise UserError(f"{user.where('extra.netstack')}: expected a mapping (assume: [xdp:wan0=pass])")
    value = ours.get("assume") or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"{user.where('extra.netstack.assume')}: expected a list of KEY=OUTCOME strings, "
                        f"found {value!r}")
    parse_assumptions(value, f"{user.where('extra.netstack.assume')}:")
    return list(value)


def outside_definition(config: dict[str, Any], user: UserConfig) -> dict[str, list[str]]:
    """`extra.netstack.outside`: what counts as outside for exposure (netstack_docs.analysis.reach.outside):
    {prefixes: [CIDR...], except: [CIDR...]}; absent, every address but the environment's own."""
    from netstack_docs.analysis.reach.outside import outside_setting

    ours = (config.get("extra") or {}).get("netstack") or {}
    if not isinstance(ours, dict):
        raise UserError(f"{user.where('extra.netstack')}: expected a mapping (outside: {{except: [CIDR]}})")
    try:
        return outside_setting(ours.get("outside"), user.where("extra.netstack.outside"))
    except ValueError as exc:
        raise UserError(str(exc)) from None


def exclude_netns(user: UserConfig) -> list[str]:
    """`extra.netstack.exclude_netns` of the docs repository's mkdocs.yml: the globs `capture
    --exclude-netns` takes, for `netstack-docs capture` run in the repository and for the fleet."""
    extra = user.settings.get("extra") or {}
    ours = extra.get("netstack") if isinstance(extra, dict) else None
    if ours is None:
        return []
    if not isinstance(ours, dict):
        raise UserError(f"{user.where('extra.netstack')}: expected a mapping (exclude_netns: [GLOB, ...])")
    value = ours.get("exclude_netns") or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise UserError(f"{user.where('extra.netstack.exclude_netns')}: expected a list of globs "
                        f"(e.g. ['proc/chrom*', 'pod/ci-*']), found {value!r}")
    return list(value)
