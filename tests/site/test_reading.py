"""Reading a host in headless Chromium at a wide viewport: its own sidebar and breadcrumbs, the
pictures on the first screen, a firewall read top to bottom, and a search index that stays small
while host names, interface names, addresses and component kinds are still found."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, serve_directory
from site_fixtures import FIXTURE_SNAPSHOTS, LAYERS, Built

from netstack_docs.site.build import build_site

WIDE = {"width": 1600, "height": 1000}
HOST = "lab/rich-host/"
JUMP_RULE = "nftrule-root--inet--filter--input--jump-services-fb7690c3"
LONG_SET = 40


@pytest.fixture(scope="module")
def counted_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """rich-host with counters in state (as a capture of `counter` rules records them) and a long set.

    The fixture's ruleset has no `counter` statements, so the counters are added to its `state` the
    way capture/nftables.py writes them ("family table chain handle" -> [{packets, bytes}])."""
    work = tmp_path_factory.mktemp("counted")
    doc = json.loads((FIXTURE_SNAPSHOTS / "lab" / "rich-host.json").read_text())
    root_state = doc["state"]["namespaces"]["root"]
    root_state["nftables"] = {"counters": {"inet filter input 8": [{"packets": 5, "bytes": 420}]}}
    root = next(ns for ns in doc["namespaces"] if ns["id"] == "root")
    root["nftables"]["sets"].append(
        {
            "family": "inet",
            "table": "filter",
            "name": "blocked",
            "type": "ipv4_addr",
            "map": None,
            "flags": [],
            "comment": "<i>x</i>",
            "elements": [f"198.51.100.{i}" for i in range(LONG_SET)],
        }
    )
    target = work / "snapshots" / "lab" / "rich-host.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(doc))
    (work / "project").mkdir()  # a docs repository with no settings and no pages of its own
    build_site(work / "snapshots", work / "site", project_dir=work / "project")
    return work / "site"


@pytest.fixture(scope="module")
def browser(built: Built) -> Iterator[tuple[str, Any]]:
    with serve_directory(built.site) as base_url, chromium() as context:
        yield base_url, context


def wide_page(context: Any) -> Any:
    page = context.new_page()
    page.set_viewport_size(WIDE)
    return page


def sidebar(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => {
        const nav = document.querySelector('.netstack-hostnav');
        const box = nav.getBoundingClientRect();
        const items = [...nav.querySelectorAll('li[data-layer]')];
        return {
            visible: box.width > 100 && getComputedStyle(nav).visibility !== 'hidden' && box.left >= 0,
            layers: items.map(li => [
                li.dataset.layer, li.querySelector('.netstack-hostnav__count').textContent]),
            active: items.filter(li => li.querySelector('[aria-current=page]')).map(li => li.dataset.layer),
            title: nav.querySelector('.md-nav__title').textContent,
            crumbs: [...document.querySelectorAll('.netstack-path .md-path__link')]
                .map(a => a.textContent.trim()),
        };
    }"""
    )


def test_a_layer_page_shows_the_hosts_ten_layers_with_counts_and_marks_the_current_one(
    browser: tuple[str, Any], built: Built
) -> None:
    base_url, context = browser
    page = wide_page(context)
    page.goto(base_url + HOST + "netfilter/")
    seen = sidebar(page)
    assert seen["visible"] and seen["title"] == "rich-host"
    snap = next(s for s in built.snapshots if s.slug == "rich-host")
    from netstack_docs.model.classify import classify

    view = classify(snap.doc, host_slug=snap.slug)
    assert seen["layers"] == [[slug, str(len(view.layers[slug].components))] for slug in LAYERS]
    assert seen["active"] == ["netfilter"]
    assert seen["crumbs"] == ["Home", "lab", "rich-host", "Firewall and policy"]
    page.locator(".netstack-hostnav a", has_text="Traffic control and QoS").click()
    page.wait_for_url(base_url + HOST + "traffic-control/")
    page.wait_for_function("() => document.querySelector('[data-layer=traffic-control] [aria-current=page]')")
    assert sidebar(page)["active"] == ["traffic-control"]
    page.locator(".netstack-hostnav a", has_text="Host overview").click()
    page.wait_for_url(base_url + HOST)
    page.wait_for_function("() => document.querySelector('article h1')?.textContent.startsWith('rich-host')")
    assert sidebar(page)["active"] == [] and sidebar(page)["crumbs"] == ["Home", "lab", "rich-host"]
    page.locator(".netstack-hostnav a", has_text="Environment lab").click()
    page.wait_for_url(base_url + "lab/")
    assert page.locator(".netstack-hostnav").count() == 0  # only host pages carry it
    page.goto(base_url + HOST + "routing/")
    page.locator(".netstack-hostnav a", has_text="Changes").click()
    page.wait_for_url(base_url + HOST + "changes/")
    page.close()


def test_breadcrumbs_lead_home_and_to_the_environment(browser: tuple[str, Any]) -> None:
    base_url, context = browser
    page = wide_page(context)
    page.goto(base_url + HOST + "virtual/")
    page.locator(".netstack-path a", has_text="lab").click()
    page.wait_for_url(base_url + "lab/")
    page.goto(base_url + HOST + "virtual/")
    page.locator(".netstack-path a", has_text="Home").click()
    page.wait_for_url(base_url)
    page.close()


def test_the_first_screen_of_a_host_shows_topology_and_packet_path_before_the_facts(
    browser: tuple[str, Any],
) -> None:
    base_url, context = browser
    page = wide_page(context)
    page.goto(base_url + HOST)
    page.wait_for_load_state("networkidle")
    boxes = page.evaluate(
        """() => ({
        figures: [...document.querySelectorAll('article img.diagram')].map(i => {
            const r = i.getBoundingClientRect();
            return [i.getAttribute('src'), r.top, r.bottom, i.naturalWidth];
        }),
        facts: document.getElementById('facts').getBoundingClientRect().top,
    })"""
    )
    srcs = [src.rsplit("/", 1)[-1] for src, *_ in boxes["figures"]]
    assert srcs == ["topology.svg", "packet-path.svg"]
    for src, top, bottom, width in boxes["figures"]:
        assert 0 < top and bottom <= WIDE["height"] and width > 100, (src, top, bottom)
    assert boxes["facts"] > WIDE["height"]
    page.close()


def test_a_rule_link_lands_on_its_line_in_the_chain_listing_with_its_counters(
    browser: tuple[str, Any], counted_site: Path
) -> None:
    _, context = browser  # one Playwright instance per module: the sync API does not nest
    with serve_directory(counted_site) as base_url:
        page = wide_page(context)
        page.goto(base_url + HOST + "netfilter/#" + JUMP_RULE)
        listing = page.locator(f"pre:has([id='{JUMP_RULE}'])")
        lines = listing.inner_text().splitlines()
        assert lines[0] == "chain input {" and lines[1].strip().startswith(
            "type filter hook input priority 0;"
        )
        assert lines[-1] == "}" and "¶" not in "".join(lines)  # copies as nft prints it
        rules = [line.strip() for line in lines[2:-1]]  # no blank lines either
        assert [r.split(" # handle")[0] for r in rules] == [
            "ct state established,related accept",
            'ip saddr @allowed tcp dport 22 accept comment "ssh from inside"',
            "jump services",
        ]
        assert rules[2].startswith("jump services # handle 8 packets 5 bytes 420")
        assert "packets" not in rules[0] + rules[1]  # no counter statement, no counters shown
        target = page.evaluate(
            "() => { const t = document.querySelector(':target'); "
            "return [t.id, getComputedStyle(t).outlineStyle, t.getBoundingClientRect().top]; }"
        )
        assert target[0] == JUMP_RULE and target[1] == "solid" and 0 <= target[2] < WIDE["height"]
        # Chains in hook order: input before forward before output, the regular chain after them.
        chains = page.eval_on_selector_all(
            "article h4[id^=nftchain]", "hs => hs.map(h => h.textContent.replace('¶', ''))"
        )
        assert chains[:4] == ["chain input", "chain forward", "chain output", "chain services"]
        # A long set is collapsed, its header still readable; its untrusted comment stays text.
        details = page.locator("details.netstack-set")
        assert details.count() == 1 and details.get_attribute("open") is None
        assert details.locator("summary").inner_text() == f"set blocked: {LONG_SET} elements"
        details.locator("summary").click()
        text = details.inner_text()
        assert 'comment "<i>x</i>"' in text and "198.51.100.39" in text
        assert page.locator("article i").count() == 0
        page.close()


def search_first_result(page: Any, base_url: str, query: str) -> str:
    page.goto(base_url)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.wait_for_function(
        "() => !/Initializing/i.test(document.querySelector('.md-search-result__meta')?.textContent ?? 'x')",
        timeout=30000,
    )
    page.locator("input.md-search__input").press_sequentially(query)
    first = page.locator(".md-search-result__item a").first
    first.wait_for(timeout=30000)
    # Results follow each keystroke (the search runs in a worker): the list shown first may answer a
    # prefix of the query. Take it once it has stopped changing.
    links = page.locator(".md-search-result__item a")
    seen: list[str | None] = []
    for _ in range(100):
        seen.append("|".join(links.evaluate_all("els => els.map(e => e.href)")))
        if len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3]:
            break
        page.wait_for_timeout(300)
    first.click()
    page.wait_for_url(lambda url: url.split("?")[0] != base_url)
    return page.url.removeprefix(base_url)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rich-host", "lab/rich-host/"),  # a host name
        ("vxlan100", "lab/rich-host/"),  # an interface name
        ("192.0.2.10", "lab/rich-host/"),  # an address
        ("vb1", "hostile/lab-01/"),  # an interface of the other host
        ("VXLAN tunnel", "handbook/virtual/"),  # a component kind: the handbook page that explains it
    ],
)
def test_search_finds_the_right_page_and_opens_it(
    browser: tuple[str, Any], query: str, expected: str
) -> None:
    base_url, context = browser
    page = wide_page(context)
    assert search_first_result(page, base_url, query).startswith(expected)
    page.close()


def test_layer_pages_stay_out_of_the_search_index_and_a_host_adds_little(built: Built) -> None:
    index = json.loads((built.site / "search" / "search_index.json").read_text())
    locations = [doc["location"] for doc in index["docs"]]
    assert not [
        loc for loc in locations if any(f"/{layer}/" in loc for layer in LAYERS) and "handbook" not in loc
    ]
    per_host = len(json.dumps([d for d in index["docs"] if d["location"].startswith(HOST)]))
    # 5 MB for 1,000 hosts leaves 5 kB a host, its environment's table row included.
    assert per_host < 4000, per_host
    host_text = " ".join(d["text"] for d in index["docs"] if d["location"].startswith(HOST))
    for word in ("vxlan100", "192.0.2.10", "VXLAN tunnel", "Bridge"):
        assert word in host_text, word


def test_a_hostile_hostname_shows_literally_in_the_sidebar_and_breadcrumbs(
    browser: tuple[str, Any], tmp_path: Path
) -> None:
    """The sidebar and breadcrumbs are drawn by the theme from front matter, outside the article."""
    hostile = "<img src=x onerror=window.__pwned=4>|{{7*7}} [h](x)\n---\nsearch: {exclude: false}"
    doc = json.loads((FIXTURE_SNAPSHOTS / "hostile" / "lab-01.json").read_text())
    doc["host"]["hostname"] = hostile
    target = tmp_path / "snapshots" / "hostile" / "weird-02.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(doc))
    (tmp_path / "project").mkdir()
    build_site(tmp_path / "snapshots", tmp_path / "site", project_dir=tmp_path / "project")
    _, context = browser
    with serve_directory(tmp_path / "site") as base_url:
        page = wide_page(context)
        page.goto(base_url + "hostile/weird-02/link/")
        seen = sidebar(page)
        assert seen["title"] == hostile.replace("\n", " ") or seen["title"] == hostile
        assert seen["crumbs"][2] in (hostile, hostile.replace("\n", " "))
        assert seen["active"] == ["link"]
        assert page.evaluate("() => window.__pwned === undefined && !document.querySelector('img[src=x]')")
        page.goto(base_url + "hostile/weird-02/interfaces/")  # the interfaces page: its own crumb, no layer
        seen = sidebar(page)
        assert seen["crumbs"][2:] in ([hostile, "Interfaces"], [hostile.replace("\n", " "), "Interfaces"])
        assert seen["active"] == [] and hostile.split("\n")[0] in page.locator("article h1").inner_text()
        assert page.locator(".netstack-hostnav [data-page=interfaces] [aria-current=page]").count() == 1
        assert page.evaluate("() => window.__pwned === undefined && !document.querySelector('img[src=x]')")
        page.close()
    index = json.loads((tmp_path / "site" / "search" / "search_index.json").read_text())
    assert not [d for d in index["docs"] if d["location"].startswith(("hostile/weird-02/link/",
                                                                      "hostile/weird-02/interfaces/"))]


def test_a_docs_repository_with_its_own_custom_dir_keeps_it_and_the_host_sidebar(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "overrides" / "partials").mkdir(parents=True)
    (project / "mkdocs.yml").write_text("theme:\n  custom_dir: overrides\n")
    (project / "overrides" / "partials" / "copyright.html").write_text("<p>team-override-marker</p>\n")
    build_site(FIXTURE_SNAPSHOTS, tmp_path / "site", project_dir=project)
    host_page = (tmp_path / "site" / HOST / "netfilter" / "index.html").read_text()
    assert "team-override-marker" in host_page  # the team's partial
    assert 'class="md-sidebar md-sidebar--primary netstack-hostnav"' in host_page  # ours
    assert (tmp_path / "site" / "assets" / "netstack" / "reading.css").is_file()
    assert not list((tmp_path / "site").rglob("*.py"))
