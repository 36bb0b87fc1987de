"""Golden Markdown: the derived pages of the fixture snapshots, compared with reviewed copies."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
import yaml
from site_fixtures import FIXTURE_SNAPSHOTS, REPO, Built

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.parent for p in GOLDEN.glob("*/case.yaml"))


def _case(folder: Path) -> dict:
    case = yaml.safe_load((folder / "case.yaml").read_text())
    assert REPO / case["input"] == FIXTURE_SNAPSHOTS, "this case is built by the session `built` fixture"
    return case


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_generated_markdown_matches_the_golden_pages(built: Built, folder: Path) -> None:
    case = _case(folder)
    problems = []
    for page in case["pages"]:
        got = (built.build_dir / "docs" / page).read_text()
        expected_file = folder / "expected" / page
        if os.environ.get("UPDATE_GOLDEN"):
            expected_file.parent.mkdir(parents=True, exist_ok=True)
            expected_file.write_text(got)
            continue
        expected = expected_file.read_text()
        if got != expected:
            diff = difflib.unified_diff(
                expected.splitlines(), got.splitlines(), "golden", "generated", lineterm=""
            )
            problems.append(f"{page}:\n" + "\n".join(list(diff)[:40]))
    assert not problems, "generated Markdown differs (UPDATE_GOLDEN=1 to accept):\n" + "\n\n".join(problems)


def test_golden_cases_list_only_pages_that_exist_and_nothing_stale() -> None:
    for folder in CASES:
        listed = set(_case(folder)["pages"])
        on_disk = {str(p.relative_to(folder / "expected")) for p in (folder / "expected").rglob("*.md")}
        assert listed == on_disk, f"{folder.name}: expected/ and case.yaml disagree"
