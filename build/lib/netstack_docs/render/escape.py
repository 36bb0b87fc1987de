"""Make untrusted snapshot strings show literally in Markdown and HTML, and keep tables in shape.

Every string from a snapshot (ifnames, aliases, nft comments, hostnames) is untrusted: it may hold
`|`, `<`, `[`, `` ` ``, `{{`, newlines or control bytes. These functions turn it into text that
Python-Markdown (with tables, attr_list, md_in_html) and the browser display as the same characters,
and never as markup. Trusted Markdown (the curated model YAML) is wrapped in `Trusted` instead.
"""

from __future__ import annotations

import re

__all__ = ["Trusted", "md_text", "md_code", "html_text", "html_attr", "code_fence", "trusted"]


class Trusted(str):
    """A string that is already Markdown/HTML we wrote (or already escaped): output as is."""

    __slots__ = ()


def trusted(s: str) -> Trusted:
    return Trusted(s)


# Control characters are shown as visible \xNN escapes. Python-Markdown uses \x02/\x03 as
# placeholder delimiters for stashed HTML, so letting them through could smuggle raw HTML back in.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _visible_controls(s: str) -> str:
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return _CONTROL.sub(lambda m: named.get(m.group(), f"\\x{ord(m.group()):02x}"), s)


# Characters with a Markdown meaning, escaped with a backslash (all in Python-Markdown's
# ESCAPED_CHARS). `<`, `>`, `&` and `|` become entities instead: entities work in HTML, in
# table cells (a literal `|` would split the cell) and inside md_in_html spans.
_BACKSLASH = set("\\`*_{}[]()#+-.!")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "|": "&#124;"}


_MD_TABLE = str.maketrans({**{ch: "\\" + ch for ch in _BACKSLASH}, **_ENTITIES})


def md_text(value: object) -> Trusted:
    """Inline Markdown text that renders as exactly `value`, safe in paragraphs, lists and table cells."""
    return Trusted(_visible_controls(str(value)).translate(_MD_TABLE))


def md_code(value: object) -> Trusted:
    """An inline code span that survives backticks and `|` inside table cells."""
    return Trusted(f"<code>{md_text(value)}</code>")


def html_text(value: object) -> Trusted:
    """Text content inside a raw HTML block (where Markdown is not processed)."""
    s = _visible_controls(str(value))
    return Trusted(s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def html_attr(value: object) -> Trusted:
    """A double-quoted HTML attribute value."""
    return Trusted(html_text(value).replace('"', "&quot;").replace("'", "&#39;"))


def code_fence(text: str, lang: str = "sh") -> Trusted:
    """A fenced code block whose fence is longer than any backtick run inside, so no content can close it.

    The content is shown verbatim by the code block (the highlighter escapes HTML); only control
    characters other than newline and tab are made visible.
    """
    body = _CONTROL.sub(lambda m: m.group() if m.group() in "\n\t" else f"\\x{ord(m.group()):02x}", text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return Trusted(f"{fence}{lang}\n{body}\n{fence}")
