"""Golden DOT per case folder: tests/diagrams/cases/<case>/{case.yaml, snapshots/, expected/}.

Set UPDATE_GOLDEN=1 to rewrite the expected files from the current code (then review the diff).
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from diagram_helpers import CASES, case_snapshots

from netstack_docs.diagrams.api import env_figure, host_figures

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
FILE_NAMES = {"topology": "topology.dot", "packet_path": "packet-path.dot"}


def actual_dots(case: str, figures: list[str], tmp: Path) -> dict[str, str]:
    """expected-file name -> masked DOT for every figure the case asks for."""
    docs = case_snapshots(case)
    views = [
        SimpleNamespace(env=d["host"]["env"], host_slug=slug, hostname=d["host"]["hostname"], snapshot=d)
        for slug, d in docs.items()
    ]
    out: dict[str, str] = {}
    for view in views:
        host_figs = [f for f in figures if f in FILE_NAMES]
        if host_figs:
            figs = host_figures(view, tmp, host_figs)
            out.update({f"{view.host_slug}.{FILE_NAMES[f]}": figs[f].source for f in host_figs})
    if "overview" in figures:
        out["overview.dot"] = env_figure(views[0].env, views, tmp).source
    return out


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if (p / "case.yaml").is_file()))
def test_dot_matches_golden(case: str, tmp_path: Path) -> None:
    spec = yaml.safe_load((CASES / case / "case.yaml").read_text())
    assert spec.get("proves"), f"{case}/case.yaml must say what the case proves"
    expected_dir = CASES / case / "expected"
    actual = actual_dots(case, spec["figures"], tmp_path)
    if UPDATE:
        expected_dir.mkdir(exist_ok=True)
        for old in expected_dir.glob("*.dot"):
            old.unlink()
        for name, dot in actual.items():
            (expected_dir / name).write_text(dot)
    expected = {p.name: p.read_text() for p in sorted(expected_dir.glob("*.dot"))}
    assert sorted(expected) == sorted(actual), (
        "figures differ from the golden files (UPDATE_GOLDEN=1 rewrites)"
    )
    for name, dot in actual.items():
        assert dot == expected[name], (
            f"{case}/expected/{name} differs (UPDATE_GOLDEN=1 rewrites; review the diff)"
        )
