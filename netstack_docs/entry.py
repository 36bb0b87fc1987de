"""The `netstack-docs` program: `capture` starts without the build half's imports, the rest through click.

On a host, start-up is part of every capture (the capture benchmark counts it): click, YAML and the
command registry cost more than the discovery of 200 namespaces. `capture` therefore goes straight
to its argparse command (`run_capture`, which the click command calls too); everything else, `capture
--help` included, behaves exactly as before through netstack_docs.cli.
"""

from __future__ import annotations

import sys
from pathlib import Path

CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml")  # netstack_docs.site.project's, without importing YAML


def run_capture(args: tuple[str, ...]) -> int:
    from netstack_docs.capture.cli import run
    from netstack_docs.snapshot.load import validate_document

    configured: list[str] = []
    in_repository = any((Path.cwd() / name).is_file() for name in CONFIG_NAMES)
    if in_repository and "-h" not in args and "--help" not in args:
        from netstack_docs.site.config import exclude_netns
        from netstack_docs.site.project import find_project

        configured = exclude_netns(find_project().config)
    extra = [arg for pattern in configured for arg in ("--exclude-netns", pattern)]
    return run([*args, *extra], validate=validate_document)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["capture"]:
        from netstack_docs.errors import UserError

        try:
            sys.exit(run_capture(tuple(args[1:])))
        except UserError as exc:
            print(f"netstack-docs: error: {exc}", file=sys.stderr)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            print("netstack-docs: interrupted", file=sys.stderr)
            sys.exit(130)
    from netstack_docs.cli import main as click_main

    click_main(argv)
