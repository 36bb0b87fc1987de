"""The single-file bundle: reproducible, runs on a bare interpreter, and stays within Python 3.9."""

from __future__ import annotations

import ast
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from bundle import BUNDLE_PATH_SNIPPET
from capturecli import differences, sandbox_config
from sandbox import SYSTEM_PYTHON, run_in_sandbox

from netstack_docs.bundle.build import write_bundle
from netstack_docs.snapshot.load import validate_document
from netstack_docs.versions.diff import diff_snapshots

MARK = "=====SNAPSHOT====="
VERMIN = Path(sys.executable).parent / "vermin"


def test_the_bundle_is_the_same_bytes_every_time_and_has_no_build_half(capture_bundle: Path, tmp_path: Path):
    again = tmp_path / "again.pyz"
    write_bundle(again)
    assert again.read_bytes() == capture_bundle.read_bytes()
    names = zipfile.ZipFile(capture_bundle).namelist()
    assert "__main__.py" in names and "pyroute2/iproute/linux.py" in names
    assert "netstack_docs/capture/run.py" in names and "netstack_docs/snapshot/snapshot.schema.json" in names
    assert not [n for n in names if n.startswith(("click/", "jinja2/", "jsonschema", "netstack_docs/site/"))]
    assert "netstack_docs/snapshot/load.py" not in names  # it imports jsonschema


def test_the_bundle_captures_a_sandbox_with_an_isolated_interpreter(capture_bundle: Path):
    script = (
        "ip netns add blue\n"
        "ip link add br0 type bridge; ip link set br0 up\n"
        "ip link add v0 type veth peer name eth0 netns blue; ip link set v0 master br0 up\n"
        "ip -n blue addr add 10.5.0.2/24 dev eth0; ip -n blue link set eth0 up\n"
        "cd /tmp\n"  # nothing of the checkout on the path: -I -S and a foreign working directory
        "$SYSTEM_PYTHON -I -S $BUNDLE capture --env prod --host edge-01 --role 'edge' --out /tmp/b.json\n"
        f"echo '{MARK}'; cat /tmp/b.json\n"
    )
    proc = run_in_sandbox(script, env={"BUNDLE": str(capture_bundle)})
    doc = validate_document(json.loads(proc.stdout.split(MARK, 1)[1]), "bundle snapshot")
    assert (doc["host"]["env"], doc["host"]["hostname"], doc["host"]["role"]) == ("prod", "edge-01", "edge")
    assert {ns["id"] for ns in doc["namespaces"]} == {"root", "blue"}
    root = next(ns for ns in doc["namespaces"] if ns["id"] == "root")
    assert {"br0", "v0"} <= {link["ifname"] for link in root["links"]}
    assert doc["meta"]["tools"]["pyroute2"].startswith("0.9")  # METADATA travels inside the bundle
    assert "wrote /tmp/b.json" in proc.stderr


def test_the_bundle_captures_what_the_installed_package_captures(capture_bundle: Path):
    """The bundle's pyroute2 has a lean package __init__ and ships byte code: neither may change a thing."""
    script = (
        "ip netns add blue; ip link add br0 type bridge; ip link set br0 up\n"
        "ip link add v0 type veth peer name eth0 netns blue; ip link set v0 master br0 up\n"
        "ip -n blue addr add 10.5.0.2/24 dev eth0; ip -n blue link set eth0 up\n"
        "ip -n blue route add default via 10.5.0.1; ip -n blue rule add from 10.5.0.0/24 table 7\n"
        "ip tuntap add dev tap7 mode tap; ip link add vx0 type vxlan id 42 dstport 4789 local 127.0.0.1\n"
        "tc qdisc add dev v0 root handle 1: htb default 10\n"
        "tc class add dev v0 parent 1: classid 1:10 htb rate 1mbit\n"
        "tc filter add dev v0 parent 1: protocol ip prio 5 u32 match ip dport 22 0xffff flowid 1:10\n"
        "tc qdisc add dev br0 clsact\n"
        "nft add table inet t; nft add chain inet t in '{ type filter hook input priority 0; }'\n"
        "nft add rule inet t in tcp dport 22 counter accept\n"
        "settle\n"
        "cd /tmp\n"
        "$PYTHON -m netstack_docs capture --env lab --host t --out /tmp/installed.json --quiet\n"
        "$SYSTEM_PYTHON -I -S $BUNDLE capture --env lab --host t --out /tmp/bundle.json --quiet\n"
        f"echo '{MARK}'; cat /tmp/installed.json; echo '{MARK}'; cat /tmp/bundle.json\n"
    )
    _, installed, bundled = run_in_sandbox(script, env={"BUNDLE": str(capture_bundle)}).stdout.split(MARK)
    a = validate_document(json.loads(installed), "installed capture")
    b = validate_document(json.loads(bundled), "bundle capture")
    assert not diff_snapshots(a, b, "lab", "t").changed, differences(sandbox_config(a), sandbox_config(b))
    assert [ns["gaps"] for ns in a["namespaces"]] == [ns["gaps"] for ns in b["namespaces"]]
    assert [g for g in a["gaps"] if not g["what"].startswith("bpf")] == \
        [g for g in b["gaps"] if not g["what"].startswith("bpf")]


def test_the_bundle_imports_only_the_pyroute2_it_uses_from_byte_code_when_it_can(capture_bundle: Path):
    probe = (
        BUNDLE_PATH_SNIPPET
        + "import importlib.util, json, sys\n"
        "import netstack_docs.capture.cli, netstack_docs.capture.run, netstack_docs.capture.rtnl\n"
        "from pyroute2.ethtool import Ethtool\n"
        "print(json.dumps({'magic': importlib.util.MAGIC_NUMBER.hex(), 'modules': sorted(sys.modules),\n"
        "                  'run': netstack_docs.capture.run.__file__}))\n"
    )
    proc = subprocess.run([SYSTEM_PYTHON, "-I", "-S", "-"], input=probe, capture_output=True, text=True,
                          env=dict(os.environ, BUNDLE=str(capture_bundle)), check=True)
    seen = json.loads(proc.stdout)
    assert {"pyroute2.netlink.marshal", "pyroute2.netlink.rtnl.ifinfmsg"} <= set(seen["modules"])
    unused = ("pyroute2.ipdb", "pyroute2.ndb", "pyroute2.iproute")  # what pyroute2's own __init__ imports
    assert not [m for m in seen["modules"] if m.startswith(unused)]
    names = set(zipfile.ZipFile(capture_bundle).namelist())
    assert {n + "c" for n in names if n.endswith(".py")} <= names
    # Byte code for the Python that built the bundle; another version compiles the sources (3.9 test).
    same_python = seen["magic"] == importlib.util.MAGIC_NUMBER.hex()
    assert seen["run"].endswith("capture/run.pyc" if same_python else "capture/run.py")


def _python_3_9() -> str | None:
    """A real Python 3.9 interpreter, if this machine has one (pyenv's, or python3.9 on PATH)."""
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9")))
    return found[-1] if found else shutil.which("python3.9")


def test_the_bundle_runs_on_python_3_9_itself(capture_bundle: Path):
    python = _python_3_9()
    if python is None:  # vermin and the AST check below still hold the line on every machine
        pytest.skip("no Python 3.9 interpreter on this machine")
    script = (
        "ip link add v0 type veth peer name v1; ip link set v0 up; ip addr add 10.5.0.1/24 dev v0\n"
        "tc qdisc add dev v0 root handle 1: htb default 1\n"
        "cd /tmp\n"
        f"{python} -I -S $BUNDLE capture --env lab --host py39 --quiet --redact --redact-key $KEYDIR/key "
        "--out $KEYDIR/out.json\n"
        f"echo '{MARK}'; cat $KEYDIR/out.json\n"
    )
    with tempfile.TemporaryDirectory() as keydir:
        proc = run_in_sandbox(script, env={"BUNDLE": str(capture_bundle), "KEYDIR": keydir})
    doc = validate_document(json.loads(proc.stdout.split(MARK, 1)[1]), "python 3.9 snapshot")
    assert doc["meta"]["tools"]["python"].startswith("3.9.") and doc["meta"]["redacted"] is True
    root = next(ns for ns in doc["namespaces"] if ns["id"] == "root")
    assert any(q["kind"] == "htb" for q in root["tc"]["qdiscs"])
    assert not [g for g in doc["gaps"] if "Error" in g["reason"]], doc["gaps"]


def test_the_bundle_reports_bad_options_without_a_traceback(capture_bundle: Path):
    proc = subprocess.run([SYSTEM_PYTHON, "-I", "-S", str(capture_bundle), "capture", "--env", "Prod"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "--env 'Prod' is not usable in a URL" in proc.stderr and "Traceback" not in proc.stderr
    usage = subprocess.run([SYSTEM_PYTHON, "-I", "-S", str(capture_bundle)], capture_output=True, text=True)
    assert usage.returncode == 2 and "capture --help" in usage.stderr


def _vermin(folder: Path) -> subprocess.CompletedProcess[str]:
    # enum.StrEnum: pyroute2/compat.py imports it inside `try ... except ImportError` with a fallback.
    # Python-2-only names that vermin also reports (basestring, file) sit in pyroute2's py2 fallbacks.
    return subprocess.run([str(VERMIN), "--no-tips", "--violations", "-t=3.9-", "--exclude", "enum.StrEnum",
                           str(folder)], capture_output=True, text=True)


def test_everything_inside_the_bundle_runs_on_python_3_9(capture_bundle: Path, tmp_path: Path):
    if not VERMIN.exists():
        pytest.fail(f"{VERMIN} missing: install the test extra (make venv)")
    inside = tmp_path / "inside"
    zipfile.ZipFile(capture_bundle).extractall(inside)
    proc = _vermin(inside)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Minimum required versions: 3.9" in proc.stdout or "Minimum required versions: 3.8" in proc.stdout
    # The check can fail: the same bundle plus one 3.11 API is refused.
    shutil.copy(inside / "netstack_docs/capture/run.py", inside / "netstack_docs/capture/planted.py")
    (inside / "netstack_docs/capture/planted.py").write_text("from datetime import UTC\n")
    planted = _vermin(inside)
    assert planted.returncode != 0 and "datetime.UTC" in planted.stdout


def _runtime_unions(source: str) -> list[int]:
    """Lines where `A | B` between type-like names is evaluated at runtime (an error before 3.10).

    vermin cannot tell these from annotations under `from __future__ import annotations`."""
    tree = ast.parse(source)
    in_annotation = {id(n) for node in ast.walk(tree) for ann in _annotations(node) for n in ast.walk(ann)}

    def type_like(node: ast.expr) -> bool:
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
        builtin = name in {"int", "str", "bytes", "bool", "float", "list", "dict", "tuple", "set", "type"}
        camel = name[:1].isupper() and any(c.islower() for c in name)
        return builtin or camel or (isinstance(node, ast.Constant) and node.value is None)

    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr)
            and id(node) not in in_annotation and (type_like(node.left) or type_like(node.right))]


def _annotations(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
        return [node.annotation]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
        return [node.returns]
    return []


def test_no_type_union_is_evaluated_at_runtime_in_the_capture_half(capture_bundle: Path):
    found = {}
    with zipfile.ZipFile(capture_bundle) as zf:
        for name in zf.namelist():
            if name.startswith("netstack_docs/") and name.endswith(".py"):
                lines = _runtime_unions(zf.read(name).decode())
                if lines:
                    found[name] = lines
    assert found == {}
    assert _runtime_unions("import ipaddress\nIP = ipaddress.IPv4Address | ipaddress.IPv6Address\n") == [2]
    assert _runtime_unions("def f(x: int | None) -> str | None: return x | 4\n") == []
