"""Pages written whole as HTML (netstack_docs.site.readypage): built without Python-Markdown, with the
same HTML, table of contents, title, anchors and links to anchors as the Markdown they replaced, and
still checked by the strict build from both sides (their links, and a team's links to them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from site_fixtures import FIXTURE_SNAPSHOTS, Built, team_project
from test_escape import HOSTILE

from netstack_docs.errors import UserError
from netstack_docs.model.classify import classify
from netstack_docs.model.model import load_model
from netstack_docs.render.pages import LAYER_PAGES, HostPage, layer_body
from netstack_docs.render.ready import PAGE
from netstack_docs.site.build import build_site
from netstack_docs.site.inputs import load_snapshots

HOSTS = ("lab/rich-host", "hostile/lab-01")


def _mkdocs(built: Built) -> tuple[Any, Any]:
    """The fixture build's MkDocs config (its plugins' and hook's on_config run) and files."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files

    config = load_config(config_file=str(built.build_dir / "mkdocs.yml"))
    config = config.plugins.on_config(config)
    return config, get_files(config)


def _rendered(page: Any) -> dict[str, Any]:
    def toc(items: Any) -> list[Any]:
        return [(i.title.replace("&#124;", "|"), i.id, i.level, toc(i.children)) for i in items]

    return {
        "content": page.content.replace("&#124;", "|"),  # md_text's entity for `|` (same text)
        "toc": toc(page.toc),
        "title": page.title,
        "anchors": page.present_anchor_ids,
        "links": {f.src_uri: links for f, links in (page.links_to_anchors or {}).items()},
    }


def _as_ready_page(config: Any, files: Any, src: str) -> dict[str, Any]:
    from netstack_docs.site.readypage import ReadyPage

    page = ReadyPage(None, files.get_file_from_path(src), config)
    page.read_source(config)
    assert page.markdown.startswith(PAGE), src
    page.render(config, files)
    return _rendered(page)


def _as_markdown_page(config: Any, files: Any, src: str, markdown: str) -> dict[str, Any]:
    """`markdown` built as MkDocs builds a Markdown page, with the site's hook (its ready blocks)."""
    from mkdocs.structure.pages import Page

    from netstack_docs.site.theme import hook

    page = Page(None, files.get_file_from_path(src), config)
    page.read_source(config)  # its meta; the body is replaced by the Markdown
    page.markdown = hook.on_page_markdown(markdown, page, config, files)
    page.render(config, files)
    hook._register_ready_anchors(page)
    return _rendered(page)


def test_ready_layer_pages_render_as_the_markdown_they_replaced(built: Built) -> None:
    """Every ready layer page of the fixture hosts (hostile names included) against layer.md.j2 (the
    netfilter page: netfilter.md.j2) built by MkDocs' Markdown path: same HTML, TOC (titles, ids,
    levels, nesting), title, anchors, links."""
    config, files = _mkdocs(built)
    model = load_model()
    compared = 0
    for snap in load_snapshots(FIXTURE_SNAPSHOTS):
        host = HostPage(snap.env, snap.slug, classify(snap.doc, host_slug=snap.slug))
        for layer in model.layers:
            src = host.layer_path(layer.slug)
            markdown_template = "netfilter.md.j2" if layer.slug == "netfilter" else "layer.md.j2"
            markdown = layer_body(host, model, host.view.layers[layer.slug], template=markdown_template)
            assert _as_ready_page(config, files, src) == _as_markdown_page(config, files, src, markdown), src
            compared += 1
    assert compared >= 2 * 10 and set(LAYER_PAGES) == {"netfilter"}


@pytest.mark.parametrize(
    "layer, element",
    [("traffic-control", "h3"), ("netfilter", "h4"), ("netfilter", 'span class="netstack-rule"')],
)
def test_a_runbook_link_to_an_anchor_of_a_ready_page_builds_and_fails_once_the_anchor_or_page_is_gone(
    layer: str, element: str, tmp_path: Path, built: Built
) -> None:
    host = HOSTS[0]
    source = (built.build_dir / "docs" / host / f"{layer}.md").read_text()
    assert PAGE in source
    anchor = re.findall(f'<{element} id="([a-z0-9-]+)"', source)[-1]
    project = team_project(tmp_path, f"# Runbook\n\nSee [the qdisc]({host}/{layer}.md#{anchor}).\n")
    build_site(FIXTURE_SNAPSHOTS, tmp_path / "site", project_dir=project)
    runbook = (tmp_path / "site" / "runbook" / "index.html").read_text()
    assert f'href="../{host}/{layer}/#{anchor}"' in runbook
    for broken, named in ((f"{layer}.md#{anchor}-gone", f"#{anchor}-gone"),
                          (f"no-such-layer.md#{anchor}", "no-such-layer.md")):
        (project / "docs" / "runbook.md").write_text(f"# Runbook\n\nSee [the qdisc]({host}/{broken}).\n")
        with pytest.raises(UserError) as exc:
            build_site(FIXTURE_SNAPSHOTS, tmp_path / "site", project_dir=project)
        assert named in str(exc.value) and "runbook.md" in str(exc.value)


def test_a_ready_page_built_has_its_toc_permalinks_and_no_marker(built: Built) -> None:
    for host in HOSTS:
        for name in ("traffic-control", "interfaces"):
            html = (built.site / host / name / "index.html").read_text()
            assert "netstack:page" not in html
            ids = re.findall(r'<h[23] id="([a-z0-9-]+)"', html)
            assert ids, (host, name)
            for anchor in ids:
                assert f'<a class="headerlink" href="#{anchor}" title="Permanent link">' in html
                assert f'href="#{anchor}"' in html.split('data-md-component="toc"', 1)[1], anchor


def test_a_ready_page_whose_link_target_is_gone_fails_the_strict_build(tmp_path: Path) -> None:
    """A page of ours written whole as HTML links a page the site lacks: the build fails and names it."""
    page = f'{PAGE}\n<h1>Runbook</h1>\n<p><a href="linking.md#nope">x</a> <a href="gone.md">y</a></p>\n'
    project = team_project(tmp_path, page)
    with pytest.raises(UserError) as exc:
        build_site(FIXTURE_SNAPSHOTS, tmp_path / "site", project_dir=project)
    assert "gone.md" in str(exc.value) and "#nope" in str(exc.value)


def _toc_rows(tokens: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    rows = []
    for t in tokens:
        rows.append((t["name"].replace("&#124;", "|"), t["id"], t["level"]))
        rows.extend(_toc_rows(t["children"]))
    return rows


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_heading_text_gets_the_slug_toc_name_and_html_python_markdown_gives_it(value: str) -> None:
    """A heading with no id (a page's h1) and one with an id, holding a hostile host string: the same
    id, TOC name and HTML as the Markdown heading the template wrote before (md_text)."""
    import markdown

    from netstack_docs.render.escape import html_text, md_text
    from netstack_docs.site.readypage import headings

    md = markdown.Markdown(extensions=["toc", "attr_list"], extension_configs={"toc": {"permalink": True}})
    expected = md.convert(f"# On {md_text(value)}\n\n### {md_text(value)} {{ #link-root--x }}")
    ready = f'<h1>On {html_text(value)}</h1>\n<h3 id="link-root--x">{html_text(value)}</h3>'
    body, tokens, title = headings(ready, {"link-root--x"})
    assert body == expected.replace("&#124;", "|")
    assert _toc_rows(tokens) == _toc_rows(md.toc_tokens)
    assert title == tokens[0]["name"]


def test_a_page_search_excludes_keeps_its_content_is_not_indexed_and_loses_the_search_attributes(
    built: Built,
) -> None:
    """The hook hands Material's search plugin nothing of an excluded page (it would only run its
    clean-up over it) and gives the page its HTML back with that clean-up applied."""
    import json

    index = json.loads((built.site / "search" / "search_index.json").read_text())
    locations = {d["location"].split("#")[0] for d in index["docs"]}
    for host in HOSTS:
        source = (built.build_dir / "docs" / host / "traffic-control.md").read_text()
        assert '"search": {"exclude": true}' in source and "data-search-exclude" in source
        html = (built.site / host / "traffic-control" / "index.html").read_text()
        assert "data-search-" not in html
        for anchor in re.findall(r'<h3 id="([a-z0-9-]+)"', source):
            assert f'<h3 id="{anchor}">' in html
        assert f"{host}/traffic-control/" not in locations and f"{host}/" in locations


def test_a_ready_page_without_images_has_glightboxs_assets_once_and_a_page_with_images_its_links(
    built: Built,
) -> None:
    """netstack_docs.site.lightbox: glightbox's parses are skipped on a ready page with no image, its
    stylesheet, script and set-up still added (with addresses relative to the page), so that instant
    navigation to a page with a diagram finds the lightbox; the host page's diagrams keep theirs."""
    from selectolax.lexbor import LexborHTMLParser

    for host in HOSTS:
        html = (built.site / host / "traffic-control" / "index.html").read_text()
        assert "<img" not in html
        tree = LexborHTMLParser(html)
        css = [n.attributes["href"] for n in tree.css('head link[rel="stylesheet"]')]
        assert css.count("../../../assets/stylesheets/glightbox.min.css") == 1, css
        scripts = [n.attributes.get("src") for n in tree.css("head script")]
        assert scripts.count("../../../assets/javascripts/glightbox.min.js") == 1
        assert len(tree.css("head style#glightbox-style")) == 1
        init = tree.css("body script#init-glightbox")
        assert len(init) == 1 and "GLightbox(" in init[0].text()
        assert tree.body.last_child.id == "init-glightbox"  # where the plugin puts it
    host_page = LexborHTMLParser((built.site / HOSTS[0] / "index.html").read_text())
    images = host_page.css("article img")
    assert images and all(img.parent.tag == "a" and "glightbox" in img.parent.attributes["class"]
                          for img in images)


@pytest.mark.parametrize(
    "hostname", [*HOSTILE, "<b>x\n---\nfoo: 1", "x\x85y", "\u2028z", "\ufeff", "\x7f", "é😀", "\t\x01\x1b"]
)
def test_a_host_pages_front_matter_reads_the_same_as_json_and_as_yaml(hostname: str) -> None:
    """The front matter of a host's pages (hostnav.yaml_json) is one line that the site reads with
    json.loads (readypage.json_front_matter) and any other reader as YAML, the same data either way,
    with a hostile host string kept whole and the block not ended early."""
    from mkdocs.utils import meta

    from netstack_docs.render.hostnav import LayerLink, front_matter, host_nav
    from netstack_docs.site.readypage import json_front_matter

    layers = [LayerLink("nic", f"NIC {hostname}", 3, "prod/h/nic.md")]
    nav = host_nav("prod", hostname, "prod/h/index.md", layers, None, "prod/h/interfaces.md")
    source = front_matter("nic", nav) + f"{PAGE}\n<h1>x</h1>\n"
    fast = json_front_matter(source)
    assert fast is not None and fast == meta.get_data(source)
    body, data = fast
    assert body.startswith(PAGE) and data["netstack_host"]["hostname"] == hostname
    assert data["netstack_host"]["layers"][0]["count"] == "3" and data["search"] == {"exclude": True}


def test_front_matter_that_is_not_one_line_of_json_is_read_by_mkdocs_yaml_reader() -> None:
    from netstack_docs.site.readypage import json_front_matter

    for source in ("---\ntitle: x\n---\n\n# x\n", '---\n{"a": 1}\nb: 2\n---\n# x\n', '---\n["a"]\n---\n# x\n',
                   "# no front matter\n", '---\n{"a": \n---\n'):
        assert json_front_matter(source) is None, source


@pytest.mark.parametrize("value", HOSTILE)
def test_a_compact_table_shows_hostile_values_literally_with_one_anchor_a_row(value: str) -> None:
    """compact_block (netstack_docs.render.ready): a kind's many components as table rows; every host
    string is text, a fact without a value shows as —, as in a component's details."""
    from types import SimpleNamespace as Obj

    from netstack_docs.render.escape import html_text
    from netstack_docs.render.ready import compact_block

    rows = [
        Obj(anchor=f"addr-root--x-{i}", name=value, namespace=Obj(label=value), identity_kind="addr",
            facts=[("Scope", value), ("Lifetime", None)][: i + 1],
            commands=[Obj(title=value, text=value)] * i)
        for i in range(2)
    ]
    html = compact_block(Obj(components=rows, columns=["Scope", "Lifetime"]))
    anchors = re.findall(r'<tr id="([^"]+)"><td><a href="#([^"]+)">', html)
    assert anchors == [(r.anchor, r.anchor) for r in rows]
    text = html_text(value)
    assert html.count(f">{text}</a>") == 2 and html.count(f"<td data-search-exclude>{text}</td>") == 4
    assert "<td data-search-exclude>—</td>" in html and "<td data-search-exclude></td>" in html
    assert html.count("<code title=") == 1 and "<table>" in html


def test_the_hook_looks_for_the_search_and_lightbox_plugins_once_a_build_not_on_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mkdocs.plugins import PluginCollection

    scans = []
    values = PluginCollection.values
    monkeypatch.setattr(PluginCollection, "values", lambda self: scans.append(1) or values(self))
    (tmp_path / "project").mkdir()
    result = build_site(FIXTURE_SNAPSHOTS, tmp_path / "site", project_dir=tmp_path / "project")
    assert result.pages > 40 and len(scans) <= 2, len(scans)  # on_config: one scan per plugin sought


def test_glightboxs_assets_for_ready_pages_are_made_once_per_directory_depth_not_once_per_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mkdocs_glightbox.plugin import LightboxPlugin

    from netstack_docs.site.lightbox import _EMPTY

    empty_documents = []
    real = LightboxPlugin.on_post_page

    def counted(self: Any, output: str, page: Any, config: Any, **kwargs: Any) -> str:
        if output == _EMPTY:
            empty_documents.append(page.url)
        return real(self, output, page=page, config=config, **kwargs)

    monkeypatch.setattr(LightboxPlugin, "on_post_page", counted)
    (tmp_path / "project").mkdir()
    build_site(FIXTURE_SNAPSHOTS, tmp_path / "site", project_dir=tmp_path / "project")
    depths = {url.count("/") for url in empty_documents}
    assert len(empty_documents) == len(depths) >= 1, empty_documents  # 22 ready pages, one depth
