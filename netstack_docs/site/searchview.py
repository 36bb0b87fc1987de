"""What Material's search plugin parses of a page: its HTML with the insides of excluded elements left out.

Material's search (material/plugins/search) feeds every indexed page's HTML to Python's `html.parser`
and drops whatever sits inside an element marked `data-search-exclude`. A host page is mostly such
elements (the exposure regions, the figures, the tables), so the parser spent about 25 ms a host
tokenizing text it then threw away (issue 24). `search_view` empties those elements first: the parser
sees each one open and close with nothing inside, and builds the same index entries.

Only elements whose content holds no heading are emptied: a heading starts a section of the index
even inside an excluded element. After a heading marked `data-search-exclude`, the elements that
follow it beside it are emptied too (its section is left out of the index, and all they hold goes into
it), up to the next heading or the end of their parent: a host page marks its headings so, not their
tables (Material's parser spent about 12 ms a host page on them). The theme's hook (theme/hook.py)
hands this view to the search plugin and gives the page its full HTML back afterwards, with the
plugin's own clean-up applied to it.
"""

from __future__ import annotations

import re
from typing import Any

# The search plugin's own clean-up of a page's HTML after indexing it (material/plugins/search/plugin.py).
SEARCH_ATTRS = re.compile(r"\s?data-search-\w+=\"[^\"]+\"")
_SEARCH_ATTR = re.compile(r"data-search-\w+=\"[^\"]+\"")  # SEARCH_ATTRS but its optional first space


def strip_search_attrs(html: str) -> str:
    """`SEARCH_ATTRS.sub("", html)`, faster: the pattern's optional leading space makes the regex engine
    try a match at every character of a page (about 1 ms on a large one), so this finds the literal
    attribute name and takes the one whitespace character before it, as `\\s?` would."""
    if "data-search-" not in html:
        return html
    out: list[str] = []
    pos = 0
    for m in _SEARCH_ATTR.finditer(html):
        start = m.start()
        if start > pos and html[start - 1].isspace():  # what `\\s` matches: str.isspace's characters
            start -= 1
        out.append(html[pos:start])
        pos = m.end()
    out.append(html[pos:])
    return "".join(out)

EXCLUDE = "data-search-exclude"
_VALUE = r"""(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?"""
# One token of markup: a whole start or end tag (attribute values skipped over, whatever they hold), a
# comment, or any other `<`, which this module cannot read past (text's `<` is always escaped).
_TOKEN = re.compile(
    rf"""<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s"'>/=]+{_VALUE})*)\s*(/?)>|<!--.*?-->|<""", re.S
)
_ATTR_NAME = re.compile(rf"""\s+([^\s"'>/=]+){_VALUE}""")
_HEADINGS = frozenset(f"h{n}" for n in range(1, 7))
_RAW_TEXT = frozenset(("script", "style", "textarea", "title"))
# Tags the plugin's parser never puts on its stack of open elements (its `void`).
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


def _excluded(attrs: str) -> bool:
    return EXCLUDE in attrs and any(a.group(1).lower() == EXCLUDE for a in _ATTR_NAME.finditer(attrs))


def _excluded_section(attrs: str) -> bool:
    """A heading with these attributes starts a section the plugin leaves out (only one with an id
    starts a section at all)."""
    names = {a.group(1).lower() for a in _ATTR_NAME.finditer(attrs)}
    return EXCLUDE in names and "id" in names


def search_view(html: str) -> str:
    """`html` with the content of every `data-search-exclude` element that holds no heading left out.

    It keeps the plugin parser's stack of open elements as that parser does (a start tag pushes, an end
    tag pops only the element on top of its name, a self-closing tag pushes and pops), so an element
    ends here where it ends for the plugin. Anything this module cannot read (a `<` that starts no
    tag, a script) leaves the rest of the page as it is."""
    if EXCLUDE not in html:
        return html
    stack: list[str] = []  # open elements, as the plugin's parser has them
    # Open elements to empty, nested ones too: [their depth, content start, a heading inside].
    open_cuts: list[list[Any]] = []
    cuts: list[tuple[int, int]] = []  # content ranges to leave out, in order, none inside another
    # In the section of a heading marked excluded (the plugin drops the section whole), at the depth
    # of that heading: what starts there until the next heading or its parent's end is in that section.
    excluded_section, section_depth = False, 0
    for m in _TOKEN.finditer(html):
        name = m.group(2)
        if name is None:
            if m.group(0) == "<":
                break  # not markup this module can read: the rest stays whole
            continue  # a comment
        tag = name.lower()
        if tag in _RAW_TEXT:
            break
        if not m.group(1):  # a start tag
            if tag in _HEADINGS:  # a section starts (the plugin's parser: at this depth)
                for c in open_cuts:
                    c[2] = True
                excluded_section, section_depth = _excluded_section(m.group(3)), len(stack)
            if tag in _VOID or m.group(4):
                if tag in _HEADINGS:
                    excluded_section = False  # a self-closing heading: not worth following
                continue  # never on the stack (self-closing: pushed and popped at once)
            if tag not in _HEADINGS and (
                _excluded(m.group(3)) or (excluded_section and len(stack) == section_depth)
            ):
                open_cuts.append([len(stack), m.end(), False])
            stack.append(tag)
            continue
        if not stack or stack[-1] != tag:
            continue  # the plugin's parser ignores an end tag that does not close the top element
        stack.pop()
        if len(stack) < section_depth:
            excluded_section = False  # the heading's parent ends: the plugin goes back to another section
        if open_cuts and len(stack) == open_cuts[-1][0]:
            _, start, heading = open_cuts.pop()
            if not heading:
                while cuts and cuts[-1][0] >= start:
                    cuts.pop()  # inside this one
                cuts.append((start, m.start()))
    out, pos = [], 0
    for start, end in cuts:
        out.append(html[pos:start])
        pos = end
    out.append(html[pos:])
    return "".join(out)
