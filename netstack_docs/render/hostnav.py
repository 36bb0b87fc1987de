"""The front matter of a host's pages: the host's own sidebar (ten layers with counts) and search hints.

Host pages stay out of the global nav (DESIGN.md: a nav holding every host page grows each page's
HTML and the build time with the square of the fleet). Instead each host page carries, in its front
matter, the dozen links of its own host (environment, host, changes page, ten layers with their
component counts, the current one marked); the theme override `netstack_docs/site/theme/main.html`
draws them as the left sidebar and as breadcrumbs. The cost is a constant per page, so the build
stays linear in the number of hosts.

Front matter is one line of JSON that is also YAML (`yaml_json`): untrusted host strings stay data
there, and the override escapes every one of them (`|e`) when it draws the HTML. JSON because the
site reads it with json.loads (netstack_docs.site.readypage), some 40 times faster than MkDocs'
YAML loader on a host's sidebar (about 0.6 ms a page, issue 24); YAML for every other reader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


# Characters JSON leaves as they are but YAML does not read back as themselves: outside YAML's
# printable set, or line breaks to it (NEL, LS, PS), the byte order mark, lone surrogates.
_NOT_YAML = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")


def yaml_json(value: Any) -> str:
    """`value` as one line of JSON that YAML reads as the same data (a flow mapping of double-quoted
    strings: JSON's escapes are YAML's); characters YAML would not keep are written as \\uXXXX."""
    text = json.dumps(value, ensure_ascii=False)
    return _NOT_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def host_nav(
    env: str,
    hostname: str,
    index_path: str,
    layers: Sequence[LayerLink],
    changes_path: str | None,
    interfaces_path: str | None = None,
) -> str:
    """The `netstack_host` front matter entry, the same on all of a host's pages (encoded once per host).

    Every path is a build-dir .md path (the theme makes URLs). Encoded by `yaml_json`: any host
    string stays on the one line, with control characters escaped, so nothing in it can end the
    front matter block (a line of `---`) or become structure. Counts are strings (the theme reads
    them with `|int`), as the YAML written before had them."""
    nav = {
        "env": env,
        "env_page": f"{env}/index.md",
        "hostname": hostname,
        "host_page": index_path,
        "changes_page": changes_path,
        "interfaces_page": interfaces_path,
        "layers": [{"slug": x.slug, "title": x.title, "count": str(x.count), "page": x.path} for x in layers],
    }
    return yaml_json(nav)


def front_matter(current: str | None, nav_json: str) -> str:
    """One page's front matter: its layer (None: the host page; INTERFACES: the interfaces page), its
    search settings, the host's nav.

    Layer pages and the interfaces page stay out of the search index; the host page carries the
    host's searchable summary.
    """
    ours = {
        "netstack_current": current or "",
        "search": {"exclude": True} if current else {"boost": HOST_PAGE_BOOST},
    }
    return f"---\n{yaml_json(ours)[:-1]}, \"netstack_host\": {nav_json}}}\n---\n\n"
