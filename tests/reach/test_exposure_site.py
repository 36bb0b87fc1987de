"""The exposure view on the site, built by the real pipeline (strict MkDocs) and read in Chromium:
each host page shows every listening socket x interface with its regions (every packet addressed to
it), each linking to its deciding rules and its example's trace, the environment page lists the
services packets from outside reach and says what counted as outside, and hostile names stay text."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from browser import chromium, serve_directory

from netstack_docs.analysis.reach.exposure import host_exposure
from netstack_docs.analysis.reach.outside import outside_of
from netstack_docs.analysis.trace import Fleet
from netstack_docs.site.build import build_site

REPO = Path(__file__).resolve().parents[2]
HOSTILE = "<b>x|{{7*7}}`"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("exposure")
    snaps = work / "snapshots" / "prod"
    snaps.mkdir(parents=True)
    for name in ("edge-01", "k8s-node-01"):
        doc = json.loads((REPO / "snapshots" / "prod" / f"{name}.json").read_text())
        if name == "edge-01":
            root = next(ns for ns in doc["namespaces"] if ns["id"] == "root")
            sock = copy.deepcopy(root["sockets"]["listening"][1])  # node_exporter on 0.0.0.0:9100
            root["sockets"]["listening"].append({**sock, "port": 8081, "process": HOSTILE})
        (snaps / f"{name}.json").write_text(json.dumps(doc))
    (work / "project").mkdir()
    (work / "project" / "mkdocs.yml").write_text(
        "site_name: exposure\nextra:\n  netstack:\n    assume: [xdp:wan0=pass, 'tc:lan0:ingress:*=ok']\n"
    )
    build_site(work / "snapshots", work / "site", build_dir=work / "build", project_dir=work / "project")
    return work / "site"


def test_host_page_table_links_every_region_to_its_rules_and_trace(site: Path) -> None:
    assume = ("xdp:wan0=pass", "tc:lan0:ingress:*=ok")
    fleet = Fleet.load(site.parent / "snapshots", assume)
    outside = outside_of({h.slug: h.doc for h in fleet.hosts.values()})
    expected = host_exposure(fleet, "prod", "edge-01", outside, assume=assume)
    with serve_directory(site) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(base + "prod/edge-01/")
        rows = page.locator("#exposure ~ * table").first.locator("tbody tr")
        assert rows.count() == len(expected.rows) > 0
        links = page.locator("#exposure ~ * table").first.locator("tbody a")
        hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
        assert len(hrefs) == sum(len(r.regions) for r in expected.rows)  # every region, whatever its fate
        for href in hrefs:
            assert "/prod/edge-01/#reach-" in href or href.startswith("#reach-"), href
            assert page.locator(f"details[id='{href.split('#')[1]}']").count() == 1
        # each region's example opens the browser trace (/trace/) with its flow filled in
        tries = page.locator("details a", has_text="try it in the browser trace")
        assert tries.count() == sum(len(r.regions) for r in expected.rows + expected.outside)
        assert "/trace/?" in (tries.first.get_attribute("href") or "")
        # ssh from the LAN: a region reaches it, decided by the accepting rule, with its trace
        ssh_lan = next(r for r in expected.rows if r.socket.get("port") == 22 and r.ifname == "lan0")
        [(rid, region)] = ssh_lan.reached
        assert region.space.contains(
            {"src": "10.10.0.7", "dst": "10.10.0.1", "proto": "tcp", "sport": 1, "dport": 22, "iif": "lan0"}
        )
        details = page.locator(f"details[id='{rid}']")
        assert "ssh from the office only" in (details.text_content() or "")
        components = details.locator("li a")
        targets = [components.nth(i).get_attribute("href") or "" for i in range(components.count())]
        assert len(targets) >= 4
        for href in targets:
            page.goto(href if href.startswith("http") else base + "prod/edge-01/" + href)
            assert page.locator(f"[id='{href.split('#')[1]}']").count() == 1, href
        page.goto(base + "prod/edge-01/")
        text = page.locator("body").inner_text()
        assert HOSTILE in text  # shown literally, in the table and in the regions
        assert page.locator("td b").count() == 0 and page.locator("details b").count() == 0


def test_environment_page_lists_services_reachable_from_outside(site: Path) -> None:
    with serve_directory(site) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(base + "prod/")
        body = page.locator("body").inner_text()
        assert "Outside is every address except this environment's own" in body and "10.244.0.0/16" in body
        table = page.locator("#reachable-from-outside ~ * table").first
        text = table.inner_text()
        assert "kubelet" in text and "10250" in text
        assert "sshd" not in text  # edge-01's ssh is only open to the office LAN
        href = table.locator("a", has_text="reachable").first.get_attribute("href")
        assert href and "k8s-node-01/#reach-" in href
        page.goto(href if href.startswith("http") else base + "prod/" + href)
        assert page.locator(f"[id='{href.split('#')[1]}']").count() == 1
