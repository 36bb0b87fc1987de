"""The capture command end to end: determinism, running without root, names, help, output path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bundle import UNPRIVILEGED_PYTHON
from capturecli import MARK, capture, differences, namespace, sandbox_config
from sandbox import REPO, run_in_sandbox

from netstack_docs.snapshot.load import validate_document

BUSY = r"""
ip netns add a; ip netns add b
ip link add br0 type bridge; ip link set br0 up
for n in a b; do
  ip link add h-$n type veth peer name eth0 netns $n
  ip link set h-$n master br0 up
  ip -n $n link set eth0 up; ip -n $n addr add 10.7.0.$([ $n = a ] && echo 2 || echo 3)/24 dev eth0
  ip -n $n route add default via 10.7.0.1
done
ip addr add 10.7.0.1/24 dev br0
tc qdisc add dev h-a root handle 1: htb default 1
tc class add dev h-a parent 1: classid 1:1 htb rate 5mbit
ip neigh add 10.7.0.9 lladdr 02:00:00:00:00:09 dev br0 nud permanent
settle  # DAD done before the traffic (equal configuration needs no settling: test_settling.py)
$PYTHON "$REPO/tests/capture/traffic.py" 10.7.0.2
"""


def test_two_captures_of_an_unchanged_host_have_equal_configuration():
    script = (
        f"{BUSY}\n"
        "$PYTHON -m netstack_docs capture --env lab --host t --out /tmp/one.json --quiet\n"
        # traffic between the captures: counters move, neighbours are learned, the kernel adds
        # NOARP entries for the broadcast and loopback destinations; none of it is configuration
        "$PYTHON \"$REPO/tests/capture/traffic.py\" 10.7.0.3 10.7.0.255 127.0.0.1 224.0.0.1\n"
        "$PYTHON -m netstack_docs capture --env lab --host t --out /tmp/two.json --quiet\n"
        f"echo '{MARK}'; cat /tmp/one.json; echo '{MARK}'; cat /tmp/two.json\n"
    )
    _, one, two = run_in_sandbox(script).stdout.split(MARK)
    first, second = json.loads(one), json.loads(two)
    validate_document(first, "one.json")
    validate_document(second, "two.json")
    one_config, two_config = sandbox_config(first), sandbox_config(second)
    assert one_config == two_config, differences(one_config, two_config)
    assert first["meta"]["captured_at"] <= second["meta"]["captured_at"]
    # the file is written with sorted keys, so equal configuration means equal bytes apart from meta/state
    assert one.index('"bpf"') < one.index('"gaps"') < one.index('"host"') < one.index('"meta"')


def test_without_root_a_valid_snapshot_is_written_with_gaps(capture_bundle: Path):
    setup = BUSY + "mkdir -p /tmp/nr && chmod 777 /tmp/nr\n"
    script = (  # the bundle, so that the unprivileged user needs nothing from the checkout
        f"{setup}\n"
        f"{UNPRIVILEGED_PYTHON} $BUNDLE capture --env lab --host t --out /tmp/nr/snap.json --quiet\n"
        f"echo '{MARK}'; cat /tmp/nr/snap.json\n"
    )
    proc = run_in_sandbox(script, env={"BUNDLE": str(capture_bundle)})
    doc = validate_document(json.loads(proc.stdout.split(MARK, 1)[1]), "snap.json")
    assert doc["meta"]["euid"] == 65534
    assert any(g["what"] == "capture privileges" for g in doc["gaps"])
    root = namespace(doc, "root")
    assert {x["ifname"] for x in root["links"]} >= {"br0", "h-a", "h-b"}  # netlink dumps need no privilege
    assert any(q["kind"] == "htb" for q in root["tc"]["qdiscs"])
    for ns_id in ("a", "b"):  # named namespaces are listed but cannot be entered
        gaps = namespace(doc, ns_id)["gaps"]
        assert any("could not enter" in g["reason"] and "permission denied" in g["reason"] for g in gaps)


def test_default_output_path_names_env_and_host_and_summary_lists_gaps():
    script = (
        "cd \"$(mktemp -d)\"\n"
        "hostname Web-01.Example.org\n"
        "PYTHONPATH=$REPO $PYTHON -m netstack_docs capture --env prod 2> /tmp/err\n"
        "ls snapshots/prod; cat /tmp/err >&2\n"
    )
    proc = run_in_sandbox(script)
    assert proc.stdout.split() == ["web-01.json"]
    assert "wrote snapshots/prod/web-01.json" in proc.stderr


def test_redacted_capture_default_file_name_does_not_reveal_the_hostname():
    script = (
        "cd \"$(mktemp -d)\"\n"
        "hostname secret-host-77\n"
        "PYTHONPATH=$REPO $PYTHON -m netstack_docs capture --env prod --redact --redact-key /tmp/key -q\n"
        "ls snapshots/prod; cat snapshots/prod/*.json\n"
    )
    name, text = run_in_sandbox(script).stdout.split("\n", 1)
    assert name.endswith(".json") and "secret" not in name
    doc = json.loads(text)
    assert name == f"{doc['host']['hostname']}.json" and "secret-host" not in text


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netstack_docs", "capture", *args],
                          capture_output=True, text=True, cwd=REPO)


def test_names_that_are_not_slugs_are_rejected_clearly():
    for option, value in (("--env", "Prod"), ("--host", "web_01"), ("--host", "../x")):
        proc = _cli(option, value, "--out", "/nonexistent/x.json")
        assert proc.returncode == 2
        assert f"{option} {value!r} is not usable" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_help_teaches_the_options_and_the_default_path():
    out = " ".join(_cli("--help").stdout.split())
    for text in ("--env", "--host", "--out", "--redact", "--redact-key", "--quiet",
                 "snapshots/<env>/<host>.json", "without root it still writes a valid snapshot"):
        assert text in out, text


def test_the_snapshot_written_is_valid_for_a_plain_sandbox():
    doc = capture("true")
    assert [ns["id"] for ns in doc["namespaces"]] == ["root"]
    assert doc["host"]["env"] == "lab" and doc["host"]["hostname"] == "t"
    assert doc["meta"]["tools"]["pyroute2"].startswith("0.9")
    assert doc["meta"]["duration_s"] >= 0
    assert doc["host"]["role"] is None


def test_role_is_recorded_as_given():
    script = (
        "$PYTHON -m netstack_docs capture --env lab --host t --role 'edge <router> | 2' "
        "--out /tmp/r.json -q\n"
        "cat /tmp/r.json"
    )
    assert json.loads(run_in_sandbox(script).stdout)["host"]["role"] == "edge <router> | 2"


def test_the_summary_counts_gaps_in_good_english():
    from netstack_docs.capture.cli import summary

    def doc(gaps: int) -> dict:
        return {"namespaces": [], "meta": {"duration_s": 0.1},
                "gaps": [{"namespace": None, "what": f"w{i}", "reason": "r"} for i in range(gaps)]}

    assert "1 thing could not be captured" in summary(doc(1), Path("x.json"))
    assert "2 things could not be captured" in summary(doc(2), Path("x.json"))
    assert "could not be captured" not in summary(doc(0), Path("x.json"))
