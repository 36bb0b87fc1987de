"""The interfaces page of the demo edge router (`/prod/edge-01/interfaces/`), built by the real strict
build: what a packet meets on each device, in the hook model's order, each item linked to its component."""

from __future__ import annotations

import html.parser
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, serve_directory
from site_fixtures import REPO

from netstack_docs.model.classify import classify
from netstack_docs.model.hookorder import device_egress, device_ingress
from netstack_docs.model.interfaces import host_devices
from netstack_docs.site.build import build_site

EDGE = REPO / "snapshots" / "prod" / "edge-01.json"
PAGE = "prod/edge-01/interfaces"


@dataclass
class Edge:
    site: Path
    markdown: str  # the generated page, Markdown escapes (`\-`, `&amp;`) undone: the text a reader sees
    host_markdown: str


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    work = tmp_path_factory.mktemp("interfaces")
    (work / "snapshots" / "prod").mkdir(parents=True)
    shutil.copyfile(EDGE, work / "snapshots" / "prod" / "edge-01.json")
    (work / "project").mkdir()
    build_site(work / "snapshots", work / "site", build_dir=work / "build", project_dir=work / "project")
    docs = work / "build" / "docs" / "prod" / "edge-01"
    yield Edge(work / "site", _plain((docs / "interfaces.md").read_text()), (docs / "index.md").read_text())
    shutil.rmtree(work)


def _plain(markdown: str) -> str:
    """The page's source as a reader's text, links, bold and italics written as Markdown: the device
    sections are ready HTML (netstack_docs.render.ready), one list item a line, four spaces a level."""
    # the page is written whole as HTML (netstack_docs.render.ready.PAGE): its headings as Markdown's
    markdown = re.sub(r'^<h2 id="([a-z0-9-]+)">(.*)</h2>$', r"## \2 { #\1 }", markdown, flags=re.M)
    markdown = re.sub(r'<a href="([^"<>]*)">([^<>]*)</a>', r"[\2](\1)", markdown)
    markdown = re.sub(r"</?strong>", "**", re.sub(r"</?em>", "*", markdown))
    markdown = re.sub(r"^ *(?:</?(?:ul|ol|li)>)+\n", "", markdown, flags=re.M)  # lines of closing tags
    markdown = re.sub(r"^( *)</?(?:li|p)>", r"\1- ", markdown, flags=re.M)
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown))


def _section(markdown: str, anchor: str) -> list[str]:
    """The lines of one device's section (its heading to the next one)."""
    lines = markdown.splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("## ") and line.endswith(f"{{ #{anchor} }}")
    )
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def _at(lines: list[str], needle: str) -> tuple[int, int]:
    """(line number, list depth) of the first line holding `needle`."""
    for i, line in enumerate(lines):
        if needle in line:
            return i, (len(line) - len(line.lstrip(" "))) // 4
    raise AssertionError(f"{needle!r} not in:\n" + "\n".join(lines))


def test_every_device_of_every_namespace_has_a_section_named_with_its_namespace(edge: Edge) -> None:
    headings = re.findall(r"^## (.*) \{ #([a-z0-9-]+) \}$", edge.markdown, re.M)
    assert headings[:5] == [
        (f"{name} (root namespace)", f"iface-root--{name}") for name in ("ifb0", "lan0", "lo", "wan0", "wan1")
    ]
    assert ("eth0 (netns isp)", "iface-isp--eth0") in headings
    assert ("eth0 (netns lan)", "iface-lan--eth0") in headings
    doc = json.loads(EDGE.read_text())
    assert len(headings) == sum(len(ns["links"]) for ns in doc["namespaces"])


def test_wan0_arriving_xdp_then_tc_redirect_to_ifb0_then_netdev_chains_then_prerouting(edge: Edge) -> None:
    wan0 = _section(edge.markdown, "iface-root--wan0")
    order = [
        _at(wan0, f"**{title}**")[0]
        for title in (
            "Arriving on wan0",
            "XDP",
            "tc ingress",
            "nftables ingress (netdev)",
            "prerouting",
            "Leaving through wan0",
        )
    ]
    assert order == sorted(order)
    line, _ = _at(wan0, "[xdp_edge_pass](ebpf.md#prog-host--xdp--xdp-edge-pass--")
    assert re.search(r"id \d+, mode xdpgeneric", wan0[line])
    flt, depth = _at(wan0, "action mirred egress redirect dev ifb0 stolen")
    assert (
        "bpf bytecode '1,6 0 0 4294967295'" in wan0[flt]
        and "(traffic-control.md#filter-root--wan0--" in wan0[flt]
    )
    assert _at(wan0, "[qdisc ingress ffff:](traffic-control.md#qdisc-root--wan0--ffff-fff1") == (
        flt - 1,
        depth - 1,
    )
    ifb, ifb_depth = _at(wan0, "[ifb0](interfaces.md#iface-root--ifb0)")  # the ifb's own section, this page
    assert (ifb, ifb_depth) == (flt + 1, depth + 1) and "handed back to wan0" in wan0[ifb]
    # the ifb's tbf (its handle is the kernel's choice, new on every capture)
    qdisc, qdisc_depth = _at(wan0, "](traffic-control.md#qdisc-root--ifb0--root)")
    assert "[qdisc tbf " in wan0[qdisc]
    assert (qdisc, qdisc_depth) == (ifb + 1, ifb_depth + 1) and "rate 80Mbit burst 64Kb latency 50ms" in wan0[
        qdisc
    ]
    netdev, _ = _at(wan0, "**nftables ingress (netdev)**")
    assert "not seen by packets that tc redirects to ifb0" in wan0[netdev]
    first, _ = _at(
        wan0, "[netdev ingress_guard wan0_ingress](netfilter.md#nftchain-root--netdev--ingress-guard--wan0"
    )
    second, _ = _at(wan0, "[netdev ingress_guard uplinks_ingress](netfilter.md#nftchain-root--netdev--")
    assert first < second and "priority -500" in wan0[first] and "priority -400" in wan0[second]
    rule, rule_depth = _at(wan0, "ip frag-off & 8191 != 0 counter drop")
    assert (
        rule == first + 1
        and rule_depth == 2
        and "(netfilter.md#nftrule-root--netdev--ingress-guard--" in wan0[rule]
    )
    assert (
        'iifname "wan0" dnat to tcp dport map @port_forwards' in wan0[_at(wan0, "[ip nat prerouting]")[0] + 1]
    )


def test_wan0_leaving_routes_nat_and_the_htb_tree_with_its_u32_match_decoded(edge: Edge) -> None:
    wan0 = _section(edge.markdown, "iface-root--wan0")
    leaving = _at(wan0, "**Leaving through wan0**")[0]
    wan0 = wan0[leaving:]
    order = [
        _at(wan0, f"**{title}**")[0] for title in ("routing decision", "forward", "postrouting", "tc egress")
    ]
    assert order == sorted(order)
    assert (
        "default via 203.0.113.1 dev wan0 table main"
        in wan0[_at(wan0, "(routing.md#route-root--inet--main--")[0]]
    )
    assert 'oifname { "wan0", "wan1" } masquerade' in "\n".join(wan0)
    tree = [
        ("[qdisc htb 1:](traffic-control.md#qdisc-root--wan0--root)", 1, "default 0x20"),
        ("u32 match ip dport 22 classid 1:10", 2, "protocol ip pref 1"),
        ("[class htb 1:1](traffic-control.md#class-root--wan0--1-1-", 2, "rate 100Mbit ceil 100Mbit"),
        ("[class htb 1:10](traffic-control.md#class-root--wan0--1-10-", 3, "rate 60Mbit ceil 100Mbit"),
        ("[qdisc pfifo 10:](traffic-control.md#qdisc-root--wan0--1-10-", 4, "limit 1000"),
        ("[class htb 1:20](traffic-control.md#class-root--wan0--1-20-", 3, "rate 40Mbit ceil 100Mbit"),
        ("[qdisc bfifo 20:](traffic-control.md#qdisc-root--wan0--1-20-", 4, "limit 262144"),
    ]
    lines = [_at(wan0, needle) for needle, _, _ in tree]
    assert [n for n, _ in lines] == list(range(lines[0][0], lines[0][0] + len(tree)))  # one after the other
    assert [d for _, d in lines] == [depth for _, depth, _ in tree]
    for (n, _), (_, _, words) in zip(lines, tree, strict=True):
        assert words in wan0[n]
    assert "00000016/0000ffff" not in edge.markdown


def test_lan0_ifb0_and_the_namespaces_peers(edge: Edge) -> None:
    lan0 = _section(edge.markdown, "iface-root--lan0")
    filter_line = lan0[_at(lan0, "(traffic-control.md#filter-root--lan0--")[0]]
    assert re.search(r"pref 1 bpf tc_lan_mark id \d+ direct-action", filter_line)  # the id is the kernel's
    text = "\n".join(lan0)
    assert (
        'iifname "lan0" tcp dport 22 accept' in text
        and "[tcp 10.10.0.1:22](transport.md#socket-root--" in text
    )
    assert "1 socket listening on every address" in text
    assert "[tcp 0.0.0.0:9100](transport.md#socket-root--" in text
    assert "[eth0 in the netns lan](interfaces.md#iface-lan--eth0): veth peer" in text
    assert "[10.10.0.254](routing.md#neigh-root--lan0--" in text
    assert _at(lan0, "**forward** *(if forwarded)*")[0] < _at(lan0, "**input** *(if for this host)*")[0]
    ifb0 = "\n".join(_section(edge.markdown, "iface-root--ifb0"))
    assert "**redirected here**" in ifb0 and "[wan0](interfaces.md#iface-root--wan0)" in ifb0
    peer = "\n".join(_section(edge.markdown, "iface-isp--eth0"))
    assert "[wan0 in the root namespace](interfaces.md#iface-root--wan0): veth peer" in peer


def test_the_device_hooks_are_the_hook_models_in_its_order() -> None:
    """The page's device stages are device_ingress / device_egress (model/hookorder.py), stage for stage."""
    view = classify(json.loads(EDGE.read_text()), "edge-01")
    docs = {ns["id"]: ns for ns in view.snapshot["namespaces"]}
    own = {"xdp", "tc-ingress", "netdev-ingress", "bridge", "netdev-egress", "tc-egress"}
    checked = 0
    for device in host_devices(view):
        ns = docs[device.namespace.id]
        assert [s.stage for s in device.ingress if s.stage in own] == [
            s.name for s in device_ingress(ns, device.ifname)
        ]
        assert [s.stage for s in device.egress if s.stage in own] == [
            s.name for s in device_egress(ns, device.ifname)
        ]
        checked += bool(device_ingress(ns, device.ifname))
    assert checked >= 3  # wan0, wan1, lan0 have hooks of their own


class _Ids(html.parser.HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.feed(source)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))


def test_anchors_are_unique_and_every_link_on_the_page_lands(edge: Edge) -> None:
    page = _Ids((edge.site / PAGE / "index.html").read_text())
    assert len(page.ids) == len(set(page.ids))
    devices = [i for i in page.ids if i.startswith("iface-")]
    assert len(devices) == 11 and all(re.fullmatch(r"[a-z0-9-]+", i) for i in devices)
    # an anchor has one home per host: the sections' ids are on no other page of the host
    host = edge.site / "prod" / "edge-01"
    others = [p for p in [host / "index.html", *host.glob("*/index.html")] if p.parent.name != "interfaces"]
    assert not set(devices) & {i for p in others for i in _Ids(p.read_text()).ids}
    ids: dict[Path, list[str]] = {}
    checked = 0
    for href in page.hrefs:
        path, _, fragment = href.partition("#")
        if not fragment or "://" in href:
            continue
        target = (edge.site / PAGE / path).resolve() / "index.html"
        assert target.is_file(), href
        if target not in ids:
            ids[target] = _Ids(target.read_text()).ids
        assert fragment in ids[target], href
        checked += 1
    assert checked > 50


def test_the_host_page_and_the_host_sidebar_link_the_interfaces_page(edge: Edge) -> None:
    assert "[Interfaces](interfaces.md)" in edge.host_markdown
    layer = (edge.site / "prod" / "edge-01" / "routing" / "index.html").read_text()
    assert 'href="../interfaces/"' in layer and ">Interfaces</a>" in layer


@pytest.fixture(scope="module")
def browser(edge: Edge) -> Iterator[tuple[str, Any]]:
    with serve_directory(edge.site) as base_url, chromium() as context:
        yield base_url, context


def test_a_reader_opens_the_page_from_the_host_and_follows_its_anchors(browser: tuple[str, Any]) -> None:
    base_url, context = browser
    page = context.new_page()
    page.goto(f"{base_url}prod/edge-01/")
    page.locator("article a", has_text="Interfaces").first.click()
    page.wait_for_url(f"{base_url}{PAGE}/")
    assert page.locator("article h1").inner_text().rstrip("¶") == "Interfaces of edge-01"
    active = page.locator(".netstack-hostnav a[aria-current=page]")
    assert active.inner_text().strip() == "Interfaces"
    assert page.locator("article h2#iface-root--wan0").is_visible()
    # from wan0 to its veth peer's section far down the page (instant navigation makes hrefs absolute)
    page.locator("#iface-root--wan0 ~ ul a[href$='/interfaces/#iface-isp--eth0']").first.click()
    page.wait_for_url(f"{base_url}{PAGE}/#iface-isp--eth0")
    top = page.evaluate("() => document.getElementById('iface-isp--eth0').getBoundingClientRect().top")
    assert 0 <= top < 200 and page.evaluate("() => window.scrollY") > 1000, top  # scrolled to it
    # and from wan0's tc ingress filter to the ifb it redirects to
    page.locator("#iface-root--wan0 ~ ol a[href$='/interfaces/#iface-root--ifb0']").first.click()
    page.wait_for_url(f"{base_url}{PAGE}/#iface-root--ifb0")
    top = page.evaluate("() => document.getElementById('iface-root--ifb0').getBoundingClientRect().top")
    assert 0 <= top < 200, top
    # then to the ifb's qdisc on the traffic-control page
    page.goto(f"{base_url}{PAGE}/#iface-root--ifb0")
    page.locator("a[href$='/traffic-control/#qdisc-root--ifb0--root']").first.click()
    page.wait_for_url(f"{base_url}prod/edge-01/traffic-control/#qdisc-root--ifb0--root")
    assert page.locator("#qdisc-root--ifb0--root").count() == 1
    top = page.evaluate("() => document.getElementById('qdisc-root--ifb0--root').getBoundingClientRect().top")
    assert 0 <= top < 200, top
    page.close()
