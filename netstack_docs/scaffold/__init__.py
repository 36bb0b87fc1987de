"""`netstack-docs new`: lay out a docs repository that builds at once.

The files under `files/` are written as they are, with `@@SITE_NAME@@`, `@@ENV@@`, `@@VERSION@@`
and the example's parts (`@@EXAMPLE_NAV@@`, `@@EXAMPLE_NOTE@@`) filled in (a marker that clashes
with neither Jinja2, GitHub's `${{ }}` nor shell).
Names starting with `dot-` become dotfiles (`dot-github/` -> `.github/`): dotfiles are easily lost
when a package is built.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from netstack_docs import __version__
from netstack_docs.errors import UserError
from netstack_docs.snapshot.load import is_slug

FILES = Path(__file__).resolve().parent / "files"
EXAMPLE_SNAPSHOT = Path(__file__).resolve().parent / "example-host.json"
EXAMPLE_HOST = "example-01"
ENV_README = Path("snapshots") / "README.md"  # written into each environment's directory
EXAMPLE_RUNBOOK = Path("docs") / "runbooks" / "example.md"  # links to the example host: both or neither

# mkdocs.yml's nav and the README's note, with the example (host + runbook) and without it (--no-example)
EXAMPLE_NAV = """nav:
  - Runbooks:
      - runbooks/example.md
"""
NO_EXAMPLE_NAV = """# nav:
#   - Runbooks:
#       - runbooks/edge-router.md
"""
EXAMPLE_NOTE = """`snapshots/@@ENV@@/example-01.json` is an example host, and `docs/runbooks/example.md`
(listed in `mkdocs.yml`'s `nav`) links to it. They go together: when your first host is captured, remove the
host, the runbook and its `nav` entry in one change (a runbook whose host is gone fails the strict
build), or start without them: `netstack-docs new DIR --no-example`.
"""
NO_EXAMPLE_NOTE = """This repository was created without the example host and runbook
(`netstack-docs new --no-example`): the site shows each environment with "no host captured yet"
until its first snapshot is in `snapshots/<env>/`.
"""


@dataclass(frozen=True)
class Scaffold:
    site_name: str
    envs: tuple[str, ...]
    example: bool = True  # the example host and the runbook that links to it

    def fill(self, text: str, env: str) -> str:
        markers = {
            "@@EXAMPLE_NAV@@": EXAMPLE_NAV if self.example else NO_EXAMPLE_NAV,
            "@@EXAMPLE_NOTE@@": EXAMPLE_NOTE if self.example else NO_EXAMPLE_NOTE,
            "@@SITE_NAME_YAML@@": json.dumps(
                self.site_name
            ),  # a JSON string is a YAML scalar, whatever it holds
            "@@SITE_NAME@@": self.site_name,
            "@@ENV@@": env,
            "@@VERSION@@": __version__,
        }
        for marker, value in markers.items():
            text = text.replace(marker, value)
        return text


def _target(rel: Path) -> Path:
    return Path(*(("." + part[4:]) if part.startswith("dot-") else part for part in rel.parts))


def check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise UserError(f"{target}: exists and is not a directory")
    if target.is_dir():
        present = sorted(p.name for p in target.iterdir())
        if present:
            shown = ", ".join(present[:8]) + (f" and {len(present) - 8} more" if len(present) > 8 else "")
            raise UserError(
                f"{target}: not empty ({shown}); `new` only writes into an empty or new directory"
            )


def check_scaffold(site_name: str, envs: tuple[str, ...], example: bool = True) -> Scaffold:
    if not site_name.strip() or "\n" in site_name:
        raise UserError("--site-name: one line of text")
    for env in envs:
        if not is_slug(env):
            raise UserError(f"--env {env!r}: an environment is a URL segment: use a-z, 0-9 and -")
    return Scaffold(site_name, envs or ("prod",), example)


def example_snapshot(env: str) -> str:
    """The bundled example host, moved to `env` (its directory must match its own host.env)."""
    doc = json.loads(EXAMPLE_SNAPSHOT.read_text(encoding="utf-8"))
    doc["host"].update(env=env, hostname=EXAMPLE_HOST, node_name=EXAMPLE_HOST, role="example: edge router")
    return json.dumps(doc, indent=1, sort_keys=False) + "\n"


def _compiled(path: Path) -> bool:
    """Python's byte-code of the role's action plugin (written beside it when the package is installed)."""
    return "__pycache__" in path.parts or path.suffix == ".pyc"


def write_scaffold(target: Path, scaffold: Scaffold) -> list[Path]:
    """Write every file; returns them (relative to target) in the order written."""
    check_target(target)
    first = scaffold.envs[0]
    written: list[Path] = []

    def put(rel: Path, text: str) -> None:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text, encoding="utf-8")
        written.append(rel)

    for source in sorted(p for p in FILES.rglob("*") if p.is_file() and not _compiled(p)):
        rel = source.relative_to(FILES)
        if rel == EXAMPLE_RUNBOOK and not scaffold.example:
            continue
        text = source.read_text(encoding="utf-8")
        if rel == ENV_README:
            for env in scaffold.envs:
                put(Path("snapshots") / env / "README.md", scaffold.fill(text, env))
            continue
        put(_target(rel), scaffold.fill(text, first))
    if scaffold.example:
        put(Path("snapshots") / first / f"{EXAMPLE_HOST}.json", example_snapshot(first))
    return written
