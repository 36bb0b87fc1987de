"""`netstack-docs new`: scaffold a docs repository (settings, pages, snapshots, CI) that builds at once."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(
    epilog="""\b
Examples:
  netstack-docs new network-docs --site-name "ACME network" --env prod --env staging
  cd network-docs && netstack-docs build && netstack-docs serve

\b
What it writes: mkdocs.yml (your settings only, commented), docs/ (a home page introduction and an
example runbook linking to a host page and a component anchor), snapshots/<env>/ per --env (with a
README on filling it, and an example host in the first one), .github/workflows/ (build on pull
requests, publish a version on pushes to main and weekly), .gitignore and a README.
The example host and runbook go together (the runbook links to the host): --no-example writes
neither. A directory that is not empty is refused.""",
)
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--site-name",
    default="Network stack documentation",
    show_default=True,
    help="The site's title (mkdocs.yml site_name).",
)
@click.option(
    "--env",
    "envs",
    multiple=True,
    metavar="ENV",
    help="An environment (repeatable): snapshots/ENV/ is created. Default: prod.",
)
@click.option(
    "--no-example",
    is_flag=True,
    help="Without the example host and the runbook that links to it (each environment then shows "
    "'no host captured yet' until its first capture).",
)
def command(directory: Path, site_name: str, envs: tuple[str, ...], no_example: bool) -> int:
    """Create a docs repository in DIRECTORY: your pages and settings beside the generated ones."""
    from netstack_docs.scaffold import check_scaffold, write_scaffold

    scaffold = check_scaffold(site_name, envs, example=not no_example)
    written = write_scaffold(directory, scaffold)
    click.echo(f"created {directory}/ ({len(written)} files) for environment(s): {', '.join(scaffold.envs)}")
    click.echo("next:")
    there = "an example host is there" if scaffold.example else "each environment waits for its first host"
    click.echo(f"  cd {directory} && git init && netstack-docs build   # builds at once ({there})")
    click.echo(f"  capture your hosts into snapshots/<env>/ (see snapshots/{scaffold.envs[0]}/README.md)")
    return 0
