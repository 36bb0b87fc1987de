"""`netstack-docs publish`: build the site and publish it as a dated version with mike (gh-pages)."""

from __future__ import annotations

from pathlib import Path

import click

from netstack_docs.commands.options import config_option, repository_snapshots, snapshots_option
from netstack_docs.versions.publish import publish


@click.command()
@click.option("--version", "version",
              help="Version name (default: the newest capture date, YYYY-MM-DD; a second one that day is "
                   "YYYY-MM-DD.2, and so on). Naming a published version replaces it.")
@click.option("--alias", "aliases", multiple=True, default=("latest",), show_default=True,
              help="Alias redirecting to this version (repeatable).")
@click.option("--title", help="Title in the version selector (default: the version).")
@snapshots_option
@config_option
@click.option("--push", is_flag=True, help="Push the branch to the remote (default: commit locally).")
@click.option("--keep", type=int,
              help="Keep only the newest N versions; removes (and names) the others. Default: keep every "
                   "version (the workflow `new` writes keeps 30).")
@click.option("--remote", default="origin", show_default=True)
@click.option("--branch", default="gh-pages", show_default=True)
@click.option("--site-url", help="Public URL of the site root (versions live below it).")
@click.option("--no-diagrams", is_flag=True, help="Draw no diagrams (no Graphviz needed); text stays.")
def command(version: str | None, aliases: tuple[str, ...], title: str | None, snapshots_dir: Path | None,
            config_file: Path | None, push: bool,
            keep: int | None, remote: str, branch: str, site_url: str | None, no_diagrams: bool) -> int:
    """Build the site and commit it as VERSION into the gh-pages branch with mike.

    Run it in the repository that holds the site's gh-pages branch. The changes pages compare with
    the newest version already published (its own snapshot files) and link it; `latest` redirects to
    the newest. Two publications never overwrite each other: a second one on the same day is
    YYYY-MM-DD.2; one whose snapshots equal the newest version's makes no new version (that version
    is rebuilt in place, for changes to your own pages).
    """
    snapshots = repository_snapshots(snapshots_dir, config_file)
    result = publish(snapshots, config_file=config_file, version=version, title=title, aliases=aliases,
                     push=push, keep=keep, remote=remote, branch=branch, site_url=site_url,
                     say=lambda m: click.echo(m, err=True), diagrams=not no_diagrams)
    alias_text = f" (aliases: {', '.join(result.aliases)})" if result.aliases else ""
    if result.same_snapshots:
        click.echo(f"no new version: the snapshots equal those of {result.version}, the newest version")
    if result.replaced:
        click.echo(f"replacing the published version {result.version} (--version named it)")
    if result.committed:
        click.echo(f"published {result.version}{alias_text} into {branch}")
    else:
        click.echo(f"{result.version} is already published with this exact content: nothing to commit")
    if result.previous:
        click.echo(f"changes pages compare with {result.previous}")
    else:
        click.echo("first version: no previous version to compare with")
    if result.removed:
        names = ", ".join(result.removed)
        click.echo(f"removed {len(result.removed)} old version(s) (--keep {keep}): {names}")
    click.echo(f"pushed to {remote}/{branch}" if result.pushed else "committed locally; push with --push")
    return 0
