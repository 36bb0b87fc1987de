"""`netstack-docs redact`: the controller-side twin of `capture --redact` (same key, same snapshot)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from capturecli import MARK
from sandbox import REPO, run_in_sandbox

from netstack_docs.snapshot.load import config_view, validate_document

TOPOLOGY = r"""
hostname secret-edge-7.example.org
ip netns add blue
ip link add v0 type veth peer name eth0 netns blue; ip link set v0 up
ip addr add 192.0.2.1/24 dev v0; ip addr add 2001:db8:7::1/64 dev v0
ip -n blue addr add 192.0.2.2/24 dev eth0; ip -n blue link set eth0 up
ip -n blue route add default via 192.0.2.1
# IPv6 addresses (and their local routes) settle after DAD: wait, or the two captures differ by timing
for i in $(seq 100); do
  [ -z "$(ip -6 addr show tentative)$(ip -n blue -6 addr show tentative)" ] && break; sleep 0.1
done
"""


def test_capture_then_redact_equals_capture_with_redact():
    script = (
        f"{TOPOLOGY}\n"
        'export PYTHONPATH="$REPO"; cd "$(mktemp -d)"\n'
        "head -c 32 /dev/urandom > key; chmod 600 key\n"
        "$PYTHON -m netstack_docs capture --env prod --host edge --redact --redact-key key -q --out a.json\n"
        "$PYTHON -m netstack_docs capture --env prod --host edge -q --out plain.json\n"
        "$PYTHON -m netstack_docs redact plain.json --out b.json --redact-key key\n"
        f"for f in a b plain; do echo '{MARK}'; cat $f.json; done; rm -r \"$PWD\"\n"
    )
    _, a_text, b_text, plain_text = run_in_sandbox(script).stdout.split(MARK)
    a, b = validate_document(json.loads(a_text), "a.json"), validate_document(json.loads(b_text), "b.json")
    plain = json.loads(plain_text)
    # BPF programs are machine-wide, and other tests on this machine load them between two captures.
    a.pop("bpf"), b.pop("bpf"), plain.pop("bpf")
    assert config_view(a) == config_view(b)
    assert config_view(b) != config_view(plain)
    assert a["meta"]["redacted"] is b["meta"]["redacted"] is True
    for secret in ("secret-edge-7", "192.0.2.1", "2001:db8:7::1"):
        assert secret in plain_text and secret not in b_text and secret not in a_text


def _redact(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netstack_docs", "redact", *args],
                          capture_output=True, text=True, cwd=REPO)


def test_redact_replaces_in_place_and_refuses_a_second_pass(tmp_path: Path):
    demo = next(Path(REPO, "snapshots").rglob("*.json"))
    target = tmp_path / "host.json"
    target.write_bytes(demo.read_bytes())
    key = tmp_path / "key"
    key.write_bytes(bytes(range(32)))
    key.chmod(0o600)
    first = _redact(str(target), "--redact-key", str(key))
    assert first.returncode == 0, first.stderr
    done = target.read_bytes()
    assert json.loads(done)["meta"]["redacted"] is True and done != demo.read_bytes()
    second = _redact(str(target), "--redact-key", str(key))
    assert second.returncode == 2 and "meta.redacted: already redacted" in second.stderr
    assert "Traceback" not in second.stderr and target.read_bytes() == done


def test_redact_of_a_broken_file_names_the_file_and_leaves_it(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "host": ')
    proc = _redact(str(bad), "--redact-key", str(tmp_path / "key"))
    assert proc.returncode == 2 and f"{bad}: line 1" in proc.stderr and "Traceback" not in proc.stderr
    assert bad.read_text() == '{"schema_version": 1, "host": '
