"""The one definition of the capture command's options (argparse: the bundle carries no click).

`netstack-docs capture ...` hands its arguments here, and so does the single-file bundle
(`python3 netstack-capture.pyz capture ...`), so both take exactly the same options. Standard
library only, Python 3.9+.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netstack_docs.capture import leftout, timing
from netstack_docs.capture.redact import DEFAULT_KEY_PATH, load_or_create_key, redact
from netstack_docs.errors import UserError
from netstack_docs.snapshot.slug import is_slug, make_slug
from netstack_docs.snapshot.write import dump_snapshot, write_atomic

Validate = Callable[[dict[str, Any], Path], Any]

DESCRIPTION = """\
Capture this host's network stack into a snapshot file.

Every network namespace this process can reach is captured: its own (the host's root namespace),
named ones (/run/netns), Docker's (/var/run/docker/netns) and any other held by a process
(/proc/<pid>/ns/net). A namespace held by a process or container that has nothing but a loopback
device (a browser or test sandbox) cannot carry traffic: it is counted, not captured
(--include-isolated captures it); --exclude-netns leaves out namespaces by name, owner or pod.
Per namespace: links, addresses, routes and rules, neighbours and FDB,
traffic control, nftables, listening sockets and sysctls; per host: facts, NICs, BPF programs and
network daemons. Volatile values (counters, timers, learned neighbours) are kept under 'state',
apart from the configuration."""

EPILOG = """\
examples:
  sudo netstack-docs capture --env prod                # -> snapshots/prod/<hostname>.json
  sudo netstack-docs capture --env lab --host edge-01 --out /tmp/edge-01.json
  sudo netstack-docs capture --env prod --redact --redact-key /etc/netstack-docs/redact.key
  sudo netstack-docs capture --env ci --exclude-netns 'pod/ci-jobs/*' --exclude-netns 'proc/chrom*'
  sudo python3 netstack-capture.pyz capture --env prod  # the single-file bundle, nothing installed

Run it as root to see every namespace, BPF program and socket owner; without root it still writes a
valid snapshot and records what it could not see under 'gaps'. It only reads: it loads no kernel
module and writes nothing but the output file (atomically)."""


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="default",
                        help="environment this host belongs to (a slug: lowercase letters, digits, '-'); "
                             "names the site section /<env>/ and the directory snapshots/<env>/ "
                             "(default: %(default)s)")
    parser.add_argument("--host", default=None,
                        help="host name in the site (a slug); default: this machine's short hostname, "
                             "lowercased")
    parser.add_argument("--role", default=None,
                        help="what this host does, in a few words (\"edge router\"); shown on the "
                             "environment and host pages")
    parser.add_argument("--out", type=Path, default=None,
                        help="output file, or '-' for standard output (what a fleet capture reads over "
                             "SSH); default: snapshots/<env>/<host>.json under the current directory")
    parser.add_argument("--redact", action="store_true",
                        help="replace addresses, MACs and host names with consistent keyed pseudonyms "
                             "before writing")
    parser.add_argument("--redact-key", type=Path, default=None,
                        help="secret key file for --redact (created if missing; keep it out of the "
                             f"snapshot repo); default: {DEFAULT_KEY_PATH}")
    parser.add_argument("--exclude-netns", action="append", default=[], metavar="GLOB",
                        help="do not capture namespaces matching GLOB (repeatable): matched against the "
                             "namespace's id and name, its owner process (comm) or systemd unit, its "
                             "container or pod ('NAMESPACE/POD' or 'POD'), e.g. 'proc/chrom*', 'pod/ci/*'; "
                             "what was left out is recorded in the snapshot. In a docs repository, "
                             "`netstack-docs capture` also reads extra.netstack.exclude_netns of mkdocs.yml")
    parser.add_argument("--include-isolated", action="store_true",
                        help="also capture isolated namespaces (loopback only, held by a process or "
                             "container: sandboxes, test jobs, PrivateNetwork= services), which are "
                             "otherwise only counted")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress and no summary on stderr")
    # where the capture's time goes, a JSON line per process (bench/capture.py, netstack_docs.capture.timing)
    parser.add_argument("--timings", default=None, help=argparse.SUPPRESS)
    return parser


def slug_or_error(value: str, option: str) -> str:
    if not is_slug(value):
        raise UserError(
            f"{option} {value!r} is not usable in a URL: use lowercase letters, digits and '-' "
            f"(for example {make_slug(value) or 'web-01'!r})"
        )
    return value


def _progress(quiet: bool) -> Callable[[int, int, str], None] | None:
    if quiet:
        return None

    def show(done: int, total: int, ns_id: str) -> None:
        if total >= 10 and (done == total or done % max(1, total // 20) == 0):
            print(f"  namespaces captured: {done}/{total}", file=sys.stderr)

    return show


def summary(doc: dict[str, Any], out: Path) -> str:
    nss = doc["namespaces"]
    links = sum(len(ns["links"]) for ns in nss)
    gaps = [(g.get("namespace"), g["what"], g["reason"]) for g in doc["gaps"]]
    gaps += [(ns["id"], g["what"], g["reason"]) for ns in nss for g in ns["gaps"]]
    lines = [f"wrote {out}: {len(nss)} namespaces, {links} links in {doc['meta']['duration_s']:.2f} s"]
    lines += leftout.summary((doc.get("state") or {}).get("namespaces_left_out") or [])
    if gaps:
        things = "thing" if len(gaps) == 1 else "things"
        lines.append(f"{len(gaps)} {things} could not be captured (recorded in the snapshot under 'gaps'):")
        for namespace, what, reason in gaps[:25]:
            where = f"[{namespace}] " if namespace else ""
            lines.append(f"  - {where}{what}: {reason}")
        if len(gaps) > 25:
            lines.append(f"  ... and {len(gaps) - 25} more")
    return "\n".join(lines)


def run(argv: list[str], prog: str = "netstack-docs capture", validate: Validate | None = None) -> int:
    """Parse `argv`, capture, write. `validate` checks the document before writing where the schema
    validator is installed; the bundle has none (the controller validates what it fetches)."""
    args = build_parser(prog).parse_args(argv)
    if args.timings:
        timing.enable(args.timings)
        timing.add_phase("start-up", timing.process_age())
    with timing.phase("imports"):
        from netstack_docs.capture.run import capture_host

    env = slug_or_error(args.env, "--env")
    host = args.host
    if host is None:
        host = make_slug(socket.gethostname())
        if not is_slug(host):
            name = socket.gethostname()
            raise UserError(f"this machine's hostname {name!r} gives no usable slug: pass --host")
    host = slug_or_error(host, "--host")
    if args.redact_key is not None and not args.redact:
        raise UserError("--redact-key is only used with --redact")
    doc = capture_host(env, host, progress=_progress(args.quiet), role=args.role or None,
                       exclude=args.exclude_netns, include_isolated=args.include_isolated)
    if args.redact:
        with timing.phase("redact"):
            doc = redact(doc, load_or_create_key(args.redact_key))
        if args.host is None:  # the default file name must not reveal the name the content hides
            host = make_slug(doc["host"]["hostname"])
    out = args.out or Path("snapshots") / env / f"{host}.json"
    to_stdout = str(out) == "-"
    if validate is not None:
        with timing.phase("validate"):
            validate(doc, Path("(standard output)") if to_stdout else out)
    write_started = time.perf_counter()
    with timing.phase("write: encode"):
        text = dump_snapshot(doc)
    if to_stdout:
        sys.stdout.buffer.write(text.encode("utf-8"))  # UTF-8 whatever the locale
        sys.stdout.flush()
        out = Path("(standard output)")
    else:
        try:
            write_atomic(out, text)
        except OSError as exc:
            raise UserError(f"{out}: cannot write the snapshot: {exc.strerror or exc}") from None
    timing.add_phase("write", time.perf_counter() - write_started)
    timing.flush("main")
    if not args.quiet:
        print(summary(doc, out), file=sys.stderr)
    sys.stderr.flush()
    return 0
