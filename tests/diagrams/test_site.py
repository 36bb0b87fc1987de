"""Diagrams in a real strict mkdocs build: every image a page references exists, and loads in Chromium."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import pytest
from browser import chromium, serve_directory
from diagram_helpers import CASES

from netstack_docs.site.build import BuildResult, build_site

CASE_ENVS = {
    "edge-router": "prod",
    "k8s-200-pods": "prod",
    "env-shared-vni-subnet": "staging",
    "hostile-names": "lab",
}


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[str] = []
        self.zoom: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img" and a.get("src"):
            self.imgs.append(a["src"] or "")
        if tag == "a" and "glightbox" in (a.get("class") or "") and a.get("href"):
            self.zoom.append(a["href"] or "")


def page_url(site: Path, html: Path) -> str:
    rel = html.relative_to(site).as_posix()
    return "http://site/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def resolve(site: Path, html: Path, ref: str) -> Path | None:
    """The file a page's relative reference points at, or None for external/data URLs."""
    url = urlparse(urljoin(page_url(site, html), ref))
    if url.scheme == "data" or url.netloc != "site":
        return None
    target = site / unquote(url.path).lstrip("/")
    return target / "index.html" if target.is_dir() else target


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, BuildResult]]:
    work = tmp_path_factory.mktemp("diagram-site")
    snaps = work / "snapshots"
    for case, env in CASE_ENVS.items():
        (snaps / env).mkdir(parents=True, exist_ok=True)
        for src in (CASES / case / "snapshots").glob("*.json"):
            shutil.copyfile(src, snaps / env / src.name)
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_CACHE_HOME", str(work / "cache"))  # the build's diagram cache, kept out of ~/.cache
    try:
        result = build_site(snaps, work / "site", build_dir=work / "build", project_dir=work)
    finally:
        mp.undo()
    yield work / "site", result


def test_every_image_a_built_page_references_exists(site: tuple[Path, BuildResult]) -> None:
    root, _ = site
    checked = 0
    for html in sorted(root.rglob("*.html")):
        refs = _Refs()
        refs.feed(html.read_text(encoding="utf-8"))
        for ref in refs.imgs + refs.zoom:
            target = resolve(root, html, ref)
            if target is not None:
                assert target.is_file(), f"{html.relative_to(root)} references missing {ref}"
                checked += 1
    assert checked >= 2 * 6 + 3  # two figures per host, one per environment, at least


def test_host_and_env_pages_show_their_figures_zoomable_with_text(site: tuple[Path, BuildResult]) -> None:
    root, _ = site
    host = (root / "prod/k8s-node-1/index.html").read_text()
    for svg in ("topology.svg", "packet-path.svg"):
        assert re.search(
            rf'<a class="glightbox"[^>]+href="{svg}"[^>]*><img [^>]*class="diagram" src="{svg}"', host
        )
    assert "200 namespaces (collapsed)" in host and "namespaces/" in host  # note links the full list
    env = (root / "staging/index.html").read_text()
    assert 'src="overview.svg"' in env
    assert "VXLAN VNI 42, shared by app-1, app-2" in re.sub(r"<[^>]+>", "", env)


def test_shipped_svgs_carry_their_icons_and_no_local_paths(site: tuple[Path, BuildResult]) -> None:
    root, _ = site
    svgs = sorted(p for p in root.rglob("*.svg") if "assets" not in p.parts)
    assert any(p.name == "overview.svg" for p in svgs)
    assert not [p for p in root.rglob("*.png") if "assets" not in p.parts]  # no PNG diagrams left
    for svg in svgs:
        data = svg.read_bytes()
        assert data.startswith(b"<?xml") and b"<svg" in data, svg
        assert b"/site-packages/" not in data and b"/tmp/" not in data and b"file:" not in data, svg
        assert re.findall(rb'xlink:href="([^"#][^"]*)"', data) == [
            m for m in re.findall(rb'xlink:href="([^"#][^"]*)"', data) if m.startswith(b"data:image/")
        ], svg


def test_figures_load_and_zoom_in_headless_chromium(site: tuple[Path, BuildResult]) -> None:
    root, _ = site
    with serve_directory(root) as base, chromium() as context:
        page = context.new_page()
        for path in ("prod/edge-01/", "lab/hostile/", "staging/"):
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            sizes: list[Any] = page.eval_on_selector_all(
                "article img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
            )
            diagrams = [s for s in sizes if s[0].endswith(".svg")]
            assert diagrams, path
            assert all(ok and width > 100 for _, ok, width in diagrams), (path, diagrams)
        page.goto(base + "prod/edge-01/")
        page.locator("article a.glightbox").first.click()
        page.wait_for_selector(".gslide-image img", state="visible", timeout=10_000)
        zoomed = page.eval_on_selector(
            ".gslide-image img", "i => [i.getAttribute('src'), i.getBoundingClientRect().width]"
        )
        assert zoomed[0].endswith("topology.svg") and zoomed[1] > 100, zoomed  # vector: sharp at any size
        # The icons are inside the SVG: drawn in Chromium from data URIs, nothing fetched from disk.
        icons = page.evaluate(
            """async () => {
            const text = await (await fetch('topology.svg')).text();
            const svg = new DOMParser().parseFromString(text, 'image/svg+xml');
            return [...svg.querySelectorAll('image')].map(i => i.getAttribute('xlink:href').slice(0, 22));
        }"""
        )
        assert icons and set(icons) == {"data:image/png;base64,"}, icons
