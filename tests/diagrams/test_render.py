"""Rendering: real Graphviz, byte-identical PNGs, a content-addressed cache, parallel `dot` runs."""

from __future__ import annotations

import os
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
    png_chunks,
    render_all,
    strip_png,
)


def jobs_for(docs: dict[str, dict], tmp: Path, out: Path) -> list[Job]:
    return [Job(name, masked(topology_dot(doc, tmp)), out / f"{name}.png") for name, doc in docs.items()]


def test_same_snapshot_gives_byte_identical_png_with_no_time_or_text_chunks(tmp_path: Path) -> None:
    doc = case_snapshots("edge-router")["edge-01"]
    a = render_all(jobs_for({"a": doc}, tmp_path, tmp_path / "one"), tmp_path / "cache1")
    time.sleep(1.1)  # a timestamp, if any were embedded, would now differ
    b = render_all(jobs_for({"a": doc}, tmp_path, tmp_path / "two"), tmp_path / "cache2")
    assert a.rendered == b.rendered == 1
    first, second = (tmp_path / "one/a.png").read_bytes(), (tmp_path / "two/a.png").read_bytes()
    assert first == second
    chunks = png_chunks(first)
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND"
    assert not {b"tIME", b"tEXt", b"iTXt", b"zTXt"} & set(chunks)
    assert str(ICON_DIR).encode() not in first  # the PNG carries pixels, no local path


def test_strip_png_drops_a_planted_time_chunk() -> None:
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"tIME", b"\x07\xea\x0b\x19\x0c\x00\x00")
        + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00\x00"))
        + chunk(b"IEND", b"")
    )
    assert png_chunks(strip_png(png)) == [b"IHDR", b"IDAT", b"IEND"]


def test_cache_renders_only_what_changed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fleet = {f"node-{i}": k8s_node(i + 1, hostname=f"node-{i}") for i in range(4)}
    cold = render_all(jobs_for(fleet, tmp_path, tmp_path / "out"), cache, workers=2)
    assert (cold.rendered, cold.cached) == (4, 0)
    warm = render_all(jobs_for(fleet, tmp_path, tmp_path / "out2"), cache, workers=2)
    assert (warm.rendered, warm.cached) == (0, 4)
    assert (tmp_path / "out/node-2.png").read_bytes() == (tmp_path / "out2/node-2.png").read_bytes()
    fleet["node-2"] = k8s_node(3, hostname="node-2-renamed")
    changed = render_all(jobs_for(fleet, tmp_path, tmp_path / "out3"), cache, workers=2)
    assert (changed.rendered, changed.cached, changed.rendered_names) == (1, 3, ["node-2"])


def test_cache_forgets_figures_no_build_used_for_a_month_and_keeps_used_ones(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fleet = {f"node-{i}": k8s_node(i + 1, hostname=f"node-{i}") for i in range(2)}
    render_all(jobs_for(fleet, tmp_path, tmp_path / "out"), cache, workers=2)
    entries = sorted(cache.glob("*/*.png"))
    month_ago = time.time() - CACHE_MAX_AGE_S - 60
    for path in entries:
        os.utime(path, (month_ago, month_ago))
    del fleet["node-1"]  # node-1's figure is no longer drawn by anyone
    render_all(jobs_for(fleet, tmp_path, tmp_path / "out2"), cache, workers=2)
    assert len(list(cache.glob("*/*.png"))) == 1  # node-0's entry was used again, so it stays


def test_identical_sources_render_once(tmp_path: Path) -> None:
    doc = k8s_node(2)
    stats = render_all(jobs_for({"x": doc, "y": doc}, tmp_path, tmp_path / "out"), tmp_path / "cache")
    assert (stats.rendered, stats.cached) == (1, 1)
    assert (tmp_path / "out/x.png").read_bytes() == (tmp_path / "out/y.png").read_bytes()


def test_graphviz_failure_names_the_figure(tmp_path: Path) -> None:
    with pytest.raises(DiagramError, match="prod/broken topology"):
        render_all([Job("prod/broken topology", "digraph { a -> }", tmp_path / "x.png")], tmp_path / "cache")
    assert not (tmp_path / "x.png").exists()


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
