"""`netstack-docs redact IN`: the keyed pseudonyms of `capture --redact`, applied where the key lives.

A fleet capture fetches plain snapshots to the controller and redacts them there, so the key
never travels to a host. Same key, same pseudonyms: the result equals `capture --redact`.
"""

from __future__ import annotations

from pathlib import Path

import click

from netstack_docs.capture.redact import DEFAULT_KEY_PATH, load_or_create_key, redact
from netstack_docs.errors import UserError
from netstack_docs.snapshot import dump_snapshot, load_snapshot, validate_document, write_atomic


@click.command(epilog="Example: netstack-docs redact snapshots/prod/web-01.json --redact-key ~/fleet.key")
@click.argument("snapshot", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the redacted snapshot. Default: replace SNAPSHOT (atomically).")
@click.option("--redact-key", "redact_key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Secret key file (created if missing; keep it out of the snapshot repo). "
                   f"Default: {DEFAULT_KEY_PATH}.")
def command(snapshot: Path, out: Path | None, redact_key: Path | None) -> None:
    """Replace addresses, MACs and host names in SNAPSHOT with the keyed pseudonyms of `capture --redact`."""
    doc = load_snapshot(snapshot)
    if doc["meta"].get("redacted"):
        raise UserError(f"{snapshot}: meta.redacted: already redacted (a second pass would turn the "
                        "pseudonyms into other ones, unlike those of hosts redacted once with the same key)")
    key = load_or_create_key(redact_key)
    target = out or snapshot
    done = validate_document(redact(doc, key), target)
    try:
        write_atomic(target, dump_snapshot(done))
    except OSError as exc:
        raise UserError(f"{target}: cannot write the snapshot: {exc.strerror or exc}") from None
