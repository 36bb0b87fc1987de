"""Publish one dated version of the site with mike: build, commit into gh-pages, prune, push.

The site is built once by build_site (versioned: Material's selector reads mike's versions.json) and
handed to mike's deploy, which commits it under <version>/ and points the `latest` redirect at it;
mike does not run a second build. The changes pages compare against the newest version already
published, through the snapshots that version carries.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from mike import commands as mike_commands
from mike import git_utils, mkdocs_utils

from netstack_docs.errors import UserError
from netstack_docs.site.project import find_project
from netstack_docs.versions import ghpages
from netstack_docs.versions.sources import load_directory

VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass
class Published:
    version: str
    title: str
    aliases: list[str]
    previous: str | None  # the version the changes pages compare against
    removed: list[str] = field(default_factory=list)  # versions pruned by --keep
    committed: bool = True  # False: the site was identical to what gh-pages already holds
    pushed: bool = False


def check_mkdocs() -> str:
    """mike builds with ProperDocs when that is installed; this project pins MkDocs 1.6 (DESIGN.md)."""
    brand = mkdocs_utils.version_info()
    version = metadata.version("mkdocs")
    if not brand.startswith("MkDocs ") or not version.startswith("1.6"):
        raise UserError(f"mike would use {brand} (mkdocs {version}): this project pins MkDocs 1.6")
    return brand


def default_version(snapshots_dir: Path) -> str:
    """The capture date (YYYY-MM-DD) of the newest snapshot: a version names when the hosts were seen."""
    docs = load_directory(snapshots_dir)
    if not docs:
        raise UserError(f"{snapshots_dir}: no snapshots found (expected <env>/<host>.json files)")
    return max(str(doc["meta"]["captured_at"]) for doc in docs.values())[:10]


def _default_to(alias: str, branch: str) -> None:
    """The site root redirects to the alias (latest), so the bare URL always opens the newest version."""
    try:
        mike_commands.set_default(alias, branch=branch, message=f"Site root redirects to {alias}")
    except git_utils.GitEmptyCommit:
        pass  # already so


def publish(snapshots_dir: Path, *, version: str | None = None, title: str | None = None,
            aliases: tuple[str, ...] = ("latest",), push: bool = False, keep: int | None = None,
            remote: str = "origin", branch: str = "gh-pages", site_url: str | None = None,
            config_file: Path | None = None, say: Callable[[str], None] = lambda _: None) -> Published:
    """Run in the repository whose `branch` holds the published versions (the current directory)."""
    from netstack_docs.site.build import build_site

    brand = check_mkdocs()
    if ghpages.git("rev-parse", "--is-inside-work-tree", check=False).returncode != 0:
        raise UserError("publish runs inside the git repository whose gh-pages branch holds the site")
    if keep is not None and keep < 1:
        raise UserError(f"--keep {keep}: keep at least the version being published")
    version = version or default_version(snapshots_dir)
    if site_url is None:  # the docs repository's own site_url: each version lives below it
        site_url = find_project(None, config_file).config.settings.get("site_url")
    for name in (version, *aliases):
        if not VERSION.match(name):
            raise UserError(f"{name!r}: a version or alias is one path segment of letters, digits, . _ -")
    if version in aliases:
        raise UserError(f"{version!r} is both the version and an alias")
    ghpages.sync_from_remote(remote, branch)  # even a local-only commit starts from what is published
    previous = next((v for v in ghpages.published_versions(branch) if v != version), None)
    result = Published(version, title or version, list(aliases), previous)
    with tempfile.TemporaryDirectory(prefix="netstack-docs-publish-") as tmp:
        before = None
        if previous is not None:
            before = Path(tmp) / "previous"
            before.mkdir()  # none carried (published by another tool): every host shows as new
            count = ghpages.extract_snapshots(branch, previous, before)
            say(f"comparing with {previous} ({count} snapshot(s) carried by that version)")
        url = f"{site_url.rstrip('/')}/{version}/" if site_url else None
        site = Path(tmp) / "site"
        say(f"building version {version} with {brand}")
        build_site(snapshots_dir, site, previous_snapshots=before, site_url=url, versioned=True,
                   config_file=config_file)
        message = f"Publish {version} ({', '.join(aliases) or 'no alias'}) with {brand} and mike"
        try:
            cfg = {"site_dir": str(site), "use_directory_urls": True}
            redirect = mike_commands.AliasType.redirect
            with mike_commands.deploy(cfg, version, result.title, list(aliases), update_aliases=True,
                                      alias_type=redirect, branch=branch, message=message):
                pass  # the site is already built: mike only commits it
        except git_utils.GitEmptyCommit:
            result.committed = False
    if aliases:
        _default_to(aliases[0], branch)
    if keep is not None:
        result.removed = versions_to_remove(ghpages.published_versions(branch), version, keep)
        if result.removed:
            mike_commands.delete(result.removed, branch=branch,
                                 message=f"Remove {', '.join(result.removed)} (keep the newest {keep})")
    if push:
        try:
            git_utils.push_branch(remote, branch)
        except git_utils.GitError as exc:
            raise UserError(f"git push {remote} {branch}: {exc}") from None
        result.pushed = True
    return result


def versions_to_remove(published: list[str], just_published: str, keep: int) -> list[str]:
    """Which versions `--keep N` removes: never the one just published, then mike's order (newest first).

    mike sorts by its own rules, not by publication: `hotfix` before dates, `v2` after them; taking
    the first N of its list could remove the version this very run published."""
    others = [v for v in published if v != just_published]
    return others[keep - 1:]
