"""What `pip install netstack-docs` gives a user: a wheel installed into a fresh venv outside the checkout.

The wheel is built from the checkout, installed (with its dependencies from the package index) into a
new virtual environment in a temporary directory, and used from a directory that is not the checkout:
`new`, then a strict `build` of the scaffolded repository.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from netstack_docs.scaffold import check_scaffold, write_scaffold

REPO = Path(__file__).resolve().parent.parent
PYODIDE_FILES = ("pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json",
                 "package.json", "VERSION")


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_wheel_carries_one_import_package_named_after_the_project(installed: Path) -> None:
    [wheel] = (installed / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if ".dist-info" not in n} == {"netstack_docs"}
    for needed in (
        "site/base/mkdocs.yml",
        "site/base/docs/linking.md",
        "site/base/docs/stylesheets/netstack.css",
        "snapshot/snapshot.schema.json",
        "model/components.yaml",
        "model/layers.yaml",
        "scaffold/files/dot-github/workflows/publish.yml",
        "scaffold/example-host.json",
        # the browser trace: its script, the loader every page carries, and Pyodide (scripts/fetch-pyodide)
        "browser/static/trace.js",
        "site/theme/assets/netstack/trace-loader.js",
        "site/base/docs/trace.md",
        *(f"browser/pyodide/{name}" for name in PYODIDE_FILES),
    ):
        assert f"netstack_docs/{needed}" in names, needed
    assert any(n.startswith("netstack_docs/render/templates/") and n.endswith(".j2") for n in names)


def test_nothing_named_generator_is_installed(installed: Path, tmp_path: Path) -> None:
    python = installed / "venv" / "bin" / "python"
    proc = subprocess.run(
        [str(python), "-c", "import generator"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode != 0 and "No module named 'generator'" in proc.stderr
    proc = subprocess.run(
        [str(python), "-m", "netstack_docs", "--help"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0 and "new" in proc.stdout and "build" in proc.stdout


def test_new_then_build_with_the_installed_command_anywhere(installed: Path, tmp_path: Path) -> None:
    tool = installed / "venv" / "bin" / "netstack-docs"
    proc = subprocess.run(
        [str(tool), "new", "docs", "--site-name", "Wheel docs"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    # pip compiles the installed role's action plugin; `new` copies the source, never its byte code
    assert (tmp_path / "docs/ansible/roles/netstack/action_plugins/netstack_capture.py").is_file()
    assert not list((tmp_path / "docs").rglob("__pycache__"))
    # every file `new` writes from the checkout is written by the installed wheel too, with the same bytes
    expected = tmp_path / "expected"
    write_scaffold(expected, check_scaffold("Wheel docs", ()))
    assert files_under(tmp_path / "docs") == files_under(expected)
    assert (tmp_path / "docs" / ".gitignore").read_text().count("/site/") == 1
    proc = subprocess.run(
        [str(tool), "build", "--quiet"], capture_output=True, text=True, cwd=tmp_path / "docs", timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    site = tmp_path / "docs" / "site"
    assert "Wheel docs" in (site / "index.html").read_text()
    assert (site / "prod" / "example-01" / "routing" / "index.html").is_file()
    assert (site / "runbooks" / "example" / "index.html").is_file()
    # the browser trace's page, its Python and the Pyodide runtime, from the installed package's data
    for name in ("index.html", "trace.js", "fleet.json", "netstack_trace.zip", "pyodide/pyodide.asm.wasm"):
        assert (site / "trace" / name).is_file(), name
