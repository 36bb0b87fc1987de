"""nftables and iptables-legacy capture against real rulesets in sandboxed namespaces."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from bundle import BUNDLE_PATH_SNIPPET, UNPRIVILEGED_PYTHON
from capturecli import capture, differences, namespace, sandbox_config
from sandbox import run_in_sandbox
from snapdoc import CAPTURE_SNIPPET, full_document, validated

from netstack_docs.capture import nftables
from netstack_docs.capture.nftables import nf_tables_present
from netstack_docs.model.classify import classify
from netstack_docs.snapshot.content import chain_devices

RULESET = r"""
table inet filter {
  comment "main <b>"
  set blocked {
    type ipv4_addr; flags interval
    elements = { 10.0.0.0/8, 192.168.1.1 }
    comment "bad|hosts"
  }
  map portmap {
    type inet_service : verdict
    elements = { 22 : accept, 80 : drop }
  }
  chain input {
    type filter hook input priority filter - 5; policy drop; comment "in|chain"
    iifname "lo" accept comment "<script>alert(1)</script>"
    ip saddr @blocked counter drop comment "a|b"
    tcp dport vmap @portmap
  }
  counter named_hits {
    comment "not a set comment"
  }
  chain forwarding {
    type filter hook forward priority 0; policy accept;
  }
  chain helper {
    counter
  }
}
table netdev edge {
  chain ingress {
    type filter hook ingress device lo priority -500; policy accept;
  }
}
"""


def _capture(setup: str, targets: list[tuple[str, str, str]], modules: str = '["nftables"]') -> dict:
    """Run `setup`, then capture each (netns path or '', id, kind) from its own setns'd thread."""
    calls = ", ".join(f"{i!r}: capture({p!r}, {i!r}, {k!r}, {modules})" for p, i, k in targets)
    script = setup + f"\n$PYTHON - <<'PY'\n{CAPTURE_SNIPPET}\nprint(json.dumps({{{calls}}}))\nPY\n"
    proc = run_in_sandbox(script)
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_tables_chains_rules_sets_and_maps_are_captured_as_structured_data():
    out = _capture(f"nft -f - <<'NFT'\n{RULESET}\nNFT", [("", "root", "root")])["root"]
    nft = out["doc"]["nftables"]
    validated(full_document([out["doc"]]))
    # the named counter is not modelled: said as a gap, not dropped silently
    assert out["doc"]["gaps"] == [
        {"what": "nftables objects not modelled", "reason": "1 counter: see `nft list ruleset`"}
    ]
    assert {(t["family"], t["name"], t["comment"]) for t in nft["tables"]} == {
        ("inet", "filter", "main <b>"), ("netdev", "edge", None)}
    chains = {c["name"]: c for c in nft["chains"]}
    inp = chains["input"]
    assert (inp["hook"], inp["priority"], inp["policy"]) == ("input", -5, "drop")
    assert chains["input"]["comment"] == "in|chain"
    assert chains["ingress"]["device"] == "lo" and chains["ingress"]["priority"] == -500
    assert chains["helper"]["hook"] is None and chains["helper"]["priority"] is None
    rules = {r["comment"]: r for r in nft["rules"]}
    xss = rules["<script>alert(1)</script>"]
    assert xss["text"] == 'iifname "lo" accept comment "<script>alert(1)</script>"'
    assert xss["expr"][0]["match"]["right"] == "lo" and xss["chain"] == "input"
    assert rules["a|b"]["text"] == 'ip saddr @blocked counter drop comment "a|b"'
    assert {"counter": {}} in rules["a|b"]["expr"]
    assert [r["handle"] for r in nft["rules"] if r["chain"] == "input"] == sorted(
        r["handle"] for r in nft["rules"] if r["chain"] == "input")
    sets = {s["name"]: s for s in nft["sets"]}
    assert sets["blocked"]["elements"] == [{"prefix": {"addr": "10.0.0.0", "len": 8}}, "192.168.1.1"]
    assert sets["blocked"]["flags"] == ["interval"] and sets["blocked"]["comment"] == "bad|hosts"
    assert sets["portmap"]["map"] == "verdict" and [22, {"accept": None}] in sets["portmap"]["elements"]
    assert sets["portmap"]["comment"] is None  # the named counter's comment below it is not the map's
    # Counter values are state, not configuration.
    assert "packets" not in json.dumps(nft)
    counters = out["state"]["nftables"]["counters"]
    assert set(counters) == {f"inet filter input {rules['a|b']['handle']}", "inet filter helper " + str(
        next(r["handle"] for r in nft["rules"] if r["chain"] == "helper"))}


def test_libnftables_reads_the_ruleset_of_the_calling_threads_namespace():
    setup = (
        "nft add table inet rootonly\n"
        "ip netns add blue\n"
        "ip netns exec blue nft add table ip blueonly\n"
        "ip netns exec blue nft add chain ip blueonly pre '{ type nat hook prerouting priority dstnat; }'\n"
        "ip netns add empty\n"
    )
    out = _capture(setup, [("", "root", "root"), ("/run/netns/blue", "blue", "named"),
                           ("/run/netns/empty", "empty", "named")])
    assert [t["name"] for t in out["root"]["doc"]["nftables"]["tables"]] == ["rootonly"]
    assert [t["name"] for t in out["blue"]["doc"]["nftables"]["tables"]] == ["blueonly"]
    assert out["blue"]["doc"]["nftables"]["chains"][0]["priority"] == -100  # dstnat, as an integer
    assert out["empty"]["doc"]["nftables"] == {"tables": [], "chains": [], "rules": [], "sets": []}
    assert out["empty"]["doc"]["gaps"] == []
    validated(full_document([out[n]["doc"] for n in ("root", "blue", "empty")]))


def test_missing_libnftables_is_a_gap_not_a_failure():
    # Hide the real library inside the sandbox's private mount namespace only.
    lib = subprocess.run(["sh", "-c", "ldconfig -p | awk '/libnftables.so.1 /{print $NF; exit}'"],
                         capture_output=True, text=True).stdout.strip()
    if not lib:
        pytest.skip("libnftables.so.1 is not installed, nothing to hide")
    out = _capture(f"mount --bind /dev/null {lib}", [("", "root", "root")])["root"]
    assert {"what": "nftables", "reason": "nftables: libnftables not found"} in out["doc"]["gaps"]
    validated(full_document([out["doc"]]))


def test_iptables_legacy_rules_are_captured_per_namespace_without_counters():
    if shutil.which("iptables-legacy") is None:
        pytest.skip("iptables-legacy is not installed")
    probe = run_in_sandbox("iptables-legacy -L INPUT -n", check=False)
    if probe.returncode != 0:
        pytest.skip(f"iptables-legacy does not work in the sandbox: {probe.stderr.strip()}")
    setup = (
        "ip netns add red\n"
        "ip netns exec red iptables-legacy -A INPUT -s 10.1.2.3 -m comment --comment 'x|y' -j DROP\n"
        "ip netns exec red ip6tables-legacy -P FORWARD DROP\n"
        "ip netns add plain\n"
    )
    out = _capture(setup, [("/run/netns/red", "red", "named"), ("/run/netns/plain", "plain", "named")])
    ipt = out["red"]["doc"]["iptables"]
    rule = '-s 10.1.2.3/32 -m comment --comment "x|y" -j DROP'
    assert ipt["filter"]["INPUT"] == {"policy": "ACCEPT", "rules": [rule]}
    assert ipt["ip6:filter"]["FORWARD"]["policy"] == "DROP"
    assert "iptables" not in out["plain"]["doc"]  # legacy tables never instantiated there
    validated(full_document([out["red"]["doc"], out["plain"]["doc"]]))


def test_nftables_is_not_read_when_that_would_load_a_kernel_module(tmp_path):
    # This kernel has no module support (no /proc/modules), so the modular case cannot exist here:
    # the guard's decision is checked against written /proc/modules files instead.
    modules = tmp_path / "modules"
    modules.write_text("nfnetlink 20480 1 nf_tables, Live 0x0\nveth 40960 0 - Live 0x0\n")
    assert nf_tables_present(str(modules), release="no-such-release", sys_module=str(tmp_path)) is False
    modules.write_text("nf_tables 1 0 - Live 0x0\nnfnetlink 20480 1 nf_tables, Live 0x0\n")
    assert nf_tables_present(str(modules), release="no-such-release", sys_module=str(tmp_path)) is True
    absent = str(tmp_path / "absent")
    assert nf_tables_present(absent, release="no-such-release", sys_module=str(tmp_path)) is True


def test_capture_command_records_each_namespaces_ruleset_and_twice_gives_the_same_config():
    script = (
        f"nft -f - <<'NFT'\n{RULESET}\nNFT\n"
        "ip netns add blue\n"
        "ip netns exec blue nft add table ip blueonly\n"
        "ip netns exec blue nft add chain ip blueonly post '{ type nat hook postrouting priority srcnat; }'\n"
        "ip netns exec blue nft add rule ip blueonly post oifname '\"x|<y>\"' counter masquerade\n"
        "$PYTHON -m netstack_docs capture --env test --host sbx --out /tmp/a.json -q\n"
        "$PYTHON -m netstack_docs capture --env test --host sbx --out /tmp/b.json -q\n"
        "cat /tmp/a.json; echo =====; cat /tmp/b.json\n"
    )
    a, b = (validated(json.loads(t)) for t in run_in_sandbox(script).stdout.split("=====\n"))
    nss = {ns["id"]: ns for ns in a["namespaces"]}
    assert {t["name"] for t in nss["root"]["nftables"]["tables"]} == {"filter", "edge"}
    assert [t["name"] for t in nss["blue"]["nftables"]["tables"]] == ["blueonly"]
    [rule] = nss["blue"]["nftables"]["rules"]
    assert rule["text"] == 'oifname "x|<y>" counter masquerade'
    assert nss["blue"]["nftables"]["chains"][0]["priority"] == 100  # srcnat
    assert not [g for ns in a["namespaces"] for g in ns["gaps"] if g["what"] == "nftables"]
    assert sandbox_config(a) == sandbox_config(b), differences(sandbox_config(a), sandbox_config(b))


def test_without_net_admin_nftables_and_iptables_are_gaps_and_nothing_is_printed(capture_bundle: Path):
    script = (
        "nft add table inet f\niptables-legacy -A INPUT -j ACCEPT\n"
        f"{UNPRIVILEGED_PYTHON} - <<'PY'\n{BUNDLE_PATH_SNIPPET}{CAPTURE_SNIPPET}\n"
        "print(json.dumps(capture('', 'root', 'root', ['nftables'])))\nPY\n"
    )
    proc = run_in_sandbox(script, env={"BUNDLE": str(capture_bundle)})
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["doc"]["nftables"]["tables"] == []
    whats = {g["what"]: g["reason"] for g in out["doc"]["gaps"]}
    assert whats["nftables"] == "listing the ruleset needs CAP_NET_ADMIN (run as root)"
    assert "Permission denied" in whats["iptables-legacy-save"]
    assert proc.stderr == ""  # libnftables, when refused, would print "(you must be root)" itself


MULTI_DEVICE = """
ip link add a0 type veth peer name a1
nft add table netdev t
nft add chain netdev t c '{ type filter hook ingress devices = { a0, a1 } priority 0; }'
nft add chain netdev t one '{ type filter hook ingress device a0 priority 1; }'
"""


def test_a_chain_on_several_devices_is_captured_as_a_device_list():
    """Issue 15 item 2: `devices = { a0, a1 }` made validation fail and lost the whole snapshot."""
    doc = capture(MULTI_DEVICE)  # validates against the schema
    chains = {c["name"]: c for c in namespace(doc, "root")["nftables"]["chains"]}
    assert chains["c"]["devices"] == ["a0", "a1"] and chains["c"]["device"] is None
    assert chains["one"]["device"] == "a0" and "devices" not in chains["one"]
    assert chain_devices(chains["c"]) == ["a0", "a1"] and chain_devices(chains["one"]) == ["a0"]


def test_quoted_device_names_in_the_text_pass_are_read_whole():
    text = ('table netdev t { # handle 1\n\tchain c { # handle 1\n'
            '\t\ttype filter hook ingress devices = { "a,b", a0 } priority filter; policy accept;\n\t}\n}\n')
    assert nftables.parse_text(text)[("chain", "netdev", "t", "1")]["devices"] == ["a,b", "a0"]


def test_a_ruleset_that_changes_between_the_json_and_text_passes_is_read_again(monkeypatch):
    """A reload racing the capture cannot be timed against the real kernel: the two libnftables
    calls are replaced by a ruleset that changes on the first reads, then holds still."""
    texts = iter(["v1", "v2", "v2"])
    jsons = iter(['{"nftables": [1]}', '{"nftables": [2]}'])
    monkeypatch.setattr(nftables.libnftables, "list_ruleset_text", lambda: next(texts))
    monkeypatch.setattr(nftables.libnftables, "list_ruleset_json", lambda: next(jsons))
    assert nftables.read_ruleset() == ({"nftables": [2]}, "v2", True)

    monkeypatch.setattr(nftables.libnftables, "list_ruleset_text", iter(str(i) for i in range(9)).__next__)
    monkeypatch.setattr(nftables.libnftables, "list_ruleset_json", lambda: "{}")
    assert nftables.read_ruleset()[2] is False  # never still: the caller records a gap



def test_an_empty_ruleset_needs_no_json_pass_and_gives_what_the_json_pass_would(monkeypatch):
    """Most namespaces of a big host have no table: one text listing tells, and the JSON listing
    of an empty ruleset (read here from a fresh namespace) builds the very same, empty, config."""
    probe = (
        "ip netns add empty\n"
        "ip netns exec empty $PYTHON -c 'from netstack_docs.capture import libnftables as l; "
        "print(repr(l.list_ruleset_text())); print(l.list_ruleset_json())'\n"
    )
    text_line, json_line = run_in_sandbox(probe).stdout.strip().splitlines()[-2:]
    assert text_line == "''"
    assert nftables.build(json.loads(json_line)["nftables"], "") == nftables.build([], "")

    def no_json_pass() -> str:
        raise AssertionError("the JSON pass ran for an empty ruleset")

    monkeypatch.setattr(nftables.libnftables, "list_ruleset_text", lambda: "")
    monkeypatch.setattr(nftables.libnftables, "list_ruleset_json", no_json_pass)
    assert nftables.read_ruleset() == ({"nftables": []}, "", True)

# fail2ban/crowdsec-style: a `timeout` set that daemons add expiring elements to, next to an element
# written into the ruleset; a `dynamic` set (a meter) that a rule fills from the packet path.
GUARD = r"""
table inet guard {
  set banned {
    type ipv4_addr; flags timeout
    elements = { 192.0.2.1 }
  }
  set recent {
    type ipv4_addr; size 1024; flags dynamic,timeout; timeout 1h
  }
  set seen {
    type ipv4_addr; size 64; flags dynamic
  }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr @banned drop
    update @recent { ip saddr }
    add @seen { ip saddr }
  }
}
"""


def test_runtime_elements_of_dynamic_and_timeout_sets_are_state_not_configuration():
    script = (
        f"nft -f - <<'NFT'\n{GUARD}\nNFT\n"
        "$PYTHON -m netstack_docs capture --env test --host sbx --out /tmp/a.json -q\n"
        "nft add element inet guard banned '{ 198.51.100.7 timeout 10m }'\n"  # what fail2ban does
        '$PYTHON "$REPO/tests/capture/traffic.py" 127.0.0.1\n'  # the rules add 127.0.0.1 to @recent, @seen
        "nft list set inet guard recent >&2\n"
        "$PYTHON -m netstack_docs capture --env test --host sbx --out /tmp/b.json -q\n"
        "cat /tmp/a.json; echo =====; cat /tmp/b.json\n"
    )
    a, b = (validated(json.loads(t)) for t in run_in_sandbox(script).stdout.split("=====\n"))
    root_a, root_b = ({n["id"]: n for n in d["namespaces"]}["root"] for d in (a, b))
    assert root_a["nftables"] == root_b["nftables"], differences(root_a["nftables"], root_b["nftables"])
    sets = {s["name"]: s for s in root_b["nftables"]["sets"]}
    assert sets["banned"]["elements"] == ["192.0.2.1"]  # written into the ruleset: configuration
    assert sets["recent"]["elements"] == [] and sets["recent"]["flags"] == ["dynamic", "timeout"]
    # a dynamic set without timeouts: its elements never expire, yet the packet path put them there
    # (libnftables 1.0.x drops `dynamic` from its JSON: the text pass supplies the flag)
    assert sets["seen"]["elements"] == [] and sets["seen"]["flags"] == ["dynamic"]
    runtime = b["state"]["namespaces"]["root"]["nftables"]["set_elements"]
    assert [e["elem"]["val"] for e in runtime["inet guard banned"]] == ["198.51.100.7"]
    assert runtime["inet guard banned"][0]["elem"]["timeout"] == 600
    assert [e["elem"]["val"] for e in runtime["inet guard recent"]] == ["127.0.0.1"]
    assert runtime["inet guard seen"] == ["127.0.0.1"]
    assert "set_elements" not in a["state"]["namespaces"]["root"].get("nftables", {})
    # the page shows them as what the set held at capture time
    netfilter = classify(b).layers["netfilter"].components
    page = {c.name: dict(c.facts) for c in netfilter if c.kind.id == "nft-set"}
    assert page["inet guard banned"]["Elements added at run time (at capture)"] == "198.51.100.7"
    assert page["inet guard banned"]["Elements"] == "192.0.2.1"


ANONYMOUS_CHAIN = """
nft -f - <<'NFT'
table inet t {
  chain first { type filter hook input priority 0; }
  chain c {
    type filter hook input priority 0;
    ip saddr 10.0.0.0/8 jump { tcp dport 22 accept; udp dport 53 drop; }
    tcp dport 80 accept
  }
}
NFT
"""


def test_a_rule_nft_prints_over_several_lines_keeps_its_whole_text_and_chains_their_handles():
    """A jump into an anonymous chain is printed over several lines: the text was its last line, `}`.
    Chain handles are kept: at equal priority the kernel runs the newest base chain first."""
    doc = capture(ANONYMOUS_CHAIN)
    ns = namespace(doc, "root")["nftables"]
    texts = [r["text"] for r in ns["rules"] if r["chain"] == "c"]
    whole = "ip saddr 10.0.0.0/8 jump { tcp dport 22 accept; udp dport 53 drop }"
    assert texts == [whole, "tcp dport 80 accept"]
    handles = {c["name"]: c["handle"] for c in ns["chains"] if c["table"] == "t"}
    assert handles["c"] > handles["first"]
    assert all(isinstance(t["handle"], int) for t in ns["tables"])
