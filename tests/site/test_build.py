"""The strict build: every contracted URL and anchor exists, failures leave the old site alone."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from site_fixtures import FIXTURE_SNAPSHOTS, LAYERS, REPO, Built, cli

from netstack_docs.errors import UserError
from netstack_docs.model.classify import classify
from netstack_docs.site.build import build_site


def tree_digest(*roots: Path) -> str:
    """A checksum of every file (path and bytes) under the given roots."""
    h = hashlib.sha256()
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            h.update(str(f).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def test_every_contracted_url_exists_for_every_host_and_layer(built: Built) -> None:
    site = built.site
    assert built.snapshots, "no fixture snapshots"
    for path in ["index.html", "changes/index.html", *(f"handbook/{layer}/index.html" for layer in LAYERS)]:
        assert (site / path).is_file(), path
    for snap in built.snapshots:
        base = site / snap.env / snap.slug
        assert (site / snap.env / "index.html").is_file()
        assert (base / "index.html").is_file()
        for layer in LAYERS:
            assert (base / layer / "index.html").is_file(), f"{snap.env}/{snap.slug}/{layer}/"
        assert json.loads((base / "snapshot.json").read_text()) == snap.doc
        assert (base / "changes" / "index.html").is_file()


def test_every_component_has_its_anchor_on_its_layer_page(built: Built) -> None:
    for snap in built.snapshots:
        view = classify(snap.doc, host_slug=snap.slug)
        for slug, layer_view in view.layers.items():
            html = (built.site / snap.env / snap.slug / slug / "index.html").read_text()
            for component in layer_view.components:
                assert f'id="{component.anchor}"' in html, (slug, component.anchor)
            if not layer_view.components:
                assert "Nothing found on this layer" in html


def test_host_pages_stay_out_of_the_navigation(built: Built) -> None:
    home = (built.site / "index.html").read_text()
    handbook = (built.site / "handbook" / "link" / "index.html").read_text()
    for snap in built.snapshots:
        assert f'href="{snap.env}/"' in home  # the environment is a tab
        assert f"{snap.env}/{snap.slug}/" not in home
        nav = handbook.split('<div class="md-content"')[0]
        assert f"{snap.env}/{snap.slug}/" not in nav


def _project_copy(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "mkdocs.yml").write_text("site_name: A team's docs\n")
    return project


@pytest.mark.parametrize(
    "link", ["[gone](no-such-page.md)", "[gone](linking.md#no-such-anchor)", "[gone](#missing-here)"]
)
def test_a_dangling_link_fails_the_build_and_keeps_the_old_site(
    tmp_path: Path, built: Built, link: str
) -> None:
    site = tmp_path / "site"
    shutil.copytree(built.site, site)
    before = tree_digest(site)
    project = _project_copy(tmp_path)
    (project / "docs" / "broken.md").write_text(f"# Broken\n\nSee {link}.\n")
    with pytest.raises(UserError) as exc:
        build_site(FIXTURE_SNAPSHOTS, site, project_dir=project)
    assert "broken.md" in str(exc.value) and "strict" in str(exc.value)
    assert tree_digest(site) == before
    assert not (tmp_path / ".site.new").exists()


def test_an_invalid_snapshot_is_refused_with_file_and_field_and_the_old_site_kept(
    tmp_path: Path, built: Built
) -> None:
    site = tmp_path / "site"
    shutil.copytree(built.site, site)
    before = tree_digest(site)
    snapshots = tmp_path / "snapshots"
    shutil.copytree(FIXTURE_SNAPSHOTS, snapshots)
    bad = snapshots / built.snapshots[0].env / f"{built.snapshots[0].slug}.json"
    doc = json.loads(bad.read_text())
    doc["namespaces"][0]["links"][0]["ifname"] = 7
    bad.write_text(json.dumps(doc))
    proc = cli("build", "--snapshots", str(snapshots), "--site", str(site), "--quiet")
    assert proc.returncode != 0
    assert str(bad) in proc.stderr and "namespaces[0].links[0].ifname" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert tree_digest(site) == before


@pytest.mark.parametrize(
    "name, problem", [("Bad_Host", "not a slug"), ("ok", "does not match its directory")]
)
def test_host_file_names_must_be_slugs_in_the_right_environment(
    tmp_path: Path, built: Built, name: str, problem: str
) -> None:
    snapshots = tmp_path / "snapshots"
    (snapshots / "other").mkdir(parents=True)
    shutil.copy(built.snapshots[0].path, snapshots / "other" / f"{name}.json")
    with pytest.raises(UserError, match=problem):
        build_site(snapshots, tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_a_directory_that_is_not_a_built_site_is_never_replaced(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not a site built by netstack-docs"):
        build_site(FIXTURE_SNAPSHOTS, precious)
    assert (precious / "notes.txt").read_text() == "mine"


def test_the_build_command_leaves_the_source_tree_untouched(tmp_path: Path) -> None:
    # The checkout is a docs repository like any other: `build` in it (what `make site` runs) uses its
    # mkdocs.yml, docs/ and snapshots/. Other work may change the checkout concurrently, so this watches
    # what the build could touch: the team's pages, its mkdocs.yml, the snapshots it reads, new entries.
    watched = [REPO / "docs", REPO / "mkdocs.yml", REPO / "snapshots"]
    before = tree_digest(*watched)
    top_before = {p.name for p in REPO.iterdir()}
    proc = cli("build", "--site", str(tmp_path / "site"), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    runbook = (tmp_path / "site" / "runbooks" / "edge-ssh-shaping" / "index.html").read_text()
    # the team's own page, built, its link to a component anchor checked and kept
    assert "prod/edge-01/traffic-control/#qdisc-root--wan0--root" in runbook
    assert "(demo)</title>" in runbook  # the repository's own site_name
    assert tree_digest(*watched) == before
    assert {p.name for p in REPO.iterdir()} - top_before == set()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging or build dirs left behind


def test_site_url_and_the_mike_version_selector_reach_the_built_site(tmp_path: Path) -> None:
    import yaml

    build_site(
        FIXTURE_SNAPSHOTS,
        tmp_path / "site",
        build_dir=tmp_path / "build",
        site_url="https://docs.example.net/network/2026-11-25",
        versioned=True,
    )
    config = yaml.safe_load((tmp_path / "build" / "mkdocs.yml").read_text())
    assert config["site_url"] == "https://docs.example.net/network/2026-11-25/"  # mike wants the slash
    assert config["extra"]["version"]["provider"] == "mike"
    assert config["strict"] is True and config["validation"]["links"]["anchors"] == "warn"
    home = (tmp_path / "site" / "index.html").read_text()
    assert 'href="https://docs.example.net/network/2026-11-25/"' in home  # canonical link
    assert '"version": {"provider": "mike"}' in home  # Material's version selector is on


def test_changes_since_a_previous_version_are_linked_from_the_host_page(tmp_path: Path, built: Built) -> None:
    previous = tmp_path / "previous"
    shutil.copytree(FIXTURE_SNAPSHOTS, previous)
    snap = next(s for s in built.snapshots if s.env == "hostile")
    doc = json.loads(snap.path.read_text())
    root = next(ns for ns in doc["namespaces"] if ns["id"] == "root")
    root["links"] = [link for link in root["links"] if link["ifname"] != "vb0"]  # vb0 is new since then
    (previous / snap.env / f"{snap.slug}.json").write_text(json.dumps(doc))
    build_site(FIXTURE_SNAPSHOTS, tmp_path / "site", previous_snapshots=previous)
    host = (tmp_path / "site" / snap.env / snap.slug / "index.html").read_text()
    assert 'href="changes/"' in host
    changes = (tmp_path / "site" / snap.env / snap.slug / "changes" / "index.html").read_text()
    assert "vb0" in changes
    assert (tmp_path / "site" / "changes" / "index.html").is_file()


def _text(html_page: str) -> str:
    """The visible text of a page, roughly: tags dropped, entities decoded."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", html_page))


def test_capture_gaps_show_on_the_host_page_and_on_their_layer_page(tmp_path: Path, built: Built) -> None:
    snap = next(s for s in built.snapshots if s.env == "hostile")
    doc = json.loads(snap.path.read_text())
    doc["gaps"] = [{"what": "nftables ruleset", "reason": "permission denied <x>|y", "namespace": None}]
    blue = next(ns for ns in doc["namespaces"] if ns["id"] == "blue")
    blue["gaps"] = [{"what": "tc qdiscs", "reason": "netns vanished"}]
    snapshots = tmp_path / "snapshots"
    (snapshots / snap.env).mkdir(parents=True)
    (snapshots / snap.env / f"{snap.slug}.json").write_text(json.dumps(doc))
    build_site(snapshots, tmp_path / "site")
    base = tmp_path / "site" / snap.env / snap.slug
    host = _text((base / "index.html").read_text())
    assert "nftables ruleset" in host and "permission denied <x>|y" in host and "netns vanished" in host
    view = classify(doc, host_slug=snap.slug)
    for gap in view.gaps:
        assert gap.layer, f"gap {gap.what!r} concerns no layer"
        assert gap.reason in _text((base / gap.layer / "index.html").read_text())


def test_a_build_dir_that_is_not_ours_is_refused_and_left_untouched(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "mkdocs.yml").write_text("site_name: A team's docs\n")
    before = sorted(p.name for p in (project / "docs").iterdir())
    for build_dir in (project, tmp_path / "somebody-elses"):
        (tmp_path / "somebody-elses").mkdir(exist_ok=True)
        (tmp_path / "somebody-elses" / "docs").mkdir(exist_ok=True)
        with pytest.raises(UserError, match="build"):
            build_site(FIXTURE_SNAPSHOTS, tmp_path / "site", build_dir=build_dir, project_dir=project)
    assert sorted(p.name for p in (project / "docs").iterdir()) == before
    assert (tmp_path / "somebody-elses" / "docs").is_dir()
    # our own build directory is reused: the second build replaces what the first wrote
    for _ in range(2):
        build_site(FIXTURE_SNAPSHOTS, tmp_path / "site", build_dir=tmp_path / "ours", project_dir=project)


def test_running_daemons_are_shown_apart_from_installed_ones(built: Built) -> None:
    # rich-host: dockerd and systemd-networkd run; dhclient is installed but stopped, nftables.conf exists
    host = (built.build_dir / "docs" / "lab" / "rich-host" / "index.md").read_text()
    # the facts and host tables are ready HTML (netstack_docs.render.ready)
    assert "<td>Network daemons running</td>\n<td>dockerd, systemd-networkd</td>" in host
    assert "<td>Installed, not running</td>\n<td>dhclient, nftables</td>" in host
    env = (built.build_dir / "docs" / "lab" / "index.md").read_text()
    assert "<td>dockerd, systemd-networkd (installed, not running: dhclient, nftables)</td>" in env


def test_namespaces_the_capture_left_out_are_said_on_the_host_page(tmp_path: Path) -> None:
    doc = json.loads((FIXTURE_SNAPSHOTS / "lab" / "rich-host.json").read_text())
    doc["state"]["namespaces_left_out"] = [
        *({"id": f"proc/c#{i}", "kind": "proc", "owner": "chromium", "why": "isolated"} for i in range(8)),
        {"id": "pod/ci/j", "kind": "proc", "owner": "pod/ci/j", "why": "excluded", "pattern": "pod/ci/*"},
    ]
    (tmp_path / "snaps" / "lab").mkdir(parents=True)
    (tmp_path / "snaps" / "lab" / "rich-host.json").write_text(json.dumps(doc))
    (tmp_path / "project").mkdir()
    project = tmp_path / "project"
    build_site(
        tmp_path / "snaps", tmp_path / "o", build_dir=tmp_path / "b", project_dir=project, diagrams=False
    )
    page = (tmp_path / "b" / "docs" / "lab" / "rich-host" / "index.md").read_text()
    said = "<td>Namespaces not captured</td>\n"
    said += "<td>8 namespaces isolated (loopback only), not captured: chromium x8; "
    assert said + "1 namespace excluded by --exclude-netns: pod/ci/j</td>" in page
