"""The exposure view on the site, built by the real pipeline (strict MkDocs) and read in Chromium:
each host page shows every listening socket x interface with a verdict linking to its trace, the
environment page lists the services reachable from outside, and hostile names stay text."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from browser import chromium, serve_directory

from netstack_docs.analysis.trace import Fleet
from netstack_docs.analysis.trace.exposure import host_exposure
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


def test_host_page_table_links_every_verdict_to_its_trace(site: Path) -> None:
    fleet = Fleet.load(site.parent / "snapshots", ["xdp:wan0=pass", "tc:lan0:ingress:*=ok"])
    expected = host_exposure(fleet, "prod", "edge-01")
    with serve_directory(site) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(base + "prod/edge-01/")
        rows = page.locator("#exposure ~ * table").first.locator("tbody tr")
        assert rows.count() == len(expected.rows) > 0
        links = page.locator("#exposure ~ * table").first.locator("tbody a")
        every = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
        hrefs = [h for h in every if "/trace/?" not in h]
        assert len(hrefs) == sum(len(r.cells) for r in expected.rows)
        # and each verdict's "try it" opens the browser trace (/trace/) with its flow filled in
        assert len(every) - len(hrefs) == len(hrefs)
        for href in hrefs:
            assert href and "/prod/edge-01/#trace-" in href or str(href).startswith("#trace-")
            assert page.locator(f"[id='{str(href).split('#')[1]}']").count() == 1
        # the ssh row from the LAN: reachable, and its trace names the accepting rule
        ssh_lan = next(r for r in expected.rows if r.socket["port"] == 22 and r.ifname == "lan0")
        cell = next(c for c in ssh_lan.cells if c.source == "subnet")
        assert cell.result.verdict == "delivered"
        details = page.locator(f"details[id='{cell.trace_id}']")
        assert "ssh from the office only" in (details.text_content() or "")
        # every component link of that trace lands on an element with that id, on the right page
        components = details.locator("li a")
        targets = [components.nth(i).get_attribute("href") or "" for i in range(components.count())]
        assert len(targets) >= 4
        for href in targets:
            page.goto(href if href.startswith("http") else base + "prod/edge-01/" + href)
            assert page.locator(f"[id='{href.split('#')[1]}']").count() == 1, href
        page.goto(base + "prod/edge-01/")
        text = page.locator("body").inner_text()
        assert HOSTILE in text  # shown literally, in the table and in the traces
        assert page.locator("td b").count() == 0 and page.locator("details b").count() == 0


def test_environment_page_lists_services_reachable_from_outside(site: Path) -> None:
    with serve_directory(site) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(base + "prod/")
        table = page.locator("#reachable-from-outside ~ * table").first
        text = table.inner_text()
        assert "kubelet" in text and "10250" in text
        assert "sshd" not in text  # edge-01's ssh is only open to the office LAN
        href = table.locator("a", has_text="trace").first.get_attribute("href")
        assert href and "k8s-node-01/#trace-" in href
        page.goto(href if href.startswith("http") else base + "prod/" + href)
        assert page.locator(f"[id='{href.split('#')[1]}']").count() == 1
