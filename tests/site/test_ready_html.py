"""Ready HTML in pages (netstack_docs.render.ready, netstack_docs.site.readyhtml), through the real strict
build: anchors inside a block are anchors of the page, links inside a block are checked and made URLs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from site_fixtures import FIXTURE_SNAPSHOTS, Built, team_project

from netstack_docs.errors import UserError
from netstack_docs.render.ready import CLOSE, OPEN
from netstack_docs.site.build import build_site

HOST = "lab/rich-host"


def _ready_only_anchor(built: Built) -> tuple[str, str]:
    """(page, anchor) of an id that only a ready block of a generated Markdown page holds: an exposure
    region of the host page (the layer pages are written whole as HTML: test_ready_pages)."""
    for page in sorted((built.build_dir / "docs" / HOST).glob("*.md")):
        source = page.read_text()
        for block in re.findall(re.escape(OPEN) + r"\n(.*?)\n" + re.escape(CLOSE), source, re.S):
            found = re.search(r'<(?:tr|details)[^<>]*\sid="([a-z0-9-]+)"', block)
            if found:
                return page.name, found.group(1)
    raise AssertionError("no id inside a ready block of the fixture host's pages")


def test_a_runbook_link_to_an_anchor_inside_ready_html_builds_and_fails_once_the_anchor_is_gone(
    tmp_path: Path, built: Built
) -> None:
    page, anchor = _ready_only_anchor(built)
    project = team_project(tmp_path, f"# Runbook\n\nSee [the row]({HOST}/{page}#{anchor}).\n")
    build_site(FIXTURE_SNAPSHOTS, tmp_path / "site", project_dir=project)
    runbook = (tmp_path / "site" / "runbook" / "index.html").read_text()
    url = "" if page == "index.md" else f"{page[:-3]}/"
    assert f'href="../{HOST}/{url}#{anchor}"' in runbook
    gone = f"# Runbook\n\nSee [the row]({HOST}/{page}#{anchor}-gone).\n"
    (project / "docs" / "runbook.md").write_text(gone)
    with pytest.raises(UserError) as exc:
        build_site(FIXTURE_SNAPSHOTS, tmp_path / "site", project_dir=project)
    assert f"#{anchor}-gone" in str(exc.value) and "runbook.md" in str(exc.value)


def test_links_inside_a_ready_block_become_urls_and_the_strict_build_checks_them(tmp_path: Path) -> None:
    block = (
        f'{OPEN}\n<p><a href="linking.md">linking</a>, <a href="{HOST}/index.md#find">an anchor</a>, '
        '<a href="trace.md?env=lab&amp;host=rich-host">trace</a>, <a href="https://example.net/x.md">out</a>'
        f"</p>\n{CLOSE}\n"
    )
    project = team_project(tmp_path, "# Runbook\n\n" + block)
    build_site(FIXTURE_SNAPSHOTS, tmp_path / "site", project_dir=project)
    runbook = (tmp_path / "site" / "runbook" / "index.html").read_text()
    assert 'href="../linking/"' in runbook and f'href="../{HOST}/#find"' in runbook
    assert 'href="../trace/?env=lab&amp;host=rich-host"' in runbook
    assert 'href="https://example.net/x.md"' in runbook
    broken_links = (('href="no-such-page.md"', "no-such-page.md"), ('href="linking.md#nope"', "#nope"),
                    ('href="#nope-here"', "#nope-here"))  # an anchor of the page itself is checked too
    for broken, named in broken_links:
        page = f"# Runbook\n\n{OPEN}\n<p><a {broken}>x</a></p>\n{CLOSE}\n"
        (project / "docs" / "runbook.md").write_text(page)
        with pytest.raises(UserError) as exc:
            build_site(FIXTURE_SNAPSHOTS, tmp_path / "site", project_dir=project)
        assert named in str(exc.value) and "runbook.md" in str(exc.value)


def test_generated_pages_keep_no_marker_and_no_markdown_attribute(built: Built) -> None:
    for page in (built.site / HOST).rglob("index.html"):
        html = page.read_text()
        assert "netstack:ready" not in html and 'markdown="' not in html, page


def test_links_to_the_pages_own_anchors_are_left_as_written_and_registered_once_each() -> None:
    from types import SimpleNamespace

    from netstack_docs.site.readyhtml import resolve_html

    class File(SimpleNamespace):
        __hash__ = object.__hash__

        def url_relative_to(self, other: object) -> str:
            return "../" + self.url

    here, there = File(src_uri="prod/h/routing.md", url="prod/h/routing/"), File(url="prod/h/")
    files = SimpleNamespace(get_file_from_path=lambda uri: there if uri == "prod/h/index.md" else None)
    html = ('<a href="#row-1">1</a><a class="x" href="#row%2D2">2</a><a href="#row-1">again</a>'
            '<a href="#">top</a><a href="index.md#find">host</a>')
    out, anchors = resolve_html(html, SimpleNamespace(file=here), files)
    assert out == ('<a href="#row-1">1</a><a class="x" href="#row%2D2">2</a><a href="#row-1">again</a>'
                   '<a href="">top</a><a href="../prod/h/#find">host</a>')
    assert anchors == {here: {"row-1": "#row-1", "row-2": "#row%2D2"}, there: {"find": "index.md#find"}}


def test_element_ids_finds_what_the_tag_pattern_finds_on_random_markup() -> None:
    """element_ids (the ids a ready page or block holds: its anchors) against the regular expression it
    replaced, on markup made of the pieces where the two could part."""
    import random

    from netstack_docs.site.readyhtml import element_ids

    pattern = re.compile(r"<[a-zA-Z][^<>]*?\sid=\"([^\"]*)\"")
    pieces = ['<p id="a">', '<a href="x" id="b">', 'text id="c"', '<div\tid="d">', '< id="e">', '<1 id="f">',
              '<p class="x" id="g" id="h">', ">", "<", ' id="i"', '"', '<tr id="">', "<br>", 'id="',
              '<p\u2003id="u">', '<p data-id="q">', '<b id="unterminated', "\n", "x"]
    rng = random.Random(24)
    for _ in range(20_000):
        html = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert element_ids(html) == pattern.findall(html), repr(html)
