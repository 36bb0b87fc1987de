import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# session fixtures: the capture bundle (tests/bundle.py), the installed wheel (tests/wheel.py)
pytest_plugins = ["bundle", "wheel"]

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _outside_the_checkout(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in an empty directory: the checkout is a docs repository (its mkdocs.yml, docs/ and
    snapshots/ are the demo's), and a test that builds must say which repository it builds, never pick up
    the demo's pages by accident. This also proves nothing depends on being started inside the checkout."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
