"""The Jinja2 environment for page templates: every `{{ value }}` is escaped unless marked trusted.

Templates are files under netstack_docs/render/templates/ (one per page type); snapshot strings are only
ever *values* passed to them, never template source, so `{{7*7}}` in an ifname stays text.
The escaping works like HTML autoescape, but for Markdown: `finalize` runs on every interpolated
value and passes it through `md_text` unless it is a `Trusted` string (curated model Markdown via
the `md` filter, or the output of one of the escaping filters below).
"""

from __future__ import annotations

import posixpath
from functools import cache
from typing import Any

import jinja2

from netstack_docs.render.escape import Trusted, code_fence, html_attr, html_text, md_code, md_text
from netstack_docs.render.ready import code_html, compact_block, curated_html, details_block, details_html

SLUG_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


def _finalize(value: Any) -> str:
    if isinstance(value, Trusted):
        return value
    if value is None:
        return "—"
    return md_text(value)


def _finalize_html(value: Any) -> str:
    if isinstance(value, Trusted):
        return value
    if value is None:
        return "—"
    return html_text(value)


def trusted_md(value: str) -> Trusted:
    """Mark curated Markdown (model YAML, hand-written pages) as safe to emit unescaped."""
    return Trusted(value)


def md_indent(value: str, width: int = 4) -> Trusted:
    """Indent already-safe Markdown (e.g. inside an admonition); refuses untrusted text."""
    if not isinstance(value, Trusted):
        raise TypeError("md_indent only indents Trusted Markdown; escape the value first")
    pad = " " * width
    return Trusted("\n".join(pad + line if line else line for line in value.split("\n")))


def html_lines(lines: list[Any]) -> Trusted:
    """Lines of untrusted text as HTML text, one a line (a listing inside `<pre>`)."""
    return Trusted("\n".join(html_text(line) for line in lines))


def anchor_id(value: str) -> Trusted:
    """An element id: anchors are generated as [a-z0-9-] (identity.py); anything else is a bug."""
    if not value or not set(value) <= SLUG_CHARS:
        raise ValueError(f"not an anchor id: {value!r}")
    return Trusted(value)


def kind_anchor(kind_id: str) -> Trusted:
    """The anchor of a component kind's section (same id on the handbook and on host layer pages)."""
    return anchor_id("kind-" + "".join(ch if ch in SLUG_CHARS else "-" for ch in kind_id.lower()))


@jinja2.pass_context
def rel(context: jinja2.runtime.Context, target: str, anchor: str | None = None) -> Trusted:
    """A link from the current page (`page_path` in the context) to another build-dir .md file.

    Relative `.md` links are what MkDocs validates: a missing page or anchor fails the strict build.
    """
    here = posixpath.dirname(context["page_path"])
    path = posixpath.relpath(target, here or ".")
    if anchor:
        path += "#" + anchor_id(anchor)
    return Trusted(path)


@jinja2.pass_context
def trace_href(
    context: jinja2.runtime.Context, env: str, host: str, flow: dict[str, Any] | None = None
) -> Trusted:
    """A link from the current page to /trace/ with `env/host` chosen and, given a flow, filled in."""
    from netstack_docs.render.tracelink import trace_query

    return Trusted(rel(context, "trace.md") + "?" + trace_query(env, host, flow))


def link(text: Any, href: str) -> Trusted:
    """`[text](href)` with the text escaped; href must come from `rel` (built from slugs only)."""
    if not isinstance(href, Trusted):
        raise TypeError("link() needs an href built by rel()")
    return Trusted(f"[{md_text(text)}]({href})")


def _templates(finalize: Any) -> jinja2.Environment:
    """The package's templates, strict about undefined names; `finalize` escapes every `{{ }}`."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("netstack_docs.render", "templates"),
        undefined=jinja2.StrictUndefined,
        finalize=finalize,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


@cache
def environment() -> jinja2.Environment:
    env = _templates(_finalize)
    env.filters.update(
        md=trusted_md,
        code=md_code,
        text=md_text,
        html=html_text,
        attr=html_attr,
        fence=code_fence,
        md_indent=md_indent,
        anchor=anchor_id,
    )
    env.globals.update(
        rel=rel, link=link, kind_anchor=kind_anchor, trace_href=trace_href, details_html=details_html
    )
    return env


@cache
def html_environment() -> jinja2.Environment:
    """For pages written whole as HTML (`*.html.j2`, netstack_docs.render.ready.PAGE): every `{{ }}`
    is escaped as HTML text unless Trusted; `md` converts curated model Markdown to HTML."""
    env = _templates(_finalize_html)
    env.filters.update(md=curated_html, html=html_text, attr=html_attr, anchor=anchor_id)
    env.filters.update(trusted=Trusted, html_lines=html_lines)
    env.globals.update(rel=rel, kind_anchor=kind_anchor, code=code_html)
    env.globals.update(details_block=details_block, compact_block=compact_block)
    return env


def render(template: str, page_path: str, **context: Any) -> str:
    """Render one page template; `page_path` is the page's path in the build dir (for relative links).
    A `*.html.j2` template writes a page whole as HTML, in its own environment (html_environment)."""
    env = html_environment() if template.endswith(".html.j2") else environment()
    return env.get_template(template).render(page_path=page_path, **context)
