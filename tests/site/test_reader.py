"""The built site as a reader sees it, in headless Chromium: clicking through, searching, hostile names."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, serve_directory
from site_fixtures import FIXTURE_SNAPSHOTS, LAYERS, REPO, Built

from netstack_docs.site.build import build_site

# What tests/fixtures/hostile.sh planted (see tests/fixtures/README.md).
HOSTILE_ENV, HOSTILE_HOST = "hostile", "lab-01"
HOSTILE_HOSTNAME = "<img src=x onerror=window.__pwned=3>|{{7*7}} [h](x) `#` *i*"
HOSTILE_TEXTS = [
    "a|b",
    "<b>x",
    "{{7*7}}",
    "[x](y)",
    "p`q",
    "<img src=x onerror=window.__pwned=1>",
    "<script>window.__pwned=2</script>",
]

INJECTION_PROBE = """() => ({
    pwned: window.__pwned === undefined ? null : window.__pwned,
    imgs: [...document.querySelectorAll('img')].map(i => i.getAttribute('src')).filter(s => s === 'x'),
    scripts: [...document.querySelectorAll('script')].filter(s => s.textContent.includes('__pwned')).length,
    bold: [...document.querySelectorAll('article b, article i')].length,
    tables: [...document.querySelectorAll('article table')].map(t => {
        const width = t.querySelector('thead tr').children.length;
        return [...t.querySelectorAll('tbody tr')].every(r => r.children.length === width);
    }),
    text: document.querySelector('article').innerText,
})"""


@pytest.fixture(scope="module")
def browser(built: Built) -> Iterator[tuple[str, Any]]:
    with serve_directory(built.site) as base_url, chromium() as context:
        yield base_url, context


def test_a_reader_clicks_from_home_to_a_layer_of_a_host(browser: tuple[str, Any], built: Built) -> None:
    base_url, context = browser
    snap = next(s for s in built.snapshots if s.env == HOSTILE_ENV)
    page = context.new_page()
    page.goto(base_url)
    page.locator("article table a", has_text=snap.env).first.click()
    page.wait_for_url(f"{base_url}{snap.env}/")
    assert page.locator("article h1").inner_text().rstrip("¶") == f"Environment {snap.env}"
    page.locator("article table a", has_text=snap.slug).first.click()
    page.wait_for_url(f"{base_url}{snap.env}/{snap.slug}/")
    page.locator("article table a", has_text="Virtual networking").first.click()
    page.wait_for_url(f"{base_url}{snap.env}/{snap.slug}/virtual/")
    assert page.locator("article h1").inner_text().rstrip("¶").startswith("Virtual networking on ")
    assert page.locator("article h3#link-root--vb0").count() == 1
    command = page.locator("article pre code", has_text="ip -d link show dev vb0").first
    command.hover()
    assert page.locator("article .md-code__button[data-md-type=copy]").count() >= 1  # the copy button
    page.close()


def test_site_search_finds_an_interface_by_name(browser: tuple[str, Any]) -> None:
    base_url, context = browser
    page = context.new_page()
    page.goto(base_url)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    # Material loads the index in a web worker; the meta line says "Initializing search" until then.
    page.wait_for_function(
        "() => !/Initializing/i.test(document.querySelector('.md-search-result__meta')?.textContent ?? 'x')",
        timeout=30000,
    )
    page.locator("input.md-search__input").press_sequentially("vb1")
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=30000)
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any(f"{HOSTILE_ENV}/{HOSTILE_HOST}/" in (h or "") for h in hrefs), hrefs
    page.close()


def test_hostile_names_show_literally_and_inject_nothing(browser: tuple[str, Any]) -> None:
    base_url, context = browser
    page = context.new_page()
    seen = ""
    urls = [
        f"{HOSTILE_ENV}/",
        f"{HOSTILE_ENV}/{HOSTILE_HOST}/",
        *(f"{HOSTILE_ENV}/{HOSTILE_HOST}/{layer}/" for layer in LAYERS),
        f"{HOSTILE_ENV}/{HOSTILE_HOST}/interfaces/",
        "handbook/link/",
    ]
    for url in urls:
        page.goto(base_url + url)
        probe = page.evaluate(INJECTION_PROBE)
        assert probe["pwned"] is None, url
        assert probe["imgs"] == [] and probe["scripts"] == 0 and probe["bold"] == 0, (url, probe)
        assert all(probe["tables"]), f"{url}: a table row lost its shape"
        assert not re.search(r"(?<![\d.])49(?![\d.])", probe["text"]), url  # {{7*7}} was never evaluated
        seen += probe["text"]
    for text in HOSTILE_TEXTS:
        assert text in seen, text
    page.close()


@pytest.fixture(scope="module")
def hostile_hostname_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile fixture again, with a hostname, role and OS no kernel would report but a file may hold."""
    work = tmp_path_factory.mktemp("hostname")
    source = FIXTURE_SNAPSHOTS / HOSTILE_ENV / f"{HOSTILE_HOST}.json"
    doc = json.loads(source.read_text())
    doc["host"].update(hostname=HOSTILE_HOSTNAME, role="<b>edge</b>|[r](x)", os="{{7*7}} `os`")
    target = work / "snapshots" / HOSTILE_ENV / "weird-01.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(doc))
    build_site(work / "snapshots", work / "site", project_dir=work)  # a repository of no pages of its own
    return work / "site"


def test_a_hostile_hostname_role_and_os_show_literally(
    browser: tuple[str, Any], hostile_hostname_site: Path
) -> None:
    _, context = browser  # one Playwright instance per module: the sync API does not nest
    with serve_directory(hostile_hostname_site) as base_url:
        page = context.new_page()
        for url in (f"{HOSTILE_ENV}/", f"{HOSTILE_ENV}/weird-01/", f"{HOSTILE_ENV}/weird-01/interfaces/",
                    f"{HOSTILE_ENV}/weird-01/link/"):
            page.goto(base_url + url)
            probe = page.evaluate(INJECTION_PROBE)
            assert probe["pwned"] is None and probe["imgs"] == [] and probe["scripts"] == 0, (url, probe)
            assert probe["bold"] == 0 and all(probe["tables"]), (url, probe)
            assert HOSTILE_HOSTNAME in probe["text"], url
            assert not re.search(r"(?<![\d.])49(?![\d.])", probe["text"]), url
        assert page.title() == f"Data link on {HOSTILE_HOSTNAME} - Network stack documentation"
        page.goto(base_url + f"{HOSTILE_ENV}/weird-01/")
        text = page.evaluate(INJECTION_PROBE)["text"]
        assert "<b>edge</b>|[r](x)" in text and "{{7*7}} `os`" in text


def test_a_reader_walks_the_bundled_demo_site(browser: tuple[str, Any], tmp_path: Path) -> None:
    demo = REPO / "snapshots"
    files = sorted(demo.glob("*/*.json"))
    if not files:
        pytest.skip("no demo snapshots in snapshots/ yet")
    build_site(demo, tmp_path / "site", project_dir=REPO)  # the demo docs repository, its runbook included
    env, host = files[0].parent.name, files[0].stem
    _, context = browser
    with serve_directory(tmp_path / "site") as base_url:
        page = context.new_page()
        page.goto(base_url)
        page.locator("article table a", has_text=env).first.click()
        page.wait_for_url(f"{base_url}{env}/")
        page.locator("article table a", has_text=host).first.click()
        page.wait_for_url(f"{base_url}{env}/{host}/")
        page.locator("article table a", has_text="Traffic control and QoS").first.click()
        page.wait_for_url(f"{base_url}{env}/{host}/traffic-control/")
        assert page.locator("article h1").inner_text().rstrip("¶").startswith("Traffic control and QoS on ")
        page.go_back()
        page.locator("article h2#packet-path ~ ol a").first.click()  # the first ingress step
        page.wait_for_url(f"{base_url}{env}/{host}/**#*")
        anchor = page.url.split("#", 1)[1]
        target = page.locator(f"[id='{anchor}']")
        target.first.wait_for()  # instant navigation swaps the content in after the URL changes
        assert target.count() == 1
