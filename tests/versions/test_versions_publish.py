"""Publishing with mike end to end: real captures in a sandbox, a local bare remote, three versions.

Version 1 is committed locally only; then one thing changes on the host (a route is added, the tbf
qdisc's rate changes) and version 2 is published with --push; version 3 (no change) is published
with --keep 2. Everything is read back from the bare remote's gh-pages branch.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sandbox import run_in_sandbox

from netstack_docs.model.identity import object_anchor

V1, V2, V3 = "2026-01-01", "2026-01-02", "2026-01-03"
SITE_URL = "https://docs.example.invalid/netstack/"
ROUTE = {"family": "inet", "table": "main", "type": "unicast", "dst": "192.0.2.0/24"}
QDISC = {"ifname": "veth0", "parent": "root", "handle": "1:"}

# Fixed MACs and no IPv6: two captures of this host are byte-for-byte the same configuration
# (random veth MACs and IPv6 link-local/multicast entries derived from them would differ each run).
HOST = """
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add veth0 address 02:00:00:00:09:01 type veth peer name veth1 address 02:00:00:00:09:02
ip link set veth0 up
ip link set veth1 up
ip addr add 10.9.0.1/24 dev veth0
tc qdisc add dev veth0 root handle 1: tbf rate {rate} burst 1600 latency 50ms
{extra}
$PYTHON -m netstack_docs capture --env lab --host edge --out {out} -q
"""


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return proc.stdout


def capture(out: Path, *, changed: bool) -> None:
    extra = "ip route add 192.0.2.0/24 via 10.9.0.2 dev veth0" if changed else ""
    run_in_sandbox(HOST.format(rate="2mbit" if changed else "1mbit", extra=extra, out=out))


def publish(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "netstack_docs", "publish", "--snapshots", "snapshots",
           "--site-url", SITE_URL,
           *args]
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def pages_checkout(remote: Path, into: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", "--branch", "gh-pages", str(remote), str(into)], check=True)
    return into


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Run the whole story once; tests read its checkpoints."""
    tmp = tmp_path_factory.mktemp("publish")
    remote, work = tmp / "remote.git", tmp / "work"
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(remote)], check=True)
    subprocess.run(["git", "clone", "--quiet", str(remote), str(work)], check=True)
    git(work, "config", "user.name", "github-actions[bot]")
    git(work, "config", "user.email", "41898282+github-actions[bot]@users.noreply.github.com")
    (work / "README.md").write_text("docs repo\n")
    git(work, "add", "README.md")
    git(work, "commit", "--quiet", "-m", "init")
    git(work, "push", "--quiet", "origin", "main")
    snap = work / "snapshots" / "lab" / "edge.json"
    snap.parent.mkdir(parents=True)
    story: dict = {"remote": remote, "work": work}

    capture(snap, changed=False)
    story["snap1"] = json.loads(snap.read_text())
    story["out1"] = publish(work, "--version", V1)
    story["remote_after_1"] = git(remote, "branch", "--list", "gh-pages")

    capture(snap, changed=True)
    story["snap2"] = json.loads(snap.read_text())
    story["out2"] = publish(work, "--version", V2, "--push")
    story["pages2"] = pages_checkout(remote, tmp / "pages2")

    story["out3"] = publish(work, "--version", V3, "--title", "Week 1 <final>", "--push", "--keep", "2")
    story["pages3"] = pages_checkout(remote, tmp / "pages3")
    return story


def article(html_path: Path) -> str:
    """The page's main content (Material: <article class="md-content__inner ...">)."""
    html = html_path.read_text()
    match = re.search(r'<article class="md-content__inner[^"]*">(.*?)</article>', html, re.S)
    assert match, f"no article in {html_path}"
    return match.group(1)


def test_without_push_only_a_local_commit(published):
    assert "committed locally" in published["out1"].stdout
    assert "first version" in published["out1"].stdout
    assert published["remote_after_1"] == ""  # nothing reached the remote


def test_versions_json_and_latest_alias(published):
    pages2 = published["pages2"]
    versions = json.loads((pages2 / "versions.json").read_text())
    assert versions == [
        {"version": V2, "title": V2, "aliases": ["latest"]},
        {"version": V1, "title": V1, "aliases": []},
    ]
    # latest is a redirect (alias_type redirect), down to every page, and the site root follows it
    latest = (pages2 / "latest" / "lab" / "edge" / "index.html").read_text()
    assert f'window.location.replace(\n      "../../../{V2}/lab/edge/"' in latest
    assert '"latest/"' in (pages2 / "index.html").read_text()
    deploy_subject = git(published["remote"], "log", "--format=%s", "gh-pages")
    assert f"Publish {V2} (latest) with MkDocs 1.6" in deploy_subject


def test_each_version_carries_its_own_snapshots(published):
    pages2 = published["pages2"]
    assert json.loads((pages2 / V1 / "lab" / "edge" / "snapshot.json").read_text()) == published["snap1"]
    assert json.loads((pages2 / V2 / "lab" / "edge" / "snapshot.json").read_text()) == published["snap2"]
    assert f"comparing with {V1} (1 snapshot(s) carried by that version)" in published["out2"].stderr


def test_site_url_includes_the_version(published):
    html = (published["pages2"] / V2 / "lab" / "edge" / "index.html").read_text()
    assert f'<link rel="canonical" href="{SITE_URL}{V2}/lab/edge/">' in html


def _change_links(page: Path) -> list[str]:
    return re.findall(r'href="([^"]*#[^"]*)"', article(page))


def foreign_programs(published) -> tuple[int, int]:
    """BPF programs that appeared and vanished between the two captures, not made by this test.

    The kernel's BPF program table is one for the whole machine: no namespace hides it, so programs
    that other tests running on this machine load between the two captures are real differences of
    the captured host. They are counted from the raw snapshots (not from the diff under test), so
    the page must name exactly the route, the qdisc and these.
    """
    def programs(doc):
        return Counter((p["type"], p.get("name"), p.get("tag")) for p in doc["bpf"]["programs"])

    before, after = programs(published["snap1"]), programs(published["snap2"])
    return sum((after - before).values()), sum((before - after).values())


def test_host_changes_page_names_exactly_the_change(published):
    page = published["pages2"] / V2 / "lab" / "edge" / "changes" / "index.html"
    body = article(page)
    route_anchor = object_anchor("route", "root", ROUTE)
    qdisc_anchor = object_anchor("qdisc", "root", QDISC)
    added, removed = foreign_programs(published)
    links = [link for link in _change_links(page) if not link.startswith("#")]
    route_link, qdisc_link, *prog_links = links
    assert route_link.endswith(f"/#{route_anchor}") and qdisc_link.endswith(f"/#{qdisc_anchor}")
    assert len(prog_links) == added and all("#prog-host--" in link for link in prog_links), prog_links
    assert f"{1 + added} added, 1 changed, {removed} removed" in body
    # the route, the qdisc and the qdisc's two changed fields (rate, and the limit tc derives from it)
    assert body.count("<li>") == 4 + added + removed, body
    assert "1000000" in body and "2000000" in body  # options.rate: old -> new
    # each link resolves: the layer page of this version holds an element with that id
    for link in links:
        target, anchor = link.split("#")
        layer_page = (page.parent / target / "index.html").resolve()
        assert f'id="{anchor}"' in layer_page.read_text(), layer_page


def test_site_changes_page_and_first_version(published):
    pages2 = published["pages2"]
    site = article(pages2 / V2 / "changes" / "index.html")
    added, removed = foreign_programs(published)
    assert 'href="../lab/edge/changes/"' in site
    assert f"{1 + added} added, 1 changed, {removed} removed" in site
    first = article(pages2 / V1 / "changes" / "index.html")
    assert "No previous version" in first


def test_unchanged_host_says_no_change(published):
    page = article(published["pages3"] / V3 / "lab" / "edge" / "changes" / "index.html")
    assert "No change since" in page


def test_anchors_survive_across_versions(published):
    pages2 = published["pages2"]
    link_anchor = object_anchor("link", "root", {"ifname": "veth0"})
    qdisc_anchor = object_anchor("qdisc", "root", QDISC)
    for anchor in (link_anchor, qdisc_anchor):
        homes = []
        for version in (V1, V2):
            pages = sorted((pages2 / version / "lab" / "edge").glob("*/index.html"))
            homes.append([p.parent.name for p in pages if f'id="{anchor}"' in p.read_text()])
        assert homes[0] == homes[1] and len(homes[0]) == 1, (anchor, homes)


def test_keep_removes_the_oldest_and_says_so(published):
    assert f"removed 1 old version(s) (--keep 2): {V1}" in published["out3"].stdout
    pages3 = published["pages3"]
    versions = json.loads((pages3 / "versions.json").read_text())
    assert [(v["version"], v["title"], v["aliases"]) for v in versions] == [
        (V3, "Week 1 <final>", ["latest"]), (V2, V2, [])]
    assert not (pages3 / V1).exists()


def test_version_selector_and_latest_links_in_chromium(published):
    from browser import chromium, serve_directory

    pages2 = published["pages2"]
    qdisc_anchor = object_anchor("qdisc", "root", QDISC)
    layer = next(p.parent.name for p in (pages2 / V2 / "lab" / "edge").glob("*/index.html")
                 if f'id="{qdisc_anchor}"' in p.read_text())
    with serve_directory(pages2) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}latest/lab/edge/{layer}/#{qdisc_anchor}")
        page.wait_for_url(re.compile(f"/{V2}/lab/edge/{layer}/#{qdisc_anchor}$"))
        assert page.evaluate(f"document.getElementById({json.dumps(qdisc_anchor)}) !== null")
        page.wait_for_selector(".md-version__current")
        titles = page.eval_on_selector_all(".md-version__list .md-version__link",
                                           "els => els.map(e => e.textContent.trim())")
        assert titles[:2] == [V2, V1], titles
        page.hover(".md-version")  # the list opens on hover, as for a reader's mouse
        page.locator(".md-version__link", has_text=V1).click()
        page.wait_for_url(re.compile(f"/{V1}/"))
        assert f"/{V1}/" in page.url
        page.close()
