"""`netstack-docs capture` starts without the build half: no click, YAML or Markdown in its process.

A capture on a host counts its start-up (bench/capture.py): the program's entry point hands
`capture` to its argparse command before anything imports click. Everything else goes through click.
"""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from netstack_docs import entry
sys.argv = ["netstack-docs", *sys.argv[1:]]
try:
    entry.main()
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in ("click", "yaml", "markdown", "mkdocs", "jinja2") if m in sys.modules)
print("exit", code, "heavy", ",".join(heavy) or "-", file=sys.stderr)
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60)


def test_capture_starts_without_click_or_yaml() -> None:
    proc = _run("capture", "--help")
    assert "usage: netstack-docs capture" in proc.stdout
    assert proc.stderr.strip().endswith("exit 0 heavy -"), proc.stderr


def test_capture_errors_are_one_line_without_a_traceback() -> None:
    proc = _run("capture", "--env", "Not A Slug!", "--out", "/nonexistent/x.json")
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("netstack-docs: error: --env"), proc.stderr
    assert "exit 2 heavy -" in proc.stderr


def test_other_commands_still_go_through_click() -> None:
    proc = _run("--version")
    assert "netstack-docs, version" in proc.stdout
    assert "heavy click" in proc.stderr
