"""Findings on the site, from a real strict build: /<env>/checks/, host pages, home page, changes pages.

The project directory is a docs repository made for the test (the repository's mkdocs.yml and docs/
plus an intent.yaml); the snapshots are the bundled demo and the hostile-names fixture, and the
"previous version" is the demo with two changes (edge-01's uplink MTU lowered, its node_exporter
listener absent), so one finding resolved and one appeared.
"""

from __future__ import annotations

import copy
import html
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from netstack_docs.analysis.check import IntentError
from netstack_docs.site.build import build_site
from netstack_docs.snapshot import SnapshotError

REPO = Path(__file__).resolve().parents[2]
INTENTS = """
intents:
  - name: only SSH and DNS listen
    hosts: {env: prod}
    listening: {allow: [tcp/22, udp/53]}
  - name: uplink MTU
    hosts: {role: edge router}
    interface: {name: wan0, mtu: 1500}
  - name: routers forward
    hosts: {role: edge router}
    sysctl: {net.ipv4.ip_forward: "1"}
  - name: jumbo frames | <b>everywhere</b>
    hosts: {env: hostile}
    namespaces: all
    interface: {name: "*", mtu: 9000}
disable: [gateway-unreachable]
"""


@dataclass
class Site:
    root: Path
    project: Path
    snapshots: Path

    def text(self, page: str) -> str:
        """The readable text of a built page's article (tags dropped, entities decoded)."""
        article = re.search(r"<article.*?</article>", (self.root / page).read_text(), re.S)
        assert article, page
        return html.unescape(re.sub(r"<[^>]+>", "", article.group()))

    def html(self, page: str) -> str:
        return (self.root / page).read_text()


def _project(tmp: Path, intents: str) -> Path:
    project = tmp / "project"
    project.mkdir(parents=True)
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    shutil.copytree(REPO / "docs", project / "docs")
    (project / "intent.yaml").write_text(intents)
    return project


def _previous(tmp: Path, snapshots: Path) -> Path:
    previous = tmp / "previous"
    shutil.copytree(snapshots, previous)
    path = previous / "prod" / "edge-01.json"
    doc = json.loads(path.read_text())
    old = copy.deepcopy(doc)
    root = next(ns for ns in old["namespaces"] if ns["kind"] == "root")
    next(x for x in root["links"] if x["ifname"] == "wan0")["mtu"] = 1400
    root["sockets"]["listening"] = [s for s in root["sockets"]["listening"] if s["port"] != 9100]
    path.write_text(json.dumps(old))
    return previous


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    tmp = tmp_path_factory.mktemp("checks-site")
    snapshots = tmp / "snapshots"
    shutil.copytree(REPO / "snapshots", snapshots)
    shutil.copytree(REPO / "tests" / "fixtures" / "snapshots" / "hostile", snapshots / "hostile")
    project = _project(tmp, INTENTS)
    build_site(snapshots, tmp / "site", project_dir=project, previous_snapshots=_previous(tmp, snapshots))
    return Site(tmp / "site", project, snapshots)


def test_the_env_checks_page_shows_every_check_pass_or_fail_per_host(site: Site) -> None:
    text = site.text("prod/checks/index.html")
    for name in ("only SSH and DNS listen", "uplink MTU", "routers forward", "veth-peer-gone"):
        assert name in text
    assert "gateway-unreachable" not in text  # disabled in intent.yaml
    page = site.html("prod/checks/index.html")
    assert 'id="check-only-ssh-and-dns-listen-' in page
    # edge-01's extra listener: a failing row linking to the socket's anchor on its transport page
    assert re.search(r'href="\.\./edge-01/transport/#socket-root--tcp--inet--0-0-0-0-9100-[0-9a-f]+"', page)
    assert "also listening: tcp 0.0.0.0:9100 (node_exporter)" in text
    assert re.search(r"Passed on 1 host\(s\):\s*edge-01", text)  # routers forward
    assert "Declared at" in text and "intent.yaml:3" in text


def test_the_host_page_lists_its_findings_linked_to_check_and_component(site: Site) -> None:
    page = site.html("prod/edge-01/index.html")
    text = site.text("prod/edge-01/index.html")
    assert "Checks" in text and "1 failed, 0 undetermined" in text
    assert re.search(r'href="\.\./checks/#check-only-ssh-and-dns-listen-[0-9a-f]+"', page)
    assert re.search(r'href="transport/#socket-root--tcp--inet--0-0-0-0-9100-[0-9a-f]+"', page)


def test_the_home_page_summarises_checks_per_environment(site: Site) -> None:
    page = site.html("index.html")
    assert 'href="prod/checks/"' in page and 'href="hostile/checks/"' in page
    text = site.text("index.html")
    counts = re.search(r"prod\s*(\d+)\s*(\d+)\s*(\d+)", text)
    assert counts, text
    failing, undetermined, passing = map(int, counts.groups())
    assert failing >= 1 and failing + undetermined + passing == len(
        list((site.snapshots / "prod").glob("*.json"))
    )


def test_the_changes_pages_list_findings_that_appeared_and_were_resolved(site: Site) -> None:
    for page in ("changes/index.html", "prod/edge-01/changes/index.html"):
        text = site.text(page)
        appeared, _, resolved = text.partition("Resolved")
        assert "Check findings" in text
        assert "only SSH and DNS listen on prod/edge-01" in appeared and "9100" in appeared
        assert "uplink MTU on prod/edge-01" in resolved and "wan0: mtu 1400" in resolved
    page = site.html("prod/edge-01/changes/index.html")
    assert re.search(r'href="\.\./transport/#socket-root--tcp--inet--0-0-0-0-9100-[0-9a-f]+"', page)


def test_hostile_names_in_findings_show_literally(site: Site) -> None:
    text = site.text("hostile/checks/index.html")
    for name in ("<b>x", "[x](y)", "a|b", "p`q", "{{7*7}}"):
        assert f"{name}: mtu 1500" in text, name
    assert "jumbo frames | <b>everywhere</b>" in text
    host = site.text("hostile/lab-01/index.html")
    assert all(f"{name}: mtu 1500" in host for name in ("<b>x", "[x](y)", "a|b", "p`q", "{{7*7}}"))
    assert "<b>x" not in site.html("hostile/lab-01/index.html")
    page = site.html("hostile/checks/index.html")
    assert "<b>everywhere</b>" not in page and "<b>x" not in page and "49" not in text.split("Checks")[0]


def test_a_bad_intent_file_stops_the_build_and_keeps_the_old_site(site: Site, tmp_path: Path) -> None:
    project = _project(tmp_path, "intents:\n  - name: x\n    route: {dst: 10.0.0.0/33}\n")
    out = tmp_path / "site"
    build_site(site.snapshots, out, project_dir=_project(tmp_path / "good", INTENTS))
    before = (out / "index.html").read_text()
    with pytest.raises(IntentError, match=r"intent\.yaml:3: intents\[0\]\.route\.dst"):
        build_site(site.snapshots, out, project_dir=project)
    assert (out / "index.html").read_text() == before


def test_a_host_may_not_be_named_checks(tmp_path: Path) -> None:
    snapshots = tmp_path / "snapshots" / "prod"
    snapshots.mkdir(parents=True)
    shutil.copy(REPO / "snapshots" / "prod" / "edge-01.json", snapshots / "checks.json")
    with pytest.raises(SnapshotError, match="would replace the /prod/checks/ page"):
        build_site(tmp_path / "snapshots", tmp_path / "site", project_dir=_project(tmp_path, "intents: []\n"))


def test_a_reader_follows_a_finding_to_its_component_and_nothing_is_injected(site: Site) -> None:
    """Headless Chromium: home -> hostile checks page -> a finding's component on its layer page."""
    from browser import chromium, serve_directory

    with serve_directory(site.root) as base_url, chromium() as context:
        page = context.new_page()
        page.goto(base_url)
        page.locator('article a[href$="/hostile/checks/"]').first.click()  # instant nav: absolute
        page.wait_for_url(f"{base_url}hostile/checks/")
        probe = page.evaluate(
            """() => ({
            bold: document.querySelectorAll('article b').length,
            shapes: [...document.querySelectorAll('article table')].map(t => {
                const width = t.querySelector('thead tr').children.length;
                return [...t.querySelectorAll('tbody tr')].every(r => r.children.length === width);
            }),
            text: document.querySelector('article').innerText,
        })"""
        )
        assert probe["bold"] == 0 and all(probe["shapes"]) and len(probe["shapes"]) >= 2
        assert "a|b: mtu 1500" in probe["text"] and "jumbo frames | <b>everywhere</b>" in probe["text"]
        link = page.locator("article table a", has_text="a|b").first
        href = link.get_attribute("href") or ""
        link.click()
        page.wait_for_url(re.compile(r".*/hostile/lab-01/virtual/#link-root--a-b-[0-9a-f]+$"))
        anchor = href.rsplit("#", 1)[1]
        assert page.locator(f'[id="{anchor}"]').count() == 1
        page.close()
