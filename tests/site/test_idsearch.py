"""Search for what engineers type, in headless Chromium on the built demo site (issue 23).

One identifier of each kind is typed into Material's search box; the identifier index
(netstack_docs/render/idindex.py, assets/netstack/idsearch.js) lists the component, and clicking it
lands on its layer page at its anchor. The expected component is found in the classified demo
snapshot by what it is (not by a hard-coded anchor or id), so the test holds after a recapture.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, serve_directory
from site_fixtures import REPO

from netstack_docs.model.classify import Component, classify
from netstack_docs.render.idindex import INDEX_DIR, IndexBuilder
from netstack_docs.render.idtokens import component_tokens
from netstack_docs.site.build import build_site

DEMO = REPO / "snapshots"
Pick = Callable[[Component], bool]


def _is(kind: str, **fields: Any) -> Pick:
    return lambda c: c.identity_kind == kind and all(c.obj.get(k) == v for k, v in fields.items())


def _container(name: str) -> Pick:
    return lambda c: c.identity_kind == "netns" and (c.obj.get("container") or {}).get("name") == name


def _root_qdisc(ifname: str) -> Pick:
    return lambda c: c.identity_kind == "qdisc" and c.obj["ifname"] == ifname and c.obj["parent"] == "root"


# (what is typed, host, which component, the query: a string, or read from the component's object)
CASES: list[tuple[str, str, Pick, str | Callable[[dict[str, Any]], str]]] = [
    ("IPv4 address", "prod/k8s-node-01", _is("addr", address="192.168.50.11"), "192.168.50.11"),
    ("IPv4 prefix", "prod/k8s-node-01", _is("route", dst="10.244.2.0/24"), "10.244.2.0/24"),
    ("IPv6 address", "prod/edge-01", _is("addr", address="2001:db8:10::1"), "2001:db8:10::1"),
    ("IPv6 prefix", "prod/edge-01", _is("addr", address="2001:db8:10::1"), "2001:db8:10::/64"),
    ("MAC (OVS attached-mac)", "prod/compute-01", _is("ovsport", name="tap8a2e-02"), "fa:16:3e:00:00:02"),
    ("port in a map", "prod/edge-01", _is("nftset", name="port_forwards"), "8443"),
    ("listening port", "staging/docker-01", _is("socket", port=8080), "8080"),
    ("interface name", "prod/edge-01", _is("link", ifname="wan0"), "wan0"),
    ("pod name", "prod/k8s-node-01", _is("netns", id="pod/kube-system/coredns-5d78c9869d-x1"),
     "coredns-5d78c9869d-x1"),
    ("container name", "staging/docker-01", _container("redis"), "redis"),
    ("namespace id", "prod/k8s-node-01", _is("netns", id="pod/shop/web-7d9f8b6c5-1"), lambda o: o["name"]),
    ("set name", "prod/k8s-node-01", _is("nftset", name="cluster-ips"), "cluster-ips"),
    ("map name", "prod/edge-01", _is("nftset", name="port_forwards"), "port_forwards"),
    ("cluster IP in a verdict map", "prod/k8s-node-01", _is("nftset", name="service-ips"), "10.96.0.10"),
    ("rule comment", "prod/edge-01", _is("nftrule", comment="ssh from the office only"),
     "ssh from the office only"),
    ("qdisc handle", "prod/edge-01", _root_qdisc("wan0"), lambda o: o["handle"]),
    ("BPF program name", "prod/edge-01", _is("prog", name="xdp_edge_pass"), "xdp_edge_pass"),
    ("BPF program id", "prod/edge-01", _is("prog", name="xdp_edge_pass"), lambda o: str(o["id"])),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo docs repository (this checkout: its mkdocs.yml, docs/, intent.yaml) built strictly."""
    work = tmp_path_factory.mktemp("idsearch")
    build_site(DEMO, work / "site", build_dir=work / "build", project_dir=REPO)
    return work / "site"


@pytest.fixture(scope="module")
def browser(demo: Path) -> Iterator[tuple[str, Any]]:
    with serve_directory(demo) as base_url, chromium() as context:
        yield base_url, context


def expected(host: str, pick: Pick) -> Component:
    doc = json.loads((DEMO / f"{host}.json").read_text())
    found = [c for lv in classify(doc).layers.values() for c in lv.components if pick(c)]
    assert len(found) == 1, (host, [c.anchor for c in found])
    return found[0]


def type_into_search(page: Any, base_url: str, query: str) -> None:
    page.goto(base_url)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").press_sequentially(query)


@pytest.mark.parametrize(("what", "host", "pick", "query"), CASES, ids=[c[0] for c in CASES])
def test_typing_an_identifier_lands_on_its_component(
    browser: tuple[str, Any], what: str, host: str, pick: Pick, query: Any
) -> None:
    base_url, context = browser
    c = expected(host, pick)
    text = query if isinstance(query, str) else query(c.obj)
    page = context.new_page()
    type_into_search(page, base_url, text)
    path = f"{host}/{c.layer}/"
    links = page.locator(".netstack-ids__link")
    links.first.wait_for(timeout=30000)
    hrefs = [a.get_attribute("href") for a in links.all()]
    target = base_url + path + "#" + c.anchor
    assert target in hrefs, (what, text, hrefs[:5])
    assert hrefs.index(target) < 3, (what, text, hrefs[:5])  # at the top, not somewhere in a long list
    page.locator(f'.netstack-ids__link[href="{target}"]').click()
    page.wait_for_url(target)
    page.wait_for_function(
        "(id) => { const e = document.getElementById(id); if (!e) return false;"
        " const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }",
        arg=c.anchor,
        timeout=30000,
    )
    assert page.locator(".md-search__input").is_visible() is False or not page.evaluate(
        "() => document.getElementById('__search').checked"
    )
    page.close()


def test_every_identifier_kind_of_the_issue_is_indexed_from_the_demo() -> None:
    for what, host, pick, query in CASES:
        c = expected(host, pick)
        text = query if isinstance(query, str) else query(c.obj)
        assert text.lower() in component_tokens(c), (what, text, component_tokens(c))


def test_a_search_loads_the_manifest_and_one_shard_and_host_strings_stay_text(
    browser: tuple[str, Any], tmp_path: Path
) -> None:
    hostile = "<img src=x onerror=window.__pwned=1>"
    doc = json.loads((DEMO / "prod" / "edge-01.json").read_text())
    doc["host"]["hostname"] = hostile
    root = next(ns for ns in doc["namespaces"] if ns["id"] == "root")
    for link in root["links"]:
        if link["ifname"] == "lan0":
            link["alias"] = hostile
    (tmp_path / "snapshots" / "prod").mkdir(parents=True)
    (tmp_path / "snapshots" / "prod" / "edge-01.json").write_text(json.dumps(doc))
    (tmp_path / "project").mkdir()
    build_site(tmp_path / "snapshots", tmp_path / "site", project_dir=tmp_path / "project")
    context = browser[1]  # Playwright's sync API does not nest: the module's browser, another site
    with serve_directory(tmp_path / "site") as base_url:
        page = context.new_page()
        fetched: list[str] = []
        page.on("request", lambda r: fetched.append(r.url) if INDEX_DIR in r.url else None)
        type_into_search(page, base_url, "<img src")
        page.locator(".netstack-ids__link").first.wait_for(timeout=30000)
        assert page.locator(".netstack-ids__title").first.inner_text() == "lan0"  # found by its alias
        assert hostile in page.locator(".netstack-ids__where").first.inner_text()  # the hostname, as text
        assert page.evaluate("() => window.__pwned") is None
        assert page.locator(".md-search__output img").count() == 0
        assert fetched[0].endswith("/manifest.json") and 1 <= len(fetched) <= 3, fetched
        page.close()


def test_shards_split_by_prefix_until_small_and_cover_every_token(tmp_path: Path) -> None:
    from netstack_docs.render import idindex

    doc = json.loads((DEMO / "prod" / "k8s-node-01.json").read_text())
    view = classify(doc)
    builder = IndexBuilder([("routing", "Routing"), *[(s, s) for s in view.layers if s != "routing"]])
    components = [c for lv in view.layers.values() for c in lv.components]
    for i in range(40):  # the same host forty times: tokens shared by many hosts
        builder.add_host("prod", f"k8s-{i:02d}", f"k8s-{i:02d}", components)
    limit = idindex.SHARD_BYTES
    try:
        idindex.SHARD_BYTES = 20_000
        figures = builder.write(tmp_path)
    finally:
        idindex.SHARD_BYTES = limit
    manifest = json.loads((tmp_path / INDEX_DIR / "manifest.json").read_text())
    assert figures["shards"] == len(manifest["shards"]) > 10
    seen = set()
    for prefix, number, exact, size in manifest["shards"]:
        shard = json.loads((tmp_path / INDEX_DIR / f"{number}.json").read_text())
        tokens = [t for t, _ in shard["t"]]
        assert tokens == sorted(tokens)
        assert all(t == prefix if exact else t.startswith(prefix) for t in tokens)
        assert size < 20_000 or len(tokens) == 1, (prefix, size)
        seen.update(tokens)
    assert seen == set(builder.tokens)


def test_undecodable_and_hostile_names_are_written_as_json_text(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from netstack_docs.model.namespaces import HOST

    name = "eth\udcff0<b>{{7*7}}"  # a byte the capture decoded with surrogateescape, and markup
    c = SimpleNamespace(identity_kind="link", obj={"ifname": name, "address": "02:00:00:00:00:01"}, name=name,
                        state=None, kind=SimpleNamespace(title="Ethernet"), namespace=HOST, layer="link",
                        anchor="link-root--eth-0")
    builder = IndexBuilder([("link", "Data link")])
    builder.add_host("lab", "h", "h", [c])
    builder.write(tmp_path)
    manifest = json.loads((tmp_path / INDEX_DIR / "manifest.json").read_text(encoding="ascii"))
    tokens = {t for s in manifest["shards"]
              for t, _ in json.loads((tmp_path / INDEX_DIR / f"{s[1]}.json").read_text())["t"]}
    assert tokens == {name.lower(), "02:00:00:00:00:01"}
