"""Entry point of the single-file bundle (copied in as its __main__.py): `python3 bundle.pyz capture ...`.

Standard library and the bundle's own contents only, Python 3.9+.
"""

import sys


def main() -> None:
    from netstack_docs import __version__
    from netstack_docs.errors import UserError

    prog = "netstack-capture.pyz"
    argv = sys.argv[1:]
    if argv[:1] == ["--version"]:
        print(f"{prog} (netstack-docs {__version__})")
        return
    if argv[:1] != ["capture"]:
        print(f"usage: python3 {prog} capture [--env ENV] [--host HOST] [--role ROLE] [--out FILE] "
              f"[--redact [--redact-key FILE]] [-q]\n       python3 {prog} capture --help", file=sys.stderr)
        sys.exit(0 if argv[:1] in (["-h"], ["--help"]) else 2)
    from netstack_docs.capture.cli import run

    try:
        sys.exit(run(argv[1:], prog=f"{prog} capture"))
    except UserError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
