"""Publish one dated version of the site with mike: build, commit into gh-pages, prune, push.

The site is built once by build_site (versioned: Material's selector reads mike's versions.json) and
handed to mike's deploy, which commits it under <version>/ and points the `latest` redirect at it;
mike does not run a second build. The changes pages compare against the newest version already
published, through the snapshots that version carries, and name and link it.

Versions never overwrite each other unless asked: the default version is the newest capture date,
and a second publication of the same day becomes `<date>.2`, `<date>.3`, ... (mike sorts them after
`<date>`). A publication whose snapshots equal those of the newest version makes no new version: that
version is rebuilt in place (the team's own pages may have changed). `--version NAME` naming an
existing version is the request to replace it.
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
    same_snapshots: bool = False  # the snapshots equal the newest version's: no new version was made
    replaced: bool = False  # --version named a version that was already published


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


def next_version(date: str, published: list[str]) -> str:
    """`date`, or when that day already has versions the next free `<date>.N` (N from 2): never one
    that exists, so two publications of one day never overwrite each other."""
    taken = {date} | {v for v in published if v.startswith(f"{date}.")}
    if date not in published and len(taken) == 1:
        return date
    numbers = [int(v.rsplit(".", 1)[1]) for v in taken if v != date and v.rsplit(".", 1)[1].isdigit()]
    return f"{date}.{max([1, *numbers]) + 1}"


def same_snapshots(snapshots_dir: Path, branch: str, version: str, scratch: Path) -> bool:
    """Whether `version` on `branch` carries exactly the snapshots of `snapshots_dir` (all of them)."""
    carried = scratch / f"carried-{version}"
    carried.mkdir(parents=True)
    ghpages.extract_snapshots(branch, version, carried)
    return load_directory(carried) == load_directory(snapshots_dir)


def _default_to(alias: str, branch: str) -> None:
    """The site root redirects to the alias (latest), so the bare URL always opens the newest version."""
    try:
        mike_commands.set_default(alias, branch=branch, message=f"Site root redirects to {alias}")
    except git_utils.GitEmptyCommit:
        pass  # already so


def publish(snapshots_dir: Path, *, version: str | None = None, title: str | None = None,
            aliases: tuple[str, ...] = ("latest",), push: bool = False, keep: int | None = None,
            remote: str = "origin", branch: str = "gh-pages", site_url: str | None = None,
            config_file: Path | None = None, say: Callable[[str], None] = lambda _: None,
            diagrams: bool = True) -> Published:
    """Run in the repository whose `branch` holds the published versions (the current directory)."""
    from netstack_docs.site.build import build_site

    brand = check_mkdocs()
    if ghpages.git("rev-parse", "--is-inside-work-tree", check=False).returncode != 0:
        raise UserError("publish runs inside the git repository whose gh-pages branch holds the site")
    if keep is not None and keep < 1:
        raise UserError(f"--keep {keep}: keep at least the version being published")
    asked = version
    if site_url is None:  # the docs repository's own site_url: each version lives below it
        site_url = find_project(None, config_file).config.settings.get("site_url")
    for name in (*([version] if version else []), *aliases):
        if not VERSION.match(name):
            raise UserError(f"{name!r}: a version or alias is one path segment of letters, digits, . _ -")
    if version in aliases:
        raise UserError(f"{version!r} is both the version and an alias")
    ghpages.sync_from_remote(remote, branch)  # even a local-only commit starts from what is published
    published = ghpages.published_versions(branch)
    same = False
    if version is None and published:
        with tempfile.TemporaryDirectory(prefix="netstack-docs-publish-") as scratch:
            same = same_snapshots(snapshots_dir, branch, published[0], Path(scratch))
    if version is None:
        version = published[0] if same else next_version(default_version(snapshots_dir), published)
    if version in aliases:
        raise UserError(f"{version!r} is both the version and an alias")
    previous = next((v for v in published if v != version), None)
    result = Published(version, title or version, list(aliases), previous, same_snapshots=same,
                       replaced=asked is not None and asked in published)
    if same:
        say(f"the snapshots equal those of the newest version {version}: no new version, {version} is "
            "rebuilt in place")
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
                   config_file=config_file, previous_version=previous, diagrams=diagrams)
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
