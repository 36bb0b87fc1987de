"""What Material's search parses of an indexed page: excluded elements emptied, the same index entries."""

from __future__ import annotations

import pytest
from material.plugins.search.plugin import Parser

from netstack_docs.site.searchview import SEARCH_ATTRS, search_view

REGIONS = "".join(
    f'<details class="note" id="reach-{i}"><summary>reachable: tcp dport {i}</summary>'
    f'<p>Example packet: <code>tcp 10.0.0.{i}:40000 -&gt; 10.0.0.1:22</code></p></details>\n'
    for i in range(50)
)
HOST_PAGE = f"""<h1 id="edge-01">edge-01</h1>
<p>Host <strong>edge-01</strong> in environment <a href="../">prod</a>.</p>
<div class="netstack-figures" data-search-exclude>
<h3 data-search-exclude="" id="topology">Topology</h3>
<p><img alt="x" class="diagram" src="topology.svg"></p>
</div>
<h2 data-search-exclude id="exposure">Exposure</h2>
<table data-search-exclude><tr><td title="a &lt;div x&gt; <div b" data-x='<table'>eth0</td></tr></table>
<div class="trace-list" data-search-exclude="1">
{REGIONS}</div>
<p>Between: <code>wan0|&lt;x&gt;</code><br>next</p>
<div data-search-exclude="data-search-exclude"><div><ul><li>nested</li></ul></div><!-- <div> --></div>
<h2 id="find">Find on this host</h2>
<p>Interfaces: <a href="link/#link-eth0">eth0</a>, <a href="link/#x">{{{{7*7}}}}</a>.</p>
<p data-search-exclude>kept out</p>
<p title="not data-search-exclude here">a title that names the attribute</p>
"""


def sections(html: str) -> list[tuple[str | None, str, str]]:
    parser = Parser()
    parser.feed(html)
    parser.close()
    return [(s.id, "".join(s.title), "".join(s.text)) for s in parser.data if not s.is_excluded()]


def test_excluded_elements_are_emptied_and_the_index_entries_stay_the_same() -> None:
    view = search_view(HOST_PAGE)
    assert "reach-7" not in view and "nested" not in view and "kept out" not in view  # emptied
    assert '<div class="trace-list" data-search-exclude="1"></div>' in view  # the element itself stays
    assert len(view) < len(HOST_PAGE) / 2
    assert sections(view) == sections(HOST_PAGE)
    assert "a title that names the attribute" in view  # an attribute value is not an attribute


def test_an_excluded_element_holding_a_heading_is_left_whole() -> None:
    # A heading starts a section of the index even inside an excluded element: emptying it would drop it.
    html = '<h1 id="a">A</h1><div data-search-exclude><p>x</p><h2 id="b">B</h2></div><p>after</p>'
    assert search_view(html) == html
    assert sections(search_view(html)) == sections(html)


@pytest.mark.parametrize(
    "html",
    [
        '<h1 id="a">A</h1><div data-search-exclude><p>1 < 2</p></div><p>t</p>',  # a < that starts no tag
        '<h1 id="a">A</h1><div data-search-exclude><script>"<div>"</script></div><p>t</p>',
    ],
)
def test_markup_it_cannot_read_is_left_as_it_is(html: str) -> None:
    assert search_view(html) == html


def test_the_clean_up_given_back_is_the_search_plugins_own() -> None:
    # hook.on_page_context gives the page its full HTML with the clean-up the plugin did on the view;
    # should Material change its clean-up, this says so.
    import inspect

    from material.plugins.search import plugin

    assert f"r\"{SEARCH_ATTRS.pattern}\"" in inspect.getsource(plugin.SearchPlugin.on_page_context)
    cleaned = SEARCH_ATTRS.sub("", HOST_PAGE)
    assert 'data-search-exclude="1"' not in cleaned and "reach-7" in cleaned


@pytest.mark.parametrize(
    "html",
    [
        # an end tag that closes nothing on top is ignored by the plugin's parser, and here
        '<h1 id="a">A</h1><div data-search-exclude><p>x</span></p></div><p>a</p><h2 id="b">B</h2><p>t</p>',
        # an unclosed element inside: for the plugin the excluded div never ends
        '<h1 id="a">A</h1><div data-search-exclude><p>x</div><h2 id="b">B</h2><p>t</p>',
        # a self-closing heading inside still starts a section
        '<h1 id="a">A</h1><div data-search-exclude><h2 id="b"/><p>x</p></div><p>t</p>',
    ],
)
def test_odd_markup_gives_the_same_index_entries(html: str) -> None:
    assert sections(search_view(html)) == sections(html)


def test_the_faster_clean_up_is_the_plugins_regex_on_odd_and_random_markup() -> None:
    """strip_search_attrs (what the hook gives a page back with) equals SEARCH_ATTRS.sub on markup
    built from the pieces where the two could part: whitespace of every kind before an attribute,
    names without a value, a value holding another name, attributes back to back."""
    import random

    from netstack_docs.site.searchview import strip_search_attrs

    pieces = ['data-search-exclude="x"', " ", "\t", "\n", "\u2003", "\x1c", "data-search-", '="', '"', "a",
              "<p ", ">", 'data-search-boost=""', 'data-search-a="data-search-b="c"', "data-search-x"]
    rng = random.Random(24)
    for _ in range(20_000):
        html = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert strip_search_attrs(html) == SEARCH_ATTRS.sub("", html), repr(html)
    assert strip_search_attrs(HOST_PAGE) == SEARCH_ATTRS.sub("", HOST_PAGE)


@pytest.mark.parametrize("wrap", ["{}", "<html><head></head><body>{}</body></html>"])
def test_the_elements_after_an_excluded_heading_are_emptied_up_to_the_next_heading(wrap: str) -> None:
    html = wrap.format(
        '<h1 id="a">A</h1><p>intro</p><h2 data-search-exclude id="facts">Facts</h2>\n'
        "<table><tr><td>kernel 6.1</td></tr></table>\n<p>more <code>x</code></p>\n"
        '<div><h3 id="nested">Nested</h3><p>in a section of its own</p></div><p>after it</p>'
        '<h2 id="find">Find</h2><p>eth0</p>'
    )
    view = search_view(html)
    assert "kernel 6.1" not in view and "more" not in view  # in the excluded section: emptied
    assert "in a section of its own" in view and "after it" in view  # past a nested heading: whole
    assert sections(view) == sections(html)


def test_random_markup_of_headings_and_excluded_parts_gives_the_same_index_entries() -> None:
    """search_view against the plugin's own parser on markup made of the pieces where they could part:
    headings excluded or not, at the top or nested, elements excluded or not, unclosed or stray tags."""
    import random

    pieces = ['<h2 id="x">H</h2>', '<h2 data-search-exclude id="e">E</h2>', '<h3 id="y" data-search-exclude>',
              '<div><h3 data-search-exclude>', '<div><h4 data-search-exclude id="z">',
              "</h3>", "<h1>T</h1>", '<h2 id="s"/>', "<div>", "</div>", "<div data-search-exclude>", "<p>",
              "</p>", "text ", "<table><tr><td>cell</td></tr></table>", "<br>", "<code>c</code>", "</span>",
              "<ul><li>item</li></ul>", "\n", "<!-- c -->", "<section>", "</section>",
              '<p data-search-exclude>']
    rng = random.Random(24)
    checked = 0
    for _ in range(5_000):
        html = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 16)))
        if rng.random() < 0.5:  # as the page reaches the plugin after glightbox's parser wrote it
            html = f"<html><head></head><body>{html}</body></html>"
        try:
            expected = sections(html)
        except ValueError:
            continue  # markup the plugin's own parser fails on (a `</p>` whose `<p>` it dropped)
        assert sections(search_view(html)) == expected, repr(html)
        checked += 1
    assert checked > 3_000


def test_inside_an_excluded_element_kept_for_its_heading_the_heading_sections_parts_are_emptied() -> None:
    html = (
        '<h1 id="a">A</h1><div class="netstack-figures" data-search-exclude><div class="netstack-figure">'
        '<h3 data-search-exclude id="topology">Topology</h3><p><img src="topology.svg"></p>'
        "<details><summary>Topology as text</summary><table><tr><td>eth0 row</td></tr></table></details>"
        '</div></div><h2 id="find">Find</h2><p>eth0</p>'
    )
    view = search_view(html)
    assert 'id="topology"' in view and "eth0 row" not in view and "as text" not in view
    assert sections(view) == sections(html)
