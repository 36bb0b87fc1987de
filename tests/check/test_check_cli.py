"""`netstack-docs check` end to end on the demo snapshots: exit codes, bad intent files, --json, --junit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xmlschema

from netstack_docs.analysis.check import BUILTINS
from netstack_docs.cli import main

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "snapshots"
JUNIT_XSD = REPO / "tests" / "fixtures" / "junit" / "junit.xsd"
ALL_OFF = [arg for name in BUILTINS for arg in ("--disable", name)]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--snapshots", str(DEMO), *args])
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


BAD_FILES = [
    (
        "unknown key",
        "intents:\n  - name: a\n    sysctl: {net.ipv4.ip_forward: '1'}\n    colour: red\n",
        4,
        "intents[0].colour: unknown key",
    ),
    (
        "wrong type",
        "intents:\n  - name: a\n    interface:\n      name: eth0\n      mtu: big\n",
        5,
        "intents[0].interface.mtu: 'big' is not of type 'integer'",
    ),
    ("YAML syntax error", "intents:\n  - name: a\n    sysctl: {x: 1\n  - name: b\n", 4, "YAML syntax error"),
    (
        "malformed CIDR",
        "intents:\n  - name: a\n    route: {dst: 10.0.0.0/33}\n",
        3,
        "intents[0].route.dst: '10.0.0.0/33' is not a CIDR prefix",
    ),
    (
        "malformed reach source",
        "intents:\n  - name: a\n    expect: deny\n    reach:\n"
        "      src: 192.0.2.0/99\n      dst: self\n      proto: tcp\n      dport: 22\n",
        5,
        "intents[0].reach.src: '192.0.2.0/99' is not a CIDR prefix",
    ),
    (
        "no assertion",
        "intents:\n  - name: ok\n  - name: a\n    hosts: {env: prod}\n",
        3,
        "intents[1]: needs exactly one assertion",
    ),
    (
        "two assertions",
        "intents:\n  - name: a\n    sysctl: {a.b: 1}\n    listening: {allow: []}\n",
        2,
        "intents[0]: needs exactly one assertion of reach, sysctl, listening",
    ),
    (
        "duplicate key",
        "intents:\n  - name: a\n    sysctl: {a.b: 1}\n    name: b\n",
        4,
        "intents[0].name: key 'name' appears twice",
    ),
    (
        "duplicate name",
        "intents:\n  - name: a\n    sysctl: {a.b: 1}\n  - name: a\n    sysctl: {a.b: 2}\n",
        4,
        "name: 'a' is already used at",
    ),
    (
        "listener spelled wrong",
        "intents:\n  - name: a\n    listening:\n      allow: [tcp/22, tcp/ssh]\n",
        4,
        "intents[0].listening.allow[1]: 'tcp/ssh' does not match",
    ),
    (
        "reach without expect",
        "intents:\n  - name: a\n    reach: {src: 10.0.0.0/8, dst: self, proto: icmp}\n",
        2,
        "reach needs `expect: allow` or `expect: deny`",
    ),
    (
        "built-in name",
        "intents:\n  - name: veth-peer-gone\n    sysctl: {a.b: 1}\n",
        2,
        "is the name of a built-in check",
    ),
    ("not a mapping", "- just a list\n", 1, "(document): ['just a list'] is not of type 'object'"),
]


@pytest.mark.parametrize(("what", "text", "line", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_intent_file_names_file_line_and_key_and_exits_2(
    what: str, text: str, line: int, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "intent.yaml"
    path.write_text(text)
    code, out, err = run(["--intent", str(path)], capsys)
    assert code == 2, (out, err)
    assert f"{path}:{line}: " in err and message in err, err
    assert "Traceback" not in err and out == ""


def test_every_problem_of_every_file_is_reported_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(
        "intents:\n  - name: a\n    route: {dst: nope}\n  - name: b\n    interface: {name: x, up: 3}\n"
    )
    b.write_text("intents:\n  - name: c\n    firewall: {hook: sideways}\n")
    code, _, err = run(["--intent", str(a), "--intent", str(b)], capsys)
    assert code == 2
    assert f"{a}:3: intents[0].route.dst" in err and f"{a}:5: intents[1].interface.up" in err
    assert f"{b}:3: intents[0].firewall.hook" in err


def test_an_unknown_sysctl_name_is_not_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "intent.yaml"
    path.write_text("intents:\n  - name: a\n    sysctl: {net.ipv4.made_up: '1'}\n")
    code, out, _ = run(["--intent", str(path), *ALL_OFF], capsys)
    hosts = len(list(DEMO.glob("*/*.json")))
    assert code == 3 and "UNDETERMINED" in out and f"0 failed, {hosts} undetermined, 0 passed" in out


def test_undetermined_exits_3_unless_told_to_pass_or_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "intent.yaml"
    path.write_text("intents:\n  - name: a\n    sysctl: {net.ipv4.made_up: '1'}\n")
    assert run(["--intent", str(path), *ALL_OFF], capsys)[0] == 3
    assert run(["--intent", str(path), *ALL_OFF, "--undetermined=ok"], capsys)[0] == 0
    assert run(["--intent", str(path), *ALL_OFF, "--undetermined=fail"], capsys)[0] == 1
    # a failure stays a failure whatever --undetermined says
    path.write_text(
        "intents:\n  - name: a\n    sysctl: {net.ipv4.made_up: '1'}\n"
        "  - name: b\n    hosts: {role: edge router}\n    sysctl: {net.ipv4.ip_forward: '0'}\n"
    )
    assert run(["--intent", str(path), *ALL_OFF, "--undetermined=ok"], capsys)[0] == 1


def test_an_intent_selecting_no_host_fails_naming_what_exists_unless_optional(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "intent.yaml"
    path.write_text(
        "intents:\n  - name: CI VMs forward\n    hosts: {role: CI buld VM}\n"
        "    sysctl: {net.ipv4.ip_forward: '1'}\n"
    )
    junit = tmp_path / "check.xml"
    code, out, _ = run(["--intent", str(path), *ALL_OFF, "--junit", str(junit)], capsys)
    assert code == 1
    assert f"intent 'CI VMs forward' ({path}:2) selects no host: role: 'CI buld VM' matches none" in out
    assert "Roles: 'Kubernetes node', 'OpenStack compute node', 'container host', 'edge router';" in out
    assert "envs: 'prod', 'staging'" in out
    assert "'prod/edge-01'" in out and "optional: true" in out
    assert "1 intent(s) selecting no host" in out
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(junit))
    assert 'failures="1"' in junit.read_text() and "selects no host" in junit.read_text()
    code, out, _ = run(["--intent", str(path), *ALL_OFF, "--json"], capsys)
    assert code == 1 and json.loads(out)["selects_no_host"][0]["intent"] == "CI VMs forward"
    path.write_text(path.read_text() + "    optional: true\n")
    code, out, err = run(["--intent", str(path), *ALL_OFF], capsys)
    assert code == 0 and "optional intent 'CI VMs forward' selects no host" in err


def test_findings_link_to_the_published_site_when_site_url_is_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "intent.yaml"
    path.write_text(
        "intents:\n  - name: routers do not forward\n    hosts: {role: edge router}\n"
        "    sysctl: {net.ipv4.ip_forward: '0'}\n"
    )
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: x\nsite_url: https://docs.example.net/network\n")
    args = ["--intent", str(path), *ALL_OFF, "--config", str(config)]
    code, out, _ = run(args, capsys)
    anchor = "prod/edge-01/routing/#sysctl-root--net-ipv4-ip-forward-"
    assert code == 1 and f"see:      https://docs.example.net/network/latest/{anchor}" in out
    code, out, _ = run([*args, "--json"], capsys)
    [finding] = [f for f in json.loads(out)["findings"] if f["status"] == "fail"]
    assert finding["component"]["url"].startswith(anchor)
    assert finding["component"]["absolute_url"] == "https://docs.example.net/network/latest/" + finding[
        "component"
    ]["url"]


def test_exit_0_when_nothing_fails_and_1_with_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "intent.yaml"
    path.write_text(
        "intents:\n  - name: routers forward\n    hosts: {role: edge router}\n"
        "    sysctl: {net.ipv4.ip_forward: '1'}\n"
    )
    code, out, _ = run(["--intent", str(path), *ALL_OFF], capsys)
    assert code == 0 and "1 host(s)" not in out and "0 failed, 0 undetermined, 1 passed" in out
    path.write_text(
        "intents:\n  - name: routers do not forward\n    hosts: {role: edge router}\n"
        "    sysctl: {net.ipv4.ip_forward: '0'}\n"
    )
    code, out, _ = run(["--intent", str(path), *ALL_OFF], capsys)
    assert code == 1
    assert "FAIL         prod/edge-01 [root]: routers do not forward" in out
    assert "see:      prod/edge-01/routing/#sysctl-root--net-ipv4-ip-forward-" in out


def test_json_names_check_host_component_expected_and_actual(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--json"], capsys)
    report = json.loads(out)
    assert code == 1 and report["counts"]["fail"] >= 1
    [kubelet] = [
        f
        for f in report["findings"]
        if f["check"] == "wildcard-listener-input-accept"
        and f["host"] == "k8s-node-01"
        and "10250" in f["actual"]
    ]
    assert kubelet["env"] == "prod" and kubelet["status"] == "fail" and kubelet["netns"] == "root"
    assert kubelet["component"]["url"].startswith(
        "prod/k8s-node-01/transport/#socket-root--tcp--inet--0-0-0-0-10250"
    )
    assert kubelet["expected"] and kubelet["actual"].startswith("tcp 0.0.0.0:10250 (kubelet)")
    assert {c["name"] for c in report["checks"]} == set(BUILTINS)  # no intent file in the cwd


def test_junit_report_is_valid_junit_and_counts_what_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "check.xml"
    code, out, _ = run(["--junit", str(junit), "--json"], capsys)
    report = json.loads(out)
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(junit))  # raises with the offending element
    tree = xmlschema.XMLSchema(str(JUNIT_XSD)).to_dict(str(junit))
    assert int(tree["@failures"]) == report["counts"]["fail"] and int(tree["@tests"]) == len(
        report["findings"]
    )
    suites = {s["@name"]: s for s in tree["testsuite"]}
    assert set(suites) == set(BUILTINS)
    assert int(suites["wildcard-listener-input-accept"]["@failures"]) >= 3


def test_the_junit_schema_rejects_what_is_not_junit(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text('<testsuites><testsuite name="x" tests="one" failures="0" errors="0"/></testsuites>')
    assert not xmlschema.XMLSchema(str(JUNIT_XSD)).is_valid(str(bad))


def test_disable_switches_a_builtin_off_and_an_unknown_name_is_an_input_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["--json", "--disable", "wildcard-listener-input-accept"], capsys)
    names = {c["name"] for c in json.loads(out)["checks"]}
    assert "wildcard-listener-input-accept" not in names and "veth-peer-gone" in names
    code, out, err = run(["--disable", "no-such-check"], capsys)
    assert code == 2 and "unknown built-in check(s) no-such-check" in err


def test_intent_files_are_found_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "intent.yaml").write_text("intents:\n  - name: one\n    sysctl: {net.ipv4.ip_forward: '1'}\n")
    (tmp_path / "intent").mkdir()
    (tmp_path / "intent" / "edge.yaml").write_text(
        "intents:\n  - name: two\n    hosts: {host: 'edge-*'}\n    interface: {name: wan0, up: true}\n"
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["--json", *ALL_OFF], capsys)
    report = json.loads(out)
    assert [c["name"] for c in report["checks"]] == ["one", "two"]
    assert {f["host"] for f in report["findings"] if f["check"] == "two"} == {"edge-01"}


def test_a_missing_snapshots_directory_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--snapshots", str(tmp_path / "nope")])
    assert exit_info.value.code == 2 and "no such snapshots directory" in capsys.readouterr().err


def test_namespace_selectors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """containers: Docker and process-owned namespaces only; a named glob that matches nothing fails."""
    path = tmp_path / "intent.yaml"
    path.write_text(
        "intents:\n"
        "  - name: container listeners\n    namespaces: containers\n    listening: {allow: []}\n"
        "  - name: isp link\n    namespaces: {named: 'isp*'}\n    interface: {name: eth0, up: true}\n"
    )
    code, out, _ = run(["--intent", str(path), "--json", *ALL_OFF], capsys)
    findings = json.loads(out)["findings"]
    containers = {(f["host"], f["netns"]) for f in findings if f["check"] == "container listeners"}
    assert containers and {h for h, _ in containers} == {"docker-01"}
    assert all(ns not in ("root", "upstream") for _, ns in containers)  # not the root or named netns
    isp = {(f["host"], f["netns"], f["status"]) for f in findings if f["check"] == "isp link"}
    assert ("edge-01", "isp", "pass") in isp and ("edge-01", "isp-backup", "pass") in isp
    assert ("k8s-node-01", None, "fail") in isp


def test_reach_is_decided_only_when_every_fork_agrees_and_assume_says_what_it_rests_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """edge-01's XDP program on wan0 decides first: without a stated outcome, ssh from outside is
    undetermined (never passed); `assume:` in the intent makes it firm under that statement, and a
    mkdocs.yml default does the same for every intent."""
    monkeypatch.chdir(tmp_path)  # no mkdocs.yml here: no repository defaults
    intent = (
        "intents:\n  - name: ssh closed\n    hosts: {host: edge-01}\n    expect: deny\n"
        "    reach: {in: wan0, src: 198.51.100.0/24, dst: self, proto: tcp, dport: 22}\n{assume}"
    )
    path = tmp_path / "intent.yaml"
    path.write_text(intent.replace("{assume}", ""))
    code, out, _ = run([*ALL_OFF, "--json", "--intent", str(path)], capsys)
    (finding,) = json.loads(out)["findings"]
    assert finding["status"] == "undetermined" and "xdp" in finding["actual"].lower(), finding
    path.write_text(intent.replace("{assume}", "    assume: [xdp:wan0=pass]\n"))
    code, out, _ = run([*ALL_OFF, "--json", "--intent", str(path)], capsys)
    (finding,) = json.loads(out)["findings"]
    assert finding["status"] == "pass" and "under stated assumptions: xdp:wan0=pass" in finding["actual"]
    path.write_text(intent.replace("{assume}", ""))
    (tmp_path / "mkdocs.yml").write_text("site_name: x\nextra:\n  netstack:\n    assume: [xdp:wan0=pass]\n")
    code, out, _ = run([*ALL_OFF, "--json", "--intent", str(path)], capsys)
    assert json.loads(out)["findings"][0]["status"] == "pass"
    (tmp_path / "intent.yaml").write_text(
        intent.replace("{assume}", "    assume: [xdp:wan0]\n")
    )
    code, _, err = run([*ALL_OFF, "--intent", str(path)], capsys)
    assert code == 2 and "assume" in err
