"""`netstack-docs build`: generate pages from snapshots, build the site strictly, swap it in at the end."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from netstack_docs.commands.options import config_option, repository_snapshots, snapshots_option
from netstack_docs.site.progress import progress_reporter


@click.command(
    epilog="""\b
Examples (in a docs repository made by `netstack-docs new`):
  netstack-docs build                                  # snapshots/ -> site/
  netstack-docs build --snapshots /srv/snaps --site /tmp/site
  netstack-docs build --site-url https://docs.example.net/network/

\b
The source tree is never written to: generated Markdown goes to a temporary build directory
(--build-dir to keep it for inspection). An invalid snapshot stops the build before anything is
written, naming the file and field; a dangling link or anchor fails the strict MkDocs build. In
both cases the previous site is left exactly as it was. The diagrams need Graphviz (`dot`); without it
the build stops and says how to install it, or use --no-diagrams.""",
)
@snapshots_option
@config_option
@click.option(
    "--site",
    "site_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("site"),
    show_default=True,
    help="Output directory; replaced only when the new build succeeds.",
)
@click.option(
    "--site-url",
    default=None,
    metavar="URL",
    help="Public URL of the site (canonical links, sitemap); a trailing / is added.",
)
@click.option(
    "--previous",
    "previous_snapshots",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Snapshots of the previously published version, for the /changes/ pages.",
)
@click.option(
    "--build-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Keep the generated Markdown and mkdocs.yml here (default: a temporary directory).",
)
@click.option(
    "--no-diagrams",
    is_flag=True,
    help="Draw no diagrams (Graphviz not needed); each diagram's text equivalent stays on its page.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Processes for the per-host analysis (each host's exposure): N-1 workers compute it while the "
    "build classifies and renders, and the build's own process takes the rest; default: one per CPU. "
    "1: everything in this process.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
def command(
    snapshots_dir: Path | None,
    config_file: Path | None,
    site_dir: Path,
    site_url: str | None,
    previous_snapshots: Path | None,
    build_dir: Path | None,
    no_diagrams: bool,
    jobs: int | None,
    quiet: bool,
) -> int:
    """Generate the documentation site from SNAPSHOTS and build it into SITE.

    Run it in a docs repository: its mkdocs.yml (your site name, palette, logo, extra pages) is merged
    over the tool's base configuration and its docs/ pages (runbooks, conventions) are built with the
    generated ones, links and anchors checked.

    Every snapshots/<env>/<host>.json becomes /<env>/<host>/ with one page per layer of its
    network stack; the handbook explains the layers, and each environment gets an index of its hosts.
    """
    from netstack_docs.site.build import build_site
    from netstack_docs.site.config import SiteOptions

    options = SiteOptions(site_url=site_url, diagrams=not no_diagrams, jobs=jobs)
    with progress_reporter(enabled=not quiet and sys.stderr.isatty()) as progress:
        result = build_site(
            repository_snapshots(snapshots_dir, config_file),
            site_dir,
            config_file=config_file,
            build_dir=build_dir,
            previous_snapshots=previous_snapshots,
            progress=progress,
            options=options,
        )
    if not quiet:
        total = sum(result.seconds.values())
        click.echo(
            f"Built {result.pages} pages for {result.hosts} host(s) into {result.site_dir} in {total:.1f} s",
            err=True,
        )
    return 0
