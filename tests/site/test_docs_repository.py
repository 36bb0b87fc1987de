"""A team's own docs repository: `new` scaffolds it, its settings and pages join the strict build.

Every build here is a real, strict mkdocs build through the CLI, run in the scaffolded repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from site_fixtures import FIXTURE_SNAPSHOTS, cli

ENV = {**os.environ, "NO_COLOR": "1"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    proc = cli(
        "new",
        "network-docs",
        "--site-name",
        "ACME <net> | docs",
        "--env",
        "prod",
        "--env",
        "lab",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "network-docs"


def test_new_lays_out_a_repository_that_builds_at_once(repo: Path) -> None:
    files = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file())
    assert files == [
        ".github/workflows/build.yml",
        ".github/workflows/capture.yml",
        ".github/workflows/publish.yml",
        ".gitignore",
        "README.md",
        "ansible/capture.yml",
        "ansible/roles/netstack/action_plugins/netstack_capture.py",
        "ansible/roles/netstack/defaults/main.yml",
        "ansible/roles/netstack/meta/main.yml",
        "ansible/roles/netstack/tasks/main.yml",
        "ansible/roles/netstack/tasks/prepare.yml",
        "ansible/roles/netstack/tasks/summary.yml",
        "docs/index.md",
        "docs/runbooks/example.md",
        "mkdocs.yml",
        "snapshots/lab/README.md",
        "snapshots/prod/README.md",
        "snapshots/prod/example-01.json",
    ]
    assert yaml.safe_load((repo / "mkdocs.yml").read_text())["site_name"] == "ACME <net> | docs"
    assert "redact.key" in (repo / ".gitignore").read_text() and "/site/" in (repo / ".gitignore").read_text()
    proc = cli("build", "--quiet", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    site = repo / "site"
    runbook = (site / "runbooks" / "example" / "index.html").read_text()
    assert 'href="../../prod/example-01/traffic-control/#qdisc-root--wan0--root"' in runbook
    assert (
        "<title>Example runbook: slow SSH through the edge router - ACME &lt;net&gt; | docs</title>"
        in runbook
    )
    assert (site / "prod" / "example-01" / "traffic-control" / "index.html").is_file()
    assert (site / "linking" / "index.html").is_file()  # the tool's own pages come from the package
    # an environment with no host yet (`new --env lab`) is on the home page, the nav and its own page
    home = (site / "index.html").read_text()
    assert '<a href="lab/">lab</a></td>\n<td style="text-align: right;">no host captured yet</td>' in home
    lab = (site / "lab" / "index.html").read_text()
    assert "No host captured yet" in lab
    assert "sudo netstack-docs capture --env lab --out snapshots/lab/" in lab
    assert '<a href="lab/" class="md-tabs__link">' in home  # its tab
    # the home page's title is the site's name once, not "name - name"
    assert "<title>ACME &lt;net&gt; | docs</title>" in (site / "index.html").read_text()


def test_new_refuses_a_directory_that_is_not_empty_and_names_what_is_there(tmp_path: Path) -> None:
    (tmp_path / "docs-repo").mkdir()
    (tmp_path / "docs-repo" / "notes.txt").write_text("mine")
    proc = cli("new", "docs-repo", cwd=tmp_path)
    assert proc.returncode == 2 and "not empty (notes.txt)" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in (tmp_path / "docs-repo").iterdir()) == ["notes.txt"]


def test_the_teams_settings_and_pages_are_merged_over_the_base(repo: Path) -> None:
    (repo / "docs" / "assets").mkdir()
    (repo / "docs" / "assets" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (repo / "docs" / "ours.css").write_text(".md-header { --team-mark: 1; }\n")
    (repo / "docs" / "contacts.md").write_text("# Contacts\n\nOn call: *the network team*.\n")
    (repo / "mkdocs.yml").write_text(
        "site_name: ACME network\n"
        "theme:\n  palette: {primary: deep orange}\n  logo: assets/logo.svg\n"
        "  features: [navigation.footer]\n"
        "extra_css: [ours.css]\n"
        "markdown_extensions:\n  - abbr\n  - toc: {permalink: '#'}\n"
        "extra: {team: {pager: '555-0100'}}\n"
        "nav:\n  - Our runbooks: [runbooks/example.md]\n  - Contacts: contacts.md\n"
    )
    assert cli("build", "--quiet", "--build-dir", "../build", cwd=repo).returncode == 0
    config = yaml.safe_load((repo.parent / "build" / "mkdocs.yml").read_text())
    assert (
        config["theme"]["palette"] == {"primary": "deep orange"}
        and config["theme"]["logo"] == "assets/logo.svg"
    )
    assert (
        "navigation.footer" in config["theme"]["features"]
        and "navigation.tabs" in config["theme"]["features"]
    )
    assert config["extra_css"][-1] == "ours.css" and "stylesheets/netstack.css" in config["extra_css"]
    extensions = {next(iter(e)) if isinstance(e, dict) else e: e for e in config["markdown_extensions"]}
    assert "abbr" in extensions and extensions["toc"] == {"toc": {"permalink": "#"}}
    assert "attr_list" in extensions  # the base's required extensions stay
    assert config["strict"] is True and config["validation"]["links"]["anchors"] == "warn"
    tabs = [next(iter(t)) if isinstance(t, dict) else t for t in config["nav"]]
    assert tabs[:4] == ["Home", "Our runbooks", "Contacts", "Handbook"] and "prod" in tabs
    home = (repo / "site" / "index.html").read_text()
    assert 'data-md-color-primary="deep-orange"' in home and "assets/logo.svg" in home and "ours.css" in home


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ("docs_dir: pages\n", "mkdocs.yml:2: docs_dir: cannot be set"),
        ("site_dir: out\n", "mkdocs.yml:2: site_dir: cannot be set"),
        ("use_directory_urls: false\n", "mkdocs.yml:2: use_directory_urls: cannot be set"),
        ("validation: {links: {anchors: ignore}}\n", "mkdocs.yml:2: validation: cannot be set"),
        ("theme: {name: readthedocs}\n", "mkdocs.yml:2: theme.name: the generated pages are written for"),
        (
            "nav:\n  - Hosts: prod/example-01/index.md\n",
            "'prod/example-01/index.md' is not one of your pages",
        ),
        ("site_name: [unclosed\n", "mkdocs.yml:3: not valid YAML"),
        ("theme: {features: navigation.footer}\n", "mkdocs.yml:2: theme.features: expected a list"),
        ("hooks: hooks.py\n", "mkdocs.yml:2: hooks: expected a list"),
    ],
)
def test_a_setting_that_would_break_the_generated_site_is_refused_with_key_and_line(
    repo: Path, settings: str, expected: str
) -> None:
    assert cli("build", "--quiet", cwd=repo).returncode == 0
    before = (repo / "site" / "index.html").read_bytes()
    (repo / "mkdocs.yml").write_text("site_name: ACME\n" + settings)
    proc = cli("build", "--quiet", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr and "Traceback" not in proc.stderr
    assert (repo / "site" / "index.html").read_bytes() == before  # the previous site stays


def test_a_broken_anchor_in_a_runbook_fails_the_build_and_keeps_the_previous_site(repo: Path) -> None:
    assert cli("build", "--quiet", cwd=repo).returncode == 0
    before = (repo / "site" / "index.html").read_bytes()
    page = repo / "docs" / "runbooks" / "example.md"
    page.write_text(page.read_text().replace("#qdisc-root--wan0--root", "#qdisc-root--wan9--root"))
    proc = cli("build", "--quiet", cwd=repo)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "runbooks/example.md" in proc.stderr and "qdisc-root--wan9--root" in proc.stderr
    assert (repo / "site" / "index.html").read_bytes() == before


def test_a_page_of_ours_that_collides_with_a_generated_url_names_both(repo: Path) -> None:
    (repo / "docs" / "prod").mkdir()
    (repo / "docs" / "prod" / "index.md").write_text("# Prod\n")
    proc = cli("build", "--quiet", cwd=repo)
    assert proc.returncode == 2
    assert "docs/prod/index.md: collides with the generated pages of environment 'prod'" in proc.stderr
    (repo / "docs" / "prod" / "index.md").unlink()
    (repo / "docs" / "linking.md").write_text("# Mine\n")
    proc = cli("build", "--quiet", cwd=repo)
    assert proc.returncode == 2 and "collides with the tool's own page linking.md" in proc.stderr


def test_a_missing_snapshots_directory_says_how_to_make_one(tmp_path: Path) -> None:
    proc = cli("build", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "netstack-docs capture --env prod" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_config_points_at_a_repository_elsewhere_and_its_snapshots_follow(repo: Path, tmp_path: Path) -> None:
    proc = cli(
        "build",
        "--quiet",
        "--config",
        str(repo / "mkdocs.yml"),
        "--site",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "prod" / "example-01" / "index.html").is_file()
    assert (tmp_path / "out" / "runbooks" / "example" / "index.html").is_file()


def test_publish_in_a_scaffolded_repository_to_a_bare_remote(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.net"]
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    for cmd in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-qm", "docs"],
        ["remote", "add", "origin", str(remote)],
    ):
        subprocess.run([*git, *cmd], cwd=repo, check=True)
    (repo / "mkdocs.yml").write_text(
        (repo / "mkdocs.yml").read_text() + "site_url: https://docs.example.net/net/\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "netstack_docs", "publish", "--push", "--version", "2026-11-28"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **ENV,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.net",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.net",
        },
    )
    assert proc.returncode == 0, proc.stderr
    files = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "gh-pages"],
        cwd=remote,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "2026-11-28/runbooks/example/index.html" in files
    assert "2026-11-28/prod/example-01/snapshot.json" in files
    page = subprocess.run(
        ["git", "show", "gh-pages:2026-11-28/index.html"],
        cwd=remote,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "https://docs.example.net/net/2026-11-28/" in page  # the repository's site_url, per version


def test_the_bundled_example_host_is_the_demo_edge_router() -> None:
    """The example a new repository ships is the demo's edge-01 (kept in step when the demo is recaptured)."""
    from netstack_docs.scaffold import EXAMPLE_SNAPSHOT

    demo = Path(__file__).resolve().parents[2] / "snapshots" / "prod" / "edge-01.json"
    if not demo.is_file():  # a wheel installed outside the checkout has no demo to compare with
        pytest.skip("the demo snapshots are not beside these tests")
    assert json.loads(EXAMPLE_SNAPSHOT.read_text()) == json.loads(demo.read_text())


def test_fixture_snapshots_build_in_a_repository_without_settings(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE_SNAPSHOTS, tmp_path / "snapshots")
    proc = cli("build", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "<title>Network stack documentation" in (tmp_path / "site" / "index.html").read_text()


def test_nothing_of_the_build_machine_reaches_the_site(repo: Path, tmp_path: Path) -> None:
    """Not the docs repository's path, not the build directory, anywhere: pages, search index, SVGs."""
    (repo / "intent.yaml").write_text(
        "intents:\n  - name: routers forward\n    hosts: {env: prod}\n"
        "    sysctl: {net.ipv4.ip_forward: '1'}\n"
    )
    (repo / "intent").mkdir()
    (repo / "intent" / "more.yaml").write_text(
        "intents:\n  - name: no telnet\n    hosts: {env: prod}\n    listening: {allow: [tcp/22]}\n"
    )
    build_dir = tmp_path / "kept-build"
    proc = cli("build", "--quiet", "--build-dir", str(build_dir), cwd=repo)
    assert proc.returncode == 0, proc.stderr
    site = repo / "site"
    checks = (site / "prod" / "checks" / "index.html").read_text()
    assert "intent.yaml:2" in checks and "intent/more.yaml:2" in checks  # relative to the repository
    leaks = {
        str(p.relative_to(site)): needle
        for p in site.rglob("*")
        if p.is_file()
        for needle in (str(repo), str(build_dir), str(tmp_path), "netstack-docs-build-")
        if needle.encode() in p.read_bytes()
    }
    assert not leaks
    # the default build directory is a temporary one: its name reaches nothing either
    proc = cli("build", "--quiet", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    for p in site.rglob("*"):
        assert not p.is_file() or b"netstack-docs-build-" not in p.read_bytes(), p


def test_without_graphviz_the_build_says_what_to_install_and_keeps_the_site(
    repo: Path, tmp_path: Path
) -> None:
    assert cli("build", "--quiet", cwd=repo).returncode == 0
    site = repo / "site"
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    # a PATH with Python and git but no Graphviz
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("git",):
        (bin_dir / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    env = {**ENV, "PATH": str(bin_dir), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    run = [sys.executable, "-m", "netstack_docs", "build", "--quiet"]
    proc = subprocess.run(run, cwd=repo, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "Graphviz is not installed" in proc.stderr and "sudo apt-get install graphviz" in proc.stderr
    assert "sudo dnf install graphviz" in proc.stderr and "brew install graphviz" in proc.stderr
    assert "--no-diagrams" in proc.stderr
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    # --no-diagrams builds without Graphviz: no pictures, the text equivalents shown open
    proc = subprocess.run(
        [*run, "--no-diagrams"], cwd=repo, capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    host = (site / "prod" / "example-01" / "index.html").read_text()
    assert not list(site.rglob("*.svg")) and "topology.svg" not in host
    assert "Topology as text" in host and '<details class="note" open="open">' in host


def test_new_without_the_example_writes_neither_host_nor_runbook_and_builds(tmp_path: Path) -> None:
    proc = cli("new", "docs", "--no-example", "--env", "prod", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    repo = tmp_path / "docs"
    assert not (repo / "snapshots" / "prod" / "example-01.json").exists()
    assert not (repo / "docs" / "runbooks").exists()
    assert "runbooks/example.md" not in str(yaml.safe_load((repo / "mkdocs.yml").read_text()).get("nav"))
    assert "--no-example" in (repo / "README.md").read_text()
    proc = cli("build", "--quiet", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "no host captured yet" in (repo / "site" / "index.html").read_text()


def test_the_scaffold_readme_says_the_example_host_and_runbook_go_together(repo: Path) -> None:
    readme = (repo / "README.md").read_text()
    assert "`snapshots/prod/example-01.json` is an example host" in readme
    assert "remove the\nhost, the runbook and its `nav` entry in one change" in readme
    assert "netstack-docs new DIR --no-example" in readme
