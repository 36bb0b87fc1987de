"""Captures do not depend on timing: a host caught during IPv6 duplicate address detection (DAD) has
the configuration it has after DAD; the routes the kernel derives are state; the suite waits too.

IPv6 keeps a new address `tentative` until DAD ends (dad_transmits probes, retrans_time_ms apart)
and adds its local and link-local routes only then. The test makes that window long and
deterministic (per-device sysctls in the sandbox), checks that the first capture really ran inside
it, and compares with a capture taken after the sandbox's `settle` helper saw DAD end.
"""

from __future__ import annotations

import json

from capturecli import MARK, differences, namespace, sandbox_config
from sandbox import run_in_sandbox

from netstack_docs.snapshot.load import validate_document

# A bridge and two namespaces behind veths, IPv4 and IPv6; DAD takes about 6 s on every device.
SLOW_DAD = r"""
ip netns add a; ip netns add b
slow_dad() {  # namespace ("" for this one), device: 6 probes 1 s apart
  ${1:+ip netns exec $1} sysctl -qw net.ipv6.conf.$2.dad_transmits=6 net.ipv6.neigh.$2.retrans_time_ms=1000
}
ip link add br0 type bridge; slow_dad "" br0
for n in a b; do
  ip link add h-$n type veth peer name eth0 netns $n
  slow_dad "" h-$n; slow_dad $n eth0
  ip link set h-$n master br0 up
  ip -n $n link set eth0 up
  ip -n $n addr add 10.7.0.$([ $n = a ] && echo 2 || echo 3)/24 dev eth0
  ip -n $n addr add fd00:7::$([ $n = a ] && echo 2 || echo 3)/64 dev eth0
  ip -n $n route add default via 10.7.0.1
done
ip addr add 10.7.0.1/24 dev br0; ip addr add fd00:7::1/64 dev br0
ip link set br0 up
ip route add 192.0.2.0/24 via 10.7.0.2
"""


def _tentative(doc: dict) -> list[str]:
    return sorted(
        f"{ns_id} {a['ifname']} {a['address']}"
        for ns_id, st in doc["state"]["namespaces"].items()
        for a in st.get("addresses", [])
        if "tentative" in a.get("flags", [])
    )


def test_a_capture_during_dad_has_the_configuration_of_a_capture_after_it():
    script = (
        f"{SLOW_DAD}\n"
        "ip -6 -o addr show tentative > /tmp/tentative-before\n"
        "$PYTHON -m netstack_docs capture --env lab --host t --out /tmp/during.json --quiet\n"
        "SETTLE_TIMEOUT=60 settle\n"
        "$PYTHON -m netstack_docs capture --env lab --host t --out /tmp/after.json --quiet\n"
        f"echo '{MARK}'; cat /tmp/during.json; echo '{MARK}'; cat /tmp/after.json; echo '{MARK}'\n"
        "cat /tmp/tentative-before\n"
    )
    _, one, two, before = run_in_sandbox(script, timeout=180).stdout.split(MARK)
    during, after = validate_document(json.loads(one), "during"), validate_document(json.loads(two), "after")
    assert "fd00:7::1" in before, "the setup did not even see br0's address tentative"
    # the first capture really ran during DAD: it saw tentative addresses in all three namespaces
    caught = _tentative(during)
    assert {line.split()[0] for line in caught} == {"root", "a", "b"}, caught
    assert _tentative(after) == []
    # ... and the kernel had not yet added the routes it derives when DAD ends
    def derived(doc: dict, ns_id: str) -> set[str]:
        routes = doc["state"]["namespaces"][ns_id]["derived_routes"]
        return {f"{r['table']} {r['dst']} {r['dev']}" for r in routes}

    assert "local fd00:7::2/128 eth0" in derived(after, "a") - derived(during, "a")
    assert "local fd00:7::1/128 br0" in derived(after, "root") - derived(during, "root")
    # yet the configuration is the same: tentative is state, kernel-derived routes are state
    first, second = sandbox_config(during), sandbox_config(after)
    assert first == second, differences(first, second)
    root = namespace(after, "root")
    assert [r["dst"] for r in root["routes"]] == ["192.0.2.0/24"]  # what someone configured stays
    assert all(r["protocol"] != "kernel" for ns in after["namespaces"] for r in ns["routes"])
    assert {a["address"] for a in namespace(during, "a")["addresses"]} >= {"10.7.0.2", "fd00:7::2"}


def test_settle_waits_until_no_address_is_tentative_in_any_namespace():
    script = (
        f"{SLOW_DAD}\n"
        "echo before $(ip -n a -6 -o addr show tentative | wc -l)\n"
        "settle\n"
        "echo after $(ip -n a -6 -o addr show tentative | wc -l) $(ip -6 -o addr show tentative | wc -l)\n"
        "SETTLE_TIMEOUT=0 settle && echo second-settle-ok\n"
    )
    out = run_in_sandbox(script, timeout=120).stdout.split()
    assert out[out.index("before") + 1] != "0"
    assert out[out.index("after") + 1 : out.index("after") + 3] == ["0", "0"]
    assert "second-settle-ok" in out


def test_settle_fails_naming_what_is_still_tentative():
    script = f"{SLOW_DAD}\nSETTLE_TIMEOUT=1 settle || echo settle-failed\n"
    proc = run_in_sandbox(script, timeout=60)
    assert "settle-failed" in proc.stdout
    assert "still tentative" in proc.stderr and "fd00:7::" in proc.stderr
