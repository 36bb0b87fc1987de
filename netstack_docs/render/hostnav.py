"""The front matter of a host's pages: the host's own sidebar (ten layers with counts) and search hints.

Host pages stay out of the global nav (DESIGN.md: a nav holding every host page grows each page's
HTML and the build time with the square of the fleet). Instead each host page carries, in its front
matter, the dozen links of its own host (environment, host, changes page, ten layers with their
component counts, the current one marked); the theme override `netstack_docs/site/theme/main.html`
draws them as the left sidebar and as breadcrumbs. The cost is a constant per page, so the build
stays linear in the number of hosts.

Front matter is YAML written by `yaml.safe_dump`: untrusted host strings stay data there, and the
override escapes every one of them (`|e`) when it draws the HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

# Material's search weights: a host's own page is where a search for its name should land.
HOST_PAGE_BOOST = 2


@dataclass(frozen=True)
class LayerLink:
    slug: str
    title: str
    count: int
    path: str  # build-dir .md path


def host_nav(
    env: str,
    hostname: str,
    index_path: str,
    layers: Sequence[LayerLink],
    current: str | None,
    changes_path: str | None,
) -> dict[str, Any]:
    """The `netstack_host` front matter block: every path is a build-dir .md path (the theme makes URLs)."""
    return {
        "env": env,
        "env_page": f"{env}/index.md",
        "hostname": hostname,
        "host_page": index_path,
        "changes_page": changes_path,
        "current": current or "",
        "layers": [{"slug": x.slug, "title": x.title, "count": x.count, "page": x.path} for x in layers],
    }


def front_matter(ours: dict[str, Any], untrusted: dict[str, Any]) -> str:
    """A YAML front matter block: `ours` as plain YAML, `untrusted` with every scalar double-quoted.

    Double quotes keep any host string on one line, with control characters escaped, so nothing in
    it can end the front matter block (a line of `---`) or become YAML structure.
    """
    body = yaml.safe_dump(ours, sort_keys=False) if ours else ""
    if untrusted:
        body += yaml.safe_dump(untrusted, sort_keys=False, default_style='"', width=1_000_000)
    return f"---\n{body}---\n\n"
