"""The browser's Python has the standard library only: what the /trace/ page ships must run there.

Three guards: the trace package imports with PyYAML, Jinja2, click, MkDocs and the schema validators
blocked; no shipped module imports anything outside the standard library; and the shipped zip itself,
alone on the path of an isolated interpreter (`-I -S`: no site-packages), traces the demo fleet
exactly as the package does.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from netstack_docs.analysis.trace import Fleet
from netstack_docs.browser import assets
from netstack_docs.browser.flow import address_owners, trace_flow
from netstack_docs.model.model import _read, json_name, load_model, model_documents

REPO = Path(__file__).resolve().parents[2]
BLOCKED = ("yaml", "jinja2", "click", "mkdocs", "material", "jsonschema", "jsonschema_rs", "pyroute2", "rich",
           "diagrams", "mike")
DEMO_DEFAULTS = ["xdp:wan0=pass", "tc:lan0:ingress:*=ok"]  # the demo's mkdocs.yml extra.netstack.assume
FLOWS = [
    ("edge-01", {"in": "wan0", "src": "192.0.2.10", "dst": "203.0.113.2", "dport": "22"}),
    ("edge-01", {"in": "lan0", "src": "10.10.0.10", "dst": "10.10.0.1", "dport": "22"}),
    ("edge-01", {"in": "lan0", "src": "2001:db8:10::5", "dst": "2001:db8:10::1", "proto": "icmpv6"}),
    ("compute-01", {"from-local": "1", "src": "10.0.0.1", "dst": "10.0.0.2", "proto": "udp", "dport": "53"}),
]
_BLOCKER = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("blocked for this test: " + name)
sys.meta_path.insert(0, Blocker())
"""


def _demo_texts() -> tuple[list[str], list[str]]:
    files = sorted((REPO / "snapshots" / "prod").glob("*.json"))
    return [f.stem for f in files], [f.read_text(encoding="utf-8") for f in files]


def test_the_trace_package_imports_with_the_build_half_blocked() -> None:
    code = _BLOCKER.format(blocked=BLOCKED) + (
        "import netstack_docs.analysis.trace\n"
        "import netstack_docs.browser.flow\n"
        "import netstack_docs.model.hookorder\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in " + repr(BLOCKED) + "))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_no_shipped_module_imports_outside_the_standard_library() -> None:
    modules = assets.browser_modules()
    assert "netstack_docs.analysis.trace.walker" in modules and "netstack_docs.model.hookorder" in modules
    assert "netstack_docs.browser.flow" in modules and "netstack_docs.snapshot.content" in modules
    assert "netstack_docs.snapshot.load" not in modules  # the validator (jsonschema) stays home
    assert assets.foreign_imports() == {}


def test_the_model_as_json_is_the_model() -> None:
    for name, doc in model_documents().items():
        assert json.loads(json.dumps(doc)) == doc, name
        assert json_name(name) == name.replace(".yaml", ".json")
    assert _read("layers.yaml") == model_documents()["layers.yaml"]
    assert load_model().layers  # the YAML path, as the build uses it


def test_the_shipped_zip_traces_the_demo_fleet_alone_in_an_isolated_interpreter(tmp_path: Path) -> None:
    zipfile.ZipFile(io.BytesIO(assets.python_zip())).extractall(tmp_path / "py")
    slugs, texts = _demo_texts()
    owners = address_owners((s, json.loads(t)) for s, t in zip(slugs, texts, strict=True))
    given = {"slugs": slugs, "owners": json.dumps(owners), "flows": FLOWS, "defaults": DEMO_DEFAULTS,
             "dir": str(REPO / "snapshots" / "prod")}
    (tmp_path / "in.json").write_text(json.dumps(given))
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(tmp_path / 'py')!r})\n"
        "from netstack_docs.browser import flow\n"
        f"data = json.load(open({str(tmp_path / 'in.json')!r}))\n"
        "def fetch(slug):\n"
        "    return open(data['dir'] + '/' + slug + '.json', encoding='utf-8').read()\n"
        "flow.load_environment('prod', data['slugs'], data['owners'], fetch, data['defaults'])\n"
        "wrong = {'in': 'nope0', 'src': '1.2.3.4', 'dst': '1.2.3.5', 'dport': '1'}\n"
        "flows = data['flows'] + [('edge-01', wrong)]\n"
        "out = [json.loads(flow.browser_trace('prod', h, json.dumps(o))) for h, o in flows]\n"
        "names = {m.split('.')[0] for m in sys.modules}\n"
        "foreign = sorted(names - set(sys.stdlib_module_names) - {'netstack_docs'})\n"
        "print(json.dumps({'out': out, 'foreign': foreign, 'file': flow.__file__}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["foreign"] == ["__main__"] or got["foreign"] == []
    assert got["file"].startswith(str(tmp_path / "py"))  # the shipped copy, not the checkout
    fleet = Fleet.from_docs(
        {("prod", s): json.loads(t) for s, t in zip(slugs, texts, strict=True)}, DEMO_DEFAULTS
    )
    for (host, options), result in zip(FLOWS, got["out"], strict=False):
        assert result == {"result": trace_flow(fleet, "prod", host, options)}, (host, options)
    error = got["out"][-1]["error"]
    assert "no interface 'nope0'" in error and "wan0" in error  # the CLI's message, naming what exists
