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

# `netstack_current` of the interfaces page (a layer page's is its slug, the host page's is empty).
INTERFACES = "interfaces"
# Material's search weights: a host's own page is where a search for its name should land.
HOST_PAGE_BOOST = 2


@dataclass(frozen=True)
class LayerLink:
    slug: str
    title: str
    count: int
    path: str  # build-dir .md path


# libyaml's emitter when present: a fleet's build writes eleven front matter blocks per host.
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def host_nav_yaml(
    env: str,
    hostname: str,
    index_path: str,
    layers: Sequence[LayerLink],
    changes_path: str | None,
    interfaces_path: str | None = None,
) -> str:
    """The `netstack_host` front matter block, the same on all of a host's pages (written once per host).

    Every path is a build-dir .md path (the theme makes URLs). Every scalar is double-quoted: that
    keeps any host string on one line, with control characters escaped, so nothing in it can end
    the front matter block (a line of `---`) or become YAML structure.
    """
    nav = {
        "env": env,
        "env_page": f"{env}/index.md",
        "hostname": hostname,
        "host_page": index_path,
        "changes_page": changes_path,
        "interfaces_page": interfaces_path,
        "layers": [{"slug": x.slug, "title": x.title, "count": x.count, "page": x.path} for x in layers],
    }
    return yaml.dump(
        {"netstack_host": nav}, Dumper=_DUMPER, sort_keys=False, default_style='"', width=1_000_000
    )


def front_matter(current: str | None, nav_yaml: str) -> str:
    """One page's front matter: its layer (None: the host page; INTERFACES: the interfaces page), its
    search settings, the host's nav.

    Layer pages and the interfaces page stay out of the search index; the host page carries the
    host's searchable summary.
    """
    ours = {
        "netstack_current": current or "",
        "search": {"exclude": True} if current else {"boost": HOST_PAGE_BOOST},
    }
    return f"---\n{yaml.dump(ours, Dumper=_DUMPER, sort_keys=False)}{nav_yaml}---\n\n"
