"""Read what is already published on the gh-pages branch: the versions, and the snapshots each carries.

The next publication compares against the newest published version, using the snapshot.json files
that version itself carries (<version>/<env>/<host>/snapshot.json), not whatever the working tree
holds now. Reading goes through git (ls-tree, show): nothing is checked out.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from mike import commands as mike_commands
from mike import git_utils

from netstack_docs.errors import UserError

_PUBLISHED = re.compile(r"^[^/]+/([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9-]*)/snapshot\.json$")


def git(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["git", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise UserError(f"git {' '.join(args)}: {proc.stderr.strip() or 'failed'}")
    return proc


def published_versions(branch: str) -> list[str]:
    """Version names on `branch`, newest first (mike's order); empty when nothing is published."""
    return [str(info.version) for info in mike_commands.list_versions(branch)]


def sync_from_remote(remote: str, branch: str) -> bool:
    """Fetch `remote`/`branch` and fast-forward the local branch to it; False when there is no remote."""
    if git("remote", "get-url", remote, check=False).returncode != 0:
        return False
    refspec = f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}"
    fetch = git("fetch", "--quiet", "--no-tags", remote, refspec, check=False)
    if fetch.returncode != 0 and "couldn't find remote ref" not in fetch.stderr:
        raise UserError(f"git fetch {remote} {branch}: {fetch.stderr.strip()}")
    try:
        git_utils.update_from_upstream(remote, branch)
    except (git_utils.GitBranchDiverged, git_utils.GitRevUnrelated) as exc:
        raise UserError(f"{exc}; reconcile the local {branch} with {remote}/{branch} first") from None
    return True


def extract_snapshots(branch: str, version: str, into: Path) -> int:
    """Write version's carried snapshots to `into`/<env>/<host>.json; returns how many."""
    listing = git("ls-tree", "-r", "--name-only", "--full-tree", branch, "--", f"{version}/")
    count = 0
    for path in listing.stdout.splitlines():
        match = _PUBLISHED.match(path)
        if match is None or not path.startswith(f"{version}/"):
            continue
        env, host = match.groups()
        target = into / env / f"{host}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(git_utils.read_file(branch, path))
        count += 1
    return count
