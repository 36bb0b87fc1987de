"""`netstack-docs capture`: snapshot this host's network stack (every reachable namespace) into JSON."""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path
from typing import Any

import click

from netstack_docs.errors import UserError
from netstack_docs.snapshot.load import is_slug

DEFAULT_KEY = "~/.config/netstack-docs/redact.key"


def slug_or_error(value: str, option: str) -> str:
    if not is_slug(value):
        raise UserError(
            f"{option} {value!r} is not usable in a URL: use lowercase letters, digits and '-' "
            f"(for example {default_slug(value) or 'web-01'!r})"
        )
    return value


def default_slug(name: str) -> str:
    """The machine's hostname as a slug: short name (before the first dot), lowercase, other chars '-'."""
    short = name.split(".", 1)[0].lower()
    return re.sub(r"[^a-z0-9-]+", "-", short).strip("-")


def _progress(quiet: bool) -> Any:
    if quiet:
        return None

    def show(done: int, total: int, ns_id: str) -> None:
        if total >= 10 and (done == total or done % max(1, total // 20) == 0):
            click.echo(f"  namespaces captured: {done}/{total}", err=True)

    return show


def _summary(doc: dict[str, Any], out: Path) -> str:
    nss = doc["namespaces"]
    links = sum(len(ns["links"]) for ns in nss)
    gaps = [(g.get("namespace"), g["what"], g["reason"]) for g in doc["gaps"]]
    gaps += [(ns["id"], g["what"], g["reason"]) for ns in nss for g in ns["gaps"]]
    lines = [f"wrote {out}: {len(nss)} namespaces, {links} links in {doc['meta']['duration_s']:.2f} s"]
    if gaps:
        lines.append(f"{len(gaps)} things could not be captured (recorded in the snapshot under 'gaps'):")
        for namespace, what, reason in gaps[:25]:
            where = f"[{namespace}] " if namespace else ""
            lines.append(f"  - {where}{what}: {reason}")
        if len(gaps) > 25:
            lines.append(f"  ... and {len(gaps) - 25} more")
    return "\n".join(lines)


@click.command(
    "capture",
    epilog="Examples:\n\n"
    "  sudo netstack-docs capture --env prod                # -> snapshots/prod/<hostname>.json\n\n"
    "  sudo netstack-docs capture --env lab --host edge-01 --out /tmp/edge-01.json\n\n"
    "  sudo netstack-docs capture --env prod --redact --redact-key /etc/netstack-docs/redact.key\n\n"
    "Run it as root to see every namespace, BPF program and socket owner; without root it still writes "
    "a valid snapshot and records what it could not see under 'gaps'. It only reads: it loads no kernel "
    "module and writes nothing but the output file (atomically).",
)
@click.option("--env", "env", default="default", show_default=True,
              help="Environment this host belongs to (a slug: lowercase letters, digits, '-'); names the "
                   "site section /<env>/ and the directory snapshots/<env>/.")
@click.option("--host", "host", default=None,
              help="Host name in the site (a slug). Default: this machine's short hostname, lowercased.")
@click.option("--role", "role", default=None,
              help="What this host does, in a few words (\"edge router\", \"Kubernetes node\"); shown on "
                   "the environment and host pages.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file. Default: snapshots/<env>/<host>.json under the current directory.")
@click.option("--redact", is_flag=True,
              help="Replace addresses, MACs and host names with consistent keyed pseudonyms before writing.")
@click.option("--redact-key", "redact_key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Secret key file for --redact (created if missing; keep it out of the snapshot repo). "
                   f"Default: {DEFAULT_KEY}.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary on stderr.")
def command(env: str, host: str | None, role: str | None, out: Path | None, redact: bool,
            redact_key: Path | None, quiet: bool) -> None:
    """Capture this host's network stack into a snapshot file.

    Every network namespace this process can reach is captured: its own (the host's root
    namespace), named ones (/run/netns), Docker's (/var/run/docker/netns) and any other held by a
    process (/proc/<pid>/ns/net). Per namespace: links, addresses, routes and rules, neighbours and
    FDB, traffic control, nftables, listening sockets and sysctls; per host: facts, NICs, BPF
    programs and network daemons. Volatile values (counters, timers, learned neighbours) are kept
    under 'state', apart from the configuration.
    """
    from netstack_docs.capture.run import capture_host
    from netstack_docs.snapshot.load import validate_document
    from netstack_docs.snapshot.write import dump_snapshot, write_atomic

    env = slug_or_error(env, "--env")
    host_given = host is not None
    if host is None:
        host = default_slug(socket.gethostname())
        if not is_slug(host):
            name = socket.gethostname()
            raise UserError(f"this machine's hostname {name!r} gives no usable slug: pass --host")
    host = slug_or_error(host, "--host")
    if redact_key is not None and not redact:
        raise UserError("--redact-key is only used with --redact")
    redactor = _redactor() if redact else None
    doc = capture_host(env, host, progress=_progress(quiet), role=role or None)
    if redactor is not None:
        redact_fn, load_or_create_key = redactor
        key = load_or_create_key(Path(redact_key or DEFAULT_KEY).expanduser())
        result = redact_fn(doc, key)
        doc = result if isinstance(result, dict) else doc
        doc["meta"]["redacted"] = True
        if not host_given:  # the default file name must not reveal the name the content hides
            host = default_slug(doc["host"]["hostname"])
    out = out or Path("snapshots") / env / f"{host}.json"
    validate_document(doc, out)
    try:
        write_atomic(out, dump_snapshot(doc))
    except OSError as exc:
        raise UserError(f"{out}: cannot write the snapshot: {exc.strerror or exc}") from None
    if not quiet:
        click.echo(_summary(doc, out), err=True)
    sys.stderr.flush()


def _redactor() -> tuple[Any, Any]:
    try:
        from netstack_docs.capture.redact import load_or_create_key, redact
    except ImportError as exc:
        raise UserError(f"--redact is not available in this installation ({exc})") from None
    return redact, load_or_create_key
