"""Rendering: real Graphviz, byte-identical SVGs (icons inlined), a content-addressed cache, parallel runs."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from diagram_factory import k8s_node
from diagram_helpers import case_snapshots, topology_dot

from netstack_docs.diagrams.dot import ICON_DIR, masked
from netstack_docs.diagrams.render import (
    CACHE_MAX_AGE_S,
    DiagramError,
    Job,
    render_all,
)
from netstack_docs.diagrams.svg import IconError, embed_icons


def jobs_for(docs: dict[str, dict], tmp: Path, out: Path) -> list[Job]:
    return [Job(name, masked(topology_dot(doc, tmp)), out / f"{name}.svg") for name, doc in docs.items()]


def test_same_snapshot_gives_byte_identical_svg_with_icons_inlined_and_no_local_path(tmp_path: Path) -> None:
    doc = case_snapshots("edge-router")["edge-01"]
    a = render_all(jobs_for({"a": doc}, tmp_path, tmp_path / "one"), tmp_path / "cache1")
    time.sleep(1.1)  # a timestamp, if any were embedded, would now differ
    b = render_all(jobs_for({"a": doc}, tmp_path, tmp_path / "two"), tmp_path / "cache2")
    assert a.rendered == b.rendered == 1
    first, second = (tmp_path / "one/a.svg").read_bytes(), (tmp_path / "two/a.svg").read_bytes()
    assert first == second
    text = first.decode()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert str(ICON_DIR) not in text and str(tmp_path) not in text and "file:" not in text
    assert "<image " in text and 'xlink:href="data:image/png;base64,' in text  # icons are inside
    uses = re.findall(r'<use xlink:href="#(netstack-icon-\d+)"', text)
    defined = re.findall(r'<image id="(netstack-icon-\d+)"', text)
    assert uses and set(uses) == set(defined) and len(defined) == len(set(defined))
    assert len(uses) > len(defined)  # the same icon used by several nodes is stored once


def test_an_svg_referring_to_a_file_outside_the_icon_set_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.svg"
    secret.write_bytes(b"x")
    svg = (
        '<svg width="1pt" height="1pt">'
        f'<image xlink:href="{secret}" width="2px" height="2px" preserveAspectRatio="none"'
        ' x="0" y="0"/></svg>'
    )
    with pytest.raises(IconError, match="outside the diagrams icon set"):
        embed_icons(svg)
    with pytest.raises(IconError, match="not recognised"):
        embed_icons('<svg><image href="/etc/passwd"/></svg>')


def test_cache_renders_only_what_changed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fleet = {f"node-{i}": k8s_node(i + 1, hostname=f"node-{i}") for i in range(4)}
    cold = render_all(jobs_for(fleet, tmp_path, tmp_path / "out"), cache, workers=2)
    assert (cold.rendered, cold.cached) == (4, 0)
    warm = render_all(jobs_for(fleet, tmp_path, tmp_path / "out2"), cache, workers=2)
    assert (warm.rendered, warm.cached) == (0, 4)
    assert (tmp_path / "out/node-2.svg").read_bytes() == (tmp_path / "out2/node-2.svg").read_bytes()
    fleet["node-2"] = k8s_node(3, hostname="node-2-renamed")
    changed = render_all(jobs_for(fleet, tmp_path, tmp_path / "out3"), cache, workers=2)
    assert (changed.rendered, changed.cached, changed.rendered_names) == (1, 3, ["node-2"])


def test_cache_forgets_figures_no_build_used_for_a_month_and_keeps_used_ones(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fleet = {f"node-{i}": k8s_node(i + 1, hostname=f"node-{i}") for i in range(2)}
    render_all(jobs_for(fleet, tmp_path, tmp_path / "out"), cache, workers=2)
    entries = sorted(cache.glob("*/*.svg"))
    month_ago = time.time() - CACHE_MAX_AGE_S - 60
    for path in entries:
        os.utime(path, (month_ago, month_ago))
    del fleet["node-1"]  # node-1's figure is no longer drawn by anyone
    render_all(jobs_for(fleet, tmp_path, tmp_path / "out2"), cache, workers=2)
    assert len(list(cache.glob("*/*.svg"))) == 1  # node-0's entry was used again, so it stays


def test_identical_sources_render_once(tmp_path: Path) -> None:
    doc = k8s_node(2)
    stats = render_all(jobs_for({"x": doc, "y": doc}, tmp_path, tmp_path / "out"), tmp_path / "cache")
    assert (stats.rendered, stats.cached) == (1, 1)
    assert (tmp_path / "out/x.svg").read_bytes() == (tmp_path / "out/y.svg").read_bytes()


def test_graphviz_failure_names_the_figure(tmp_path: Path) -> None:
    with pytest.raises(DiagramError, match="prod/broken topology"):
        render_all([Job("prod/broken topology", "digraph { a -> }", tmp_path / "x.svg")], tmp_path / "cache")
    assert not (tmp_path / "x.svg").exists()


DOT_OF_CASES = """
import json, sys
from pathlib import Path
from types import SimpleNamespace
from netstack_docs.diagrams.api import env_figure, host_figures
out = []
for path in sorted(Path("tests/diagrams/cases").glob("*/snapshots/*.json")):
    doc = json.loads(path.read_text())
    host = doc["host"]
    view = SimpleNamespace(env=host["env"], host_slug=path.stem, hostname=host["hostname"], snapshot=doc)
    out += [fig.source for fig in host_figures(view, Path(sys.argv[1])).values()]
    out.append(env_figure(view.env, [view], Path(sys.argv[1])).source)
sys.stdout.write("\\n".join(out))
"""


def test_dot_is_identical_across_processes_hash_seeds_and_output_dirs(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    runs = []
    for seed, out in (("1", tmp_path / "a"), ("987", tmp_path / "b")):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", DOT_OF_CASES, str(out)],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(proc.stdout)
    assert runs[0] == runs[1] and runs[0].count("digraph") >= 10
