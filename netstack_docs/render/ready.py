"""Ready HTML for generated pages: the bulk of a layer page written as HTML, not Markdown (issue 24).

A host's layer and interfaces pages hold hundreds of components; converting their facts tables,
code blocks and links from Markdown (and parsing the raw HTML of listings, twice) was over half of
a build. So the generated pages write those parts as HTML between two marker lines, and the site's
Markdown extension (netstack_docs.site.readyhtml) hands each block to Python-Markdown's HTML stash
untouched. Headings stay Markdown headings (the table of contents, the permalinks and MkDocs' anchor
validation read them); inside a block, every element id is registered as an anchor of the page and
every relative `.md` link is checked and made a URL by the site's hook, as MkDocs does for Markdown.

Every string from a snapshot goes through `html_text`/`html_attr` here; hrefs come from `rel` (slugs
only). The HTML is what Python-Markdown produced for the same Markdown, so pages look the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from netstack_docs.render.escape import Trusted, html_attr, html_text

# Control characters but newline and tab: shown as \xNN in code blocks (as escape.code_fence does).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

OPEN = "<!-- netstack:ready -->"
# The first line of a page written whole as HTML (netstack_docs.site.readypage builds it).
PAGE = "<!-- netstack:page -->"
CLOSE = "<!-- /netstack:ready -->"


def ready(html: str) -> Trusted:
    """One block of ready HTML (it must start with a block-level element) as Markdown source lines."""
    return Trusted(f"{OPEN}\n{html}\n{CLOSE}\n")


def code_html(text: str, lang: str = "sh") -> Trusted:
    """A code block as pymdownx.highlight writes a fence without Pygments; like `code_fence`, control
    characters other than newline and tab are made visible."""
    body = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    body = body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Trusted(f'<pre class="highlight"><code class="language-{lang}">{body}</code></pre>')


def table_html(head: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A table as Python-Markdown's tables extension writes it; cells are untrusted text."""
    out = ["<table>\n<thead>\n<tr>\n"]
    out.extend(f"<th>{html_text(h)}</th>\n" for h in head)
    out.append("</tr>\n</thead>\n<tbody>\n")
    for row in rows:
        out.append("<tr>\n")
        out.extend(f"<td>{html_text(cell)}</td>\n" for cell in row)
        out.append("</tr>\n")
    out.append("</tbody>\n</table>")
    return "".join(out)


def link_html(text: str, href: str) -> str:
    """`<a href>` with untrusted text; `href` must come from `rel` (a relative .md link, slugs only)."""
    if not isinstance(href, Trusted):
        raise TypeError("link_html needs an href built by rel()")
    return f'<a href="{href}">{html_text(text)}</a>'


def _same_dir_href(layer: str, anchor: str) -> Trusted:
    """A link from one of a host's pages to another of the same host (all in one directory)."""
    from netstack_docs.render.env import anchor_id

    if not layer or not set(layer) <= set("abcdefghijklmnopqrstuvwxyz-"):
        raise ValueError(f"not a layer slug: {layer!r}")
    return Trusted(f"{layer}.md#{anchor_id(anchor)}")


def curated_html(markdown_text: str) -> Trusted:
    """Curated Markdown of the model (a layer's summary: trusted text) as HTML, converted once a build."""
    return _curated_html(str(markdown_text))


@cache
def _curated_html(text: str) -> Trusted:
    import markdown

    return Trusted(markdown.markdown(text, extensions=["attr_list", "md_in_html", "tables"]))


def details_html(c: Any) -> Trusted:
    """A component's details on its layer page as a ready block (a page still written as Markdown)."""
    return ready(details_block(c))


def details_block(c: Any) -> Trusted:
    """A component's details on its layer page (namespace, facts, related components, commands) as
    HTML: what layer.md.j2 wrote as Markdown inside a `markdown="block"` div."""
    parts = [
        '<div class="netstack-details" data-search-exclude="data-search-exclude">',
        f"<p>In the {html_text(c.namespace.label)}.</p>",
    ]
    if c.facts:
        rows = ((label, "—" if value is None else value) for label, value in c.facts)
        parts.append(table_html(("Fact", "Value"), rows))
    for r, layer in c.links:
        parts.append(f"<p>{html_text(r.label)}: {link_html(r.text, _same_dir_href(layer, r.anchor))}</p>")
    for command in c.commands:
        parts.append(f"<p>{html_text(command.title)}:</p>")
        parts.append(code_html(command.text))
    parts.append("</div>")
    return Trusted("\n".join(parts))


def compact_block(section: Any) -> Trusted:
    """A kind with many components (netstack_docs.render.pages.KindSection, `compact`) as one table,
    a row per component carrying its anchor: written here rather than by template loops (a routing
    page has hundreds of rows, each a dozen escaped values: the template was most of the page's
    render time). Search indexes the name column only (and not even that for sysctls, whose names
    are the same on every host): a fleet's search index must stay small enough for a browser."""
    from netstack_docs.render.env import anchor_id

    components = section.components
    exclude = " data-search-exclude" if components[0].identity_kind == "sysctl" else ""
    head = "".join(f"<th>{html_text(label)}</th>" for label in section.columns)
    out = [
        '<div class="netstack-compact">',
        f"<table{exclude}>",
        f"<thead data-search-exclude><tr><th>Name</th><th>Namespace</th>{head}<th>Inspect</th></tr></thead>",
        "<tbody>",
    ]
    for c in components:
        facts = dict(c.facts)
        anchor = anchor_id(c.anchor)
        cells = "".join(
            f"<td data-search-exclude>{_fact_cell(facts, label)}</td>" for label in section.columns
        )
        commands = "<br>".join(
            f'<code title="{html_attr(cmd.title)}">{html_text(cmd.text)}</code>' for cmd in c.commands
        )
        out.append(
            f'<tr id="{anchor}"><td><a href="#{anchor}">{html_text(c.name)}</a></td>'
            f"<td data-search-exclude>{html_text(c.namespace.label)}</td>{cells}"
            f"<td data-search-exclude>{commands}</td></tr>"
        )
    out.extend(("</tbody>", "</table>", "</div>"))
    return Trusted("\n".join(out))


def _fact_cell(facts: dict[str, Any], label: str) -> str:
    if label not in facts:
        return ""
    value = facts[label]
    return "—" if value is None else html_text(value)
