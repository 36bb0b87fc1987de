"""Options several commands share, declared once so their names, defaults and help never drift."""

from __future__ import annotations

from pathlib import Path

import click

snapshots_option = click.option(
    "--snapshots",
    "snapshots_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Directory of snapshots laid out as <env>/<host>.json [default: snapshots/ of the docs repository].",
)

config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The docs repository's mkdocs.yml [default: ./mkdocs.yml when present, else the tool's defaults].",
)


def repository_snapshots(snapshots_dir: Path | None, config_file: Path | None) -> Path:
    """--snapshots, else snapshots/ beside the docs repository's mkdocs.yml (the current directory)."""
    if snapshots_dir is not None:
        return snapshots_dir
    root = config_file.resolve().parent if config_file is not None else Path()
    return root / "snapshots"


def repository_assumptions(config_file: Path | None) -> list[str]:
    """extra.netstack.assume of the docs repository's mkdocs.yml (--config, else ./mkdocs.yml), if any."""
    from netstack_docs.site.config import default_assumptions
    from netstack_docs.site.userconfig import read_user_config

    path = config_file if config_file is not None else Path("mkdocs.yml")
    if not path.is_file():
        return []
    user = read_user_config(path)
    return default_assumptions(user.settings, user)


def repository_outside(config_file: Path | None) -> dict[str, list[str]]:
    """extra.netstack.outside of the docs repository's mkdocs.yml (--config, else ./mkdocs.yml), if any."""
    from netstack_docs.site.config import outside_definition
    from netstack_docs.site.userconfig import read_user_config

    path = config_file if config_file is not None else Path("mkdocs.yml")
    if not path.is_file():
        return {}
    user = read_user_config(path)
    return outside_definition(user.settings, user)


def published_base(config_file: Path | None) -> str | None:
    """Where the site's newest version is read: `site_url` of the docs repository's mkdocs.yml plus the
    `latest` alias that `publish` maintains; None without a site_url (links then stay site-relative)."""
    from netstack_docs.site.project import find_project

    site_url = find_project(None, config_file).config.settings.get("site_url")
    if not isinstance(site_url, str) or not site_url.strip():
        return None
    return site_url.strip().rstrip("/") + "/latest/"
