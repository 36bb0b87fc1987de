"""Live preview: build once, serve the site, rebuild and reload browsers when pages or snapshots change.

It reuses MkDocs' own live-reload server (it injects the reload script into served pages) but the
builder is our whole pipeline, so a change to a snapshot re-renders the generated pages too.
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
from pathlib import Path

from netstack_docs.errors import UserError
from netstack_docs.site.build import build_site
from netstack_docs.site.project import find_project


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM ends the preview like Ctrl+C: the temporary site is removed


def serve(
    snapshots_dir: Path,
    host: str,
    port: int,
    project_dir: Path | None = None,
    config_file: Path | None = None,
) -> None:
    from mkdocs.livereload import LiveReloadServer

    project = find_project(project_dir, config_file)
    signal.signal(signal.SIGTERM, _stop)
    work = Path(tempfile.mkdtemp(prefix="netstack-docs-serve-"))
    site_dir = work / "site"

    def rebuild() -> None:
        try:
            result = build_site(
                snapshots_dir, site_dir, build_dir=work / "build", project_dir=project.root,
                config_file=config_file,
            )
        except UserError as exc:
            # Keep serving the last good site; the message names the file and field to fix.
            print(f"netstack-docs: build failed, still serving the previous site: {exc}", file=sys.stderr)
            return
        print(
            f"netstack-docs: rebuilt {result.pages} pages in {sum(result.seconds.values()):.1f} s",
            file=sys.stderr,
        )

    rebuild()
    if not site_dir.exists():
        shutil.rmtree(work, ignore_errors=True)
        raise UserError("the first build failed; fix the problem above and run `netstack-docs serve` again")
    server = LiveReloadServer(builder=rebuild, host=host, port=port, root=str(site_dir))
    watched = [project.docs, snapshots_dir, *([project.config.path] if project.config.path else [])]
    for path in watched:
        if path.exists():
            server.watch(str(path.absolute()))
    print(
        f"netstack-docs: serving on http://{host}:{port}/ (watching docs/, mkdocs.yml and {snapshots_dir}/; "
        "Ctrl+C stops)",
        file=sys.stderr,
    )
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # the address is taken or not ours to bind
        reason = exc.strerror or str(exc)
        raise UserError(f"cannot serve on {host}:{port}: {reason}; choose another --dev-addr") from None
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
