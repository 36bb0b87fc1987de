"""render_site_figures as the site build calls it: paths, text equivalents, re-rendering only what changed."""

from __future__ import annotations

import copy
from pathlib import Path

from diagram_helpers import case_snapshots

from netstack_docs.diagrams import render_site_figures
from netstack_docs.model.classify import classify
from netstack_docs.model.packet_path import packet_path
from netstack_docs.render.escape import Trusted


def views(extra: dict[str, dict] | None = None) -> list:
    docs = {**case_snapshots("edge-router"), **case_snapshots("env-shared-vni-subnet"), **(extra or {})}
    return [classify(doc, host_slug=slug) for slug, doc in docs.items()]


def test_figures_are_files_under_docs_dir_with_escaped_text(tmp_path: Path) -> None:
    figs = render_site_figures(views(case_snapshots("hostile-names")), tmp_path / "docs", tmp_path / "cache")
    host = figs.host("prod", "edge-01")
    assert sorted(host) == ["packet_path", "topology"]
    assert host["topology"].src == "prod/edge-01/topology.svg"
    assert figs.env("staging")["overview"].src == "staging/overview.svg"
    for fig in [*host.values(), figs.env("staging")["overview"], *figs.host("lab", "hostile").values()]:
        assert (tmp_path / "docs" / fig.src).read_bytes().startswith(b"<?xml")
        assert isinstance(fig.text_md, Trusted) and fig.alt
    hostile = figs.host("lab", "hostile")["topology"].text_md
    assert "a&#124;b&lt;i&gt;" in hostile and "\\{\\{7\\*7\\}\\}" in hostile and "<i>" not in hostile
    assert figs.host("prod", "edge-01")["topology"].note_md is None  # nothing collapsed on a small host


def test_packet_path_text_lists_exactly_the_model_steps_in_order(tmp_path: Path) -> None:
    doc = case_snapshots("edge-router")["edge-01"]
    figs = render_site_figures([classify(doc, host_slug="edge-01")], tmp_path / "docs", tmp_path / "cache")
    text = figs.host("prod", "edge-01")["packet_path"].text_md
    path = packet_path(doc)
    ingress, egress = text.split("**Egress**")
    for part, steps in ((ingress, path.ingress), (egress, path.egress)):
        numbered = [line for line in part.splitlines() if line[:1].isdigit()]
        assert len(numbered) == len(steps)
        for i, (line, step) in enumerate(zip(numbered, steps, strict=True), 1):
            assert line.startswith(f"{i}. [") and f"]({step.layer}.md" in line
    dot = figs.host("prod", "edge-01")["packet_path"].source
    for i, step in enumerate(path.ingress, 1):
        assert f'"in-{i}"' in dot, step.label  # every step has its numbered node in the figure


def test_a_rebuild_after_one_host_changed_renders_only_that_hosts_figures(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = render_site_figures(views(), tmp_path / "a", cache, workers=2)
    assert cold.stats.rendered == 2 * 4 + 2 and cold.stats.cached == 0
    warm = render_site_figures(views(), tmp_path / "b", cache, workers=2)
    assert warm.stats.rendered == 0
    changed = copy.deepcopy(case_snapshots("env-shared-vni-subnet")["app-2"])
    changed["namespaces"][0]["links"][2]["xdp"] = {"mode": "generic", "prog_id": 7, "prog_name": "new"}
    again = render_site_figures(views({"app-2": changed}), tmp_path / "c", cache, workers=2)
    assert again.stats.rendered_names == ["staging/app-2 packet_path", "staging/app-2 topology"]
    assert (tmp_path / "b/prod/edge-01/topology.svg").read_bytes() == (
        tmp_path / "c/prod/edge-01/topology.svg"
    ).read_bytes()
