"""Names the kernel allows but text does not expect: non-UTF-8 bytes, a netns called `root`, moved holders."""

from __future__ import annotations

from capturecli import capture, link, namespace
from sandbox import run_in_sandbox


def test_non_utf8_interface_netns_and_process_names_are_captured_as_escaped_text():
    doc = capture(r"""
ip link add "$(printf 'v\377x')" type veth peer name plain0
ip netns add "$(printf 'n\376s')"
ip link set plain0 netns "$(printf 'n\376s')"
ln -s "$(readlink -f "$(command -v sleep)")" "/mnt/$(printf 'sl\375')"
unshare --net "/mnt/$(printf 'sl\375')" 60 &
sleep 0.2
""", args="--include-isolated")  # the process's namespace holds only a loopback: captured when asked
    root = namespace(doc, "root")
    odd = link(root, "v\\xffx")  # the link itself, not a fallback name, and its peer is resolved
    assert odd["kind"] == "veth" and odd["parent"]["netns"] == "n\\xfes"
    assert link(namespace(doc, "n\\xfes"), "plain0")["parent"]["ifname"] == "v\\xffx"
    [proc] = [ns for ns in doc["namespaces"] if ns["kind"] == "proc"]
    assert proc["owner"]["comm"] == "sl\\xfd"
    assert not root["gaps"] and not doc["gaps"]
    # by default it is counted under its escaped owner name, not captured
    doc = capture("""
ln -s "$(readlink -f "$(command -v sleep)")" "/mnt/$(printf 'sl\\375')"
unshare --net "/mnt/$(printf 'sl\\375')" 60 &
sleep 0.2
""")
    assert [(e["owner"], e["why"]) for e in doc["state"]["namespaces_left_out"]] == [("sl\\xfd", "isolated")]


def test_a_netns_named_root_does_not_replace_the_hosts_own_namespace():
    doc = capture("ip netns add root; ip link add onlyroot type veth peer name inroot netns root")
    ids = [ns["id"] for ns in doc["namespaces"]]
    assert ids == ["root", "netns/root"]
    assert [x["ifname"] for x in namespace(doc, "root")["links"]] == ["lo", "onlyroot"]
    named = namespace(doc, "netns/root")
    assert named["name"] == "root" and [x["ifname"] for x in named["links"]] == ["inroot", "lo"]


def test_a_path_that_now_leads_to_another_namespace_is_refused_not_captured_under_the_old_id():
    # Between discovery and entry a pid can be reused or its process can move to another namespace:
    # the path then leads elsewhere, and that namespace's data must not be filed under the old id.
    out = run_in_sandbox("""
ip netns add a
$PYTHON - <<'PY'
import os
from netstack_docs.capture import netns
discovered = os.stat("/run/netns/a").st_ino
moved = os.stat("/proc/self/ns/net").st_ino  # what the path "now" leads to, in this experiment
ok = netns.run_all([netns.Task("a", "/run/netns/a", lambda: "captured", discovered)])["a"]
bad = netns.run_all([netns.Task("a", "/run/netns/a", lambda: "captured", moved)])["a"]
print(ok.value, type(bad.error).__name__, bad.value)
PY
""").stdout.split()
    assert out == ["captured", "NamespaceGone", "None"]
