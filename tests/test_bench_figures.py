"""bench/figures.py: every benchmark shows each figure beside the last recorded one (no timing here)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Loaded by path: bench/ must not go on sys.path (bench/site.py and bench/diagrams.py would shadow
# the stdlib's `site` and the `diagrams` package for every later test).
_spec = importlib.util.spec_from_file_location("bench_figures", REPO / "bench" / "figures.py")
assert _spec is not None and _spec.loader is not None
bench_figures = importlib.util.module_from_spec(_spec)
sys.modules["bench_figures"] = bench_figures
_spec.loader.exec_module(bench_figures)
FILE, Figures, machine_kind = bench_figures.FILE, bench_figures.Figures, bench_figures.machine_kind


def test_a_figure_is_shown_beside_the_recorded_one_and_record_replaces_it(tmp_path: Path):
    path = tmp_path / "figures.json"
    first = Figures("capture", record=True, path=path)
    assert "(nothing recorded)" in first.show("package / loop", 0.261, "x", digits=3)
    first.show("traces per CPU s", 1000, "/s", better="higher", digits=0)
    first.close("three runs")
    entry = json.loads(path.read_text())["capture"]
    assert entry["machine"] == machine_kind() and entry["note"] == "three runs"
    assert entry["figures"]["package / loop"] == {"value": 0.261, "unit": "x", "better": "lower"}

    second = Figures("capture", record=False, path=path)
    slower = second.show("package / loop", 0.3, "x", digits=3)
    assert "recorded 0.261" in slower and "+15%, worse" in slower
    assert "-50%, worse" in second.show("traces per CPU s", 500, "/s", better="higher", digits=0)
    second.close()
    assert json.loads(path.read_text())["capture"]["figures"]["package / loop"]["value"] == 0.261  # kept

    third = Figures("capture", record=True, path=path)
    assert "-46%, better" in third.show("package / loop", 0.14, "x", digits=3)
    third.close()
    figures = json.loads(path.read_text())["capture"]["figures"]
    assert figures["package / loop"]["value"] == 0.14
    assert figures["traces per CPU s"]["value"] == 1000  # not measured this time: kept as it was


def test_a_figure_recorded_on_another_kind_of_machine_is_shown_but_not_compared(tmp_path: Path):
    path = tmp_path / "figures.json"
    recorded = {"x": {"value": 1.0, "unit": "s", "better": "lower"}}
    path.write_text(json.dumps({"bundle": {"machine": "a faster box, 64 CPUs", "date": "2026-01-01",
                                           "note": "", "figures": recorded}}))
    line = Figures("bundle", path=path).show("x", 2.0, "s")
    assert "on another machine: a faster box, 64 CPUs" in line and "worse" not in line


def test_every_benchmark_shows_its_figures_through_the_helper_and_the_file_names_only_known_ones():
    scripts = sorted(p for p in (REPO / "bench").glob("*.py") if p.name not in ("figures.py", "sandboxed.py"))
    assert scripts
    for script in scripts:
        source = script.read_text()
        assert "Figures(" in source and "add_record_option(parser)" in source, script.name
    if FILE.exists():
        names = {p.stem for p in scripts}
        assert set(json.loads(FILE.read_text())) <= names
