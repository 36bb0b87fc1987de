"""Escaping proven through the real Markdown pipeline of the site (the extensions of mkdocs.yml)."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

import markdown
import pytest

from netstack_docs.render.env import environment, render
from netstack_docs.render.escape import Trusted, code_fence, html_attr, md_code, md_text
from netstack_docs.site.project import base_config
from netstack_docs.site.readyhtml import ReadyHtmlExtension

REPO = Path(__file__).resolve().parents[2]
HOSTILE = [
    "a|b",
    "<b>x",
    "{{7*7}}",
    "[x](y)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "p`q",
    "``",
    "*a* _b_ **c**",
    "#1 + 2 - 3. !x",
    "a\\|b",
    "&amp; &lt;",
    "{: .cls}",
    "{ #id }",
    "1. item",
    "> quote",
    "<!-- c -->",
    "x\x02wzxhzdk:0\x03y",
    "line\nnext",
    "   spaced",
    "]]>",
    "~~s~~",
]


def to_html(text: str) -> str:
    config = base_config()
    extensions, configs = [], {}
    for ext in config["markdown_extensions"]:
        name, options = next(iter(ext.items())) if isinstance(ext, dict) else (ext, {})
        extensions.append(name)
        configs[name] = options or {}
    extensions.append(ReadyHtmlExtension())  # added by the site's hook (netstack_docs/site/theme/hook.py)
    return markdown.markdown(text, extensions=extensions, extension_configs=configs)


class Tree(html.parser.HTMLParser):
    """Collects element names, and the text of table cells and of the whole fragment."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""
        self.cells: list[str] = []
        self._cell: str | None = None
        self.feed(source)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append(self._cell)
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._cell is not None:
            self._cell += data


def visible(s: str) -> str:
    """What a reader sees: control characters as \\xNN, newline as \\n."""
    return s.replace("\n", "\\n").replace("\x02", "\\x02").replace("\x03", "\\x03")


@pytest.mark.parametrize("value", HOSTILE)
def test_md_text_renders_literally_in_a_paragraph(value: str) -> None:
    tree = Tree(to_html("Name: " + md_text(value)))
    assert tree.tags == ["p"], tree.tags
    assert tree.text == "Name: " + visible(value)


@pytest.mark.parametrize("value", HOSTILE)
def test_table_keeps_its_columns_and_shows_values_literally(value: str) -> None:
    source = f"| A | B | C |\n|---|---|---|\n| {md_text(value)} | {md_code(value)} | end |\n"
    tree = Tree(to_html(source))
    # A plain cell loses surrounding spaces (Markdown tables trim cells); the code cell keeps them.
    assert tree.cells[3:] == [visible(value).strip(), visible(value), "end"]
    assert set(tree.tags) <= {"table", "thead", "tbody", "tr", "th", "td", "code"}


@pytest.mark.parametrize("value", HOSTILE)
def test_md_in_html_heading_keeps_the_given_id_and_text(value: str) -> None:
    source = to_html(f'<h3 id="link-root--x" markdown="span">{md_text(value)}</h3>')
    tree = Tree(source)
    assert tree.tags == ["h3", "a"]  # the TOC saw the heading: it added its permalink
    assert source.startswith('<h3 id="link-root--x">') and 'href="#link-root--x"' in source
    assert tree.text.strip() == visible(value).strip() + "¶"



@pytest.mark.parametrize("value", HOSTILE)
def test_a_markdown_heading_with_an_explicit_id_keeps_the_id_and_text(value: str) -> None:
    """A component's heading on its layer page (layer.md.j2): a Markdown heading, for the TOC."""
    source = to_html(f"### {md_text(value)} {{ #link-root--x }}")
    tree = Tree(source)
    assert tree.tags == ["h3", "a"]  # the TOC saw the heading: it added its permalink
    assert source.startswith('<h3 id="link-root--x">') and 'href="#link-root--x"' in source
    assert tree.text.strip() == visible(value).strip() + "¶"


@pytest.mark.parametrize("value", HOSTILE)
def test_a_components_details_as_ready_html_show_every_value_literally(value: str) -> None:
    """details_html (netstack_docs.render.ready): namespace, facts, related links and commands of a
    component, passed through the site's Markdown untouched, every host string shown as text."""
    from types import SimpleNamespace as Obj

    from netstack_docs.render.ready import details_html

    related = Obj(label=value, text=value, anchor="link-root--x")
    component = Obj(
        namespace=Obj(label=value),
        facts=[("MTU", value), (value, "1500")],
        links=[(related, "virtual")],
        commands=[Obj(title=value, text=f"ip link show dev {value}")],
    )
    source = to_html(details_html(component) + "\nafter\n")
    tree = Tree(source)
    table = ["table", "thead", "tr", "th", "th", "tbody", "tr", "td", "td", "tr", "td", "td"]
    assert tree.tags == ["div", "p", *table, "p", "a", "p", "pre", "code", "p"], tree.tags
    assert tree.cells == ["Fact", "Value", "MTU", visible(value), visible(value), "1500"]
    assert f"In the {visible(value)}." in tree.text and f"{visible(value)}: {visible(value)}" in tree.text
    # the command is shown verbatim in its code block (newlines stay newlines there)
    assert f"ip link show dev {value}" in tree.text.replace("\\x02", "\x02").replace("\\x03", "\x03")
    assert 'href="virtual.md#link-root--x"' in source  # made a URL and checked by the site's hook
    assert tree.text.endswith("after")


def test_a_ready_block_is_not_closed_by_a_hostile_value() -> None:
    """The block ends at its marker line only; a value cannot write one (its `<` is escaped)."""
    from netstack_docs.render.escape import html_text
    from netstack_docs.render.ready import CLOSE, ready

    value = f"x\n{CLOSE}\n<script>window.__pwned=1</script>"
    tree = Tree(to_html(ready(f"<p>{html_text(value)}</p>") + "\n**after**\n"))
    assert tree.tags == ["p", "p", "strong"]
    assert "<script>" in tree.text and CLOSE in tree.text

def test_code_fence_cannot_be_closed_by_its_content() -> None:
    command = "echo ```\n````\nrm -rf / # <script>"
    tree = Tree(to_html(code_fence(command) + "\n\nafter"))
    assert "echo ```\n````\nrm -rf / # <script>" in tree.text
    assert tree.text.rstrip().endswith("after") and "script" not in tree.tags


def test_html_attr_quotes() -> None:
    assert html_attr("\"><x y='") == "&quot;&gt;&lt;x y=&#39;"


def test_templates_escape_every_value_unless_trusted(tmp_path: Path) -> None:
    env = environment()
    out = env.from_string("{{ a }}|{{ b }}|{{ c | md }}").render(
        a="{{7*7}} <i>", b=Trusted("**ok**"), c="*md*"
    )
    assert out == "\\{\\{7\\*7\\}\\} &lt;i&gt;|**ok**|*md*"


def test_template_values_are_never_evaluated_as_templates() -> None:
    out = environment().from_string("{{ name }}").render(name="{{ 7*7 }}{% raw %}")
    assert "49" not in out and "raw" in out


def test_undefined_values_fail_loudly() -> None:
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        render("home.md.j2", "index.md")


def test_a_fence_inside_the_details_block_keeps_html_like_names_as_code() -> None:
    """Netns names may hold `<div>` (not `/`): inside the md_in_html details block they stay code."""
    command = "ip netns exec '<div markdown=\"1\">' ip link\nip netns exec '<section>' ss -l"
    opening = '<div class="netstack-details" data-search-exclude markdown="block">'
    block = f"{opening}\n\n{code_fence(command)}\n\n</div>"
    tree = Tree(to_html(block + "\n\nafter"))
    assert tree.tags == ["div", "pre", "code", "p"]
    assert command in tree.text


def test_the_interfaces_page_shows_hostile_names_literally_and_keeps_its_anchors_and_links() -> None:
    """The hostile fixture (tests/fixtures/hostile.sh), plus a tc filter on `<b>x` that redirects to `a|b`
    and an XDP program named like markup: every string on the interfaces page stays text."""
    import json

    from netstack_docs.model.classify import classify
    from netstack_docs.model.interfaces import host_devices
    from netstack_docs.render.interfaces import device_block
    from netstack_docs.render.pages import HostPage
    from netstack_docs.render.ready import PAGE

    doc = json.loads((REPO / "tests" / "fixtures" / "snapshots" / "hostile" / "lab-01.json").read_text())
    root = next(ns for ns in doc["namespaces"] if ns["id"] == "root")
    redirect = {"kind": "mirred", "action": "egress redirect", "dev": "a|b", "then": "stolen"}
    keys = [{"value": "00000016", "mask": "0000ffff", "off": 20}]
    root["tc"]["filters"].append({"ifname": "<b>x", "kind": "u32", "parent": "ffff:fff2", "pref": 1,
                                  "protocol": "ip", "handle": "800::800", "actions": [redirect],
                                  "options": {"keys": keys}})
    xdp_link = next(x for x in root["links"] if x["ifname"] == "[x](y)")
    xdp_link["xdp"] = {"mode": "xdpgeneric", "prog_id": 9, "prog_name": "<img src=x onerror=alert(3)>"}
    xdp_link["alias"] = '<b title="t">bold</b> [l](x) `c` a|b'
    view = classify(doc, "lab-01")
    host = HostPage("hostile", "lab-01", view)
    devices = host_devices(view)
    markdown = render("interfaces.html.j2", host.interfaces_path, host=host, devices=devices,
                      device_block=device_block)
    assert markdown.startswith(PAGE)  # written whole as HTML: MkDocs builds it as it is (site/readypage.py)
    source = markdown[len(PAGE):]
    tree = Tree(source)
    assert set(tree.tags) <= {"h1", "h2", "a", "p", "ul", "ol", "li", "code", "strong", "em"}, set(tree.tags)
    assert tree.tags.count("code") == markdown.count("<code>")  # no backtick in a name became code
    ids = re.findall(r'<h2 id="([^"]+)"', source)
    assert ids == [d.anchor for d in devices] and len(set(ids)) == len(ids)
    for name in ("a|b", "<b>x", "{{7*7}}", "[x](y)", "p`q", "<img src=x onerror=alert(3)>", xdp_link["alias"],
                 '"<script>window.__pwned=2</script>"', "match ip dport 22", "redirect dev a|b"):
        assert name in tree.text, name
    # the redirect's target is a link to the section of `a|b` on the same page
    anchor = next(d.anchor for d in devices if d.ifname == "a|b")
    assert f'href="interfaces.md#{anchor}"' in source
