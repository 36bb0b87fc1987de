"""nftables' own tracing as a second oracle: rulesets nobody here designed, loaded into a sandbox, a few
hundred random packets each; for every packet the kernel's trace (`nft monitor trace`, from a table of
the test's own with `meta nftrace set 1` at priority -1000) says whether a base chain dropped it, and
trace's walk of the same packet, from a capture of that namespace, must say the same unless it is
undetermined (counted by cause). See tests/trace/nftrace_oracle.py.

The rulesets: the ones the upstream labs install (lab/topologies/upstream/: firewalld's nftables
backend, OpenWrt's firewall4, Docker's nftables backend, Tailscale's nftables runner, wg-quick's,
kube-proxy's nftables mode; lab/rp-01: firewalld's rpfilter and wg-quick's guard),
each the `nft -f` input its script holds, and nftables' own example files (github:Mic92/nftables, a
mirror of netfilter's nftables, files/nftables/ at fd29394cc00bc483ba220332966a53f9dc5383da: the
skeleton tables it installs as /etc/nftables/*; base chains without rules, so every packet passes).
With NFTABLES_SRC naming a checkout of nftables, its example files and the rulesets its shell test
suite leaves behind are run too (measured on nftables 1.0.2: 40 rulesets, 7,823 packets, 0 contradicted,
4.6% undetermined; see the README).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from sandbox import REPO, run_in_sandbox

PACKETS = 500


def lab_ruleset(path: str) -> str:
    """The `nft -f -` input a lab script holds (its heredoc between <<'NFT' and NFT)."""
    text = (REPO / "lab" / "topologies" / path).read_text()
    found = re.search(r"nft -f - <<'NFT'\n(.*?)\nNFT\n", text, re.S)
    assert found, path
    return found.group(1)


# files/nftables/ipv4-filter and inet-filter of nftables' own examples, as written there
NFTABLES_EXAMPLES = """table ip filter {
\tchain input\t\t{ type filter hook input priority 0; }
\tchain forward\t\t{ type filter hook forward priority 0; }
\tchain output\t\t{ type filter hook output priority 0; }
}
table inet filter {
\tchain input\t\t{ type filter hook input priority 0; }
\tchain forward\t\t{ type filter hook forward priority 0; }
\tchain output\t\t{ type filter hook output priority 0; }
}
"""

RULESETS = {
    "firewalld": lab_ruleset("upstream/firewalld.sh"),
    "wg-quick": lab_ruleset("upstream/wg-quick.sh"),
    "kube-proxy-nftables": lab_ruleset("upstream/kube-proxy-nftables.sh"),
    "rp-01": lab_ruleset("lab/rp-01.sh"),
    "firewall4": lab_ruleset("upstream/firewall4.sh"),
    "docker-nftables": lab_ruleset("upstream/docker-nftables.sh"),
    "tailscale": lab_ruleset("upstream/tailscale.sh"),
    "nftables-examples": NFTABLES_EXAMPLES,
}

# The device the peer's packets arrive on, where a ruleset names its uplink otherwise than eth0.
IFNAME = {"firewall4": "pppoe-wan"}

TOPOLOGY = r"""
IFNAME=${IFNAME:-eth0}
ip netns add peer
ip link add "$IFNAME" type veth peer name eth0 netns peer
ip link set "$IFNAME" up
ip -n peer link set eth0 up
ip -n peer link set lo up
ip addr add 192.0.2.1/24 dev "$IFNAME"
ip -n peer addr add 192.0.2.2/24 dev eth0
ip route add default via 192.0.2.2
ip -n peer route add default via 192.0.2.1
sysctl -qw net.ipv4.ip_forward=1
"""


@pytest.mark.parametrize("name", sorted(RULESETS))
def test_trace_agrees_with_nftables_tracing(name: str) -> None:
    script = "\n".join(
        [
            TOPOLOGY,
            f"nft -f - <<'NFT'\n{RULESETS[name]}\nNFT",
            f'"$PYTHON" -m netstack_docs capture --env oracle --host {name} --out /mnt/snap.json --quiet',
            f'cd "{REPO}/tests/trace" && '
            f'"$PYTHON" nftrace_oracle.py /mnt/snap.json {name} 11 {PACKETS} "$IFNAME"',
        ]
    )
    proc = run_in_sandbox(script, timeout=300, env={"IFNAME": IFNAME.get(name, "eth0")})
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    share = report["undetermined"] / max(report["packets"], 1)
    print(
        f"\n{name}: {report['packets']} packets traced by nftables ({report['kernel']}); "
        f"firm {report['firm']}: {report['confirmed']} confirmed, {len(report['contradicted'])} "
        "contradicted; "
        f"undetermined {report['undetermined']} ({share:.0%}) {report['causes']}"
    )
    assert report["packets"] >= PACKETS * 0.9, report  # nearly every packet was seen by nftables' tracing
    assert report["firm"] + report["undetermined"] == report["packets"]
    assert not report["contradicted"], json.dumps(report["contradicted"][:10], indent=1)


# nftables' own rulesets: its example files and the rulesets its shell test suite leaves behind
# (tests/shell/testcases/*/dumps/*.nft), read from a checkout of nftables named by NFTABLES_SRC (not
# bundled here). Those with a base chain are loaded one after another into one sandbox; one that this
# nft or kernel refuses is counted, not compared.
NFTABLES_SRC = os.environ.get("NFTABLES_SRC")
SUITE_PACKETS = 200

SUITE = r"""
for f in $RULESETS; do
  nft flush ruleset
  if ! nft -f "$f" 2>/dev/null; then echo "{\"ruleset\": \"$f\", \"refused\": true}"; continue; fi
  "$PYTHON" -m netstack_docs capture --env oracle --host suite --out /mnt/snap.json --quiet || continue
  (cd "$REPO/tests/trace" && "$PYTHON" nftrace_oracle.py /mnt/snap.json suite 13 $PACKETS) \
    | sed "s|\"ruleset\": \"suite\"|\"ruleset\": \"$f\"|"
done
"""


def suite_rulesets(root: Path) -> list[Path]:
    found = sorted((root / "files" / "examples").glob("*.nft"))
    found += sorted((root / "tests" / "shell" / "testcases").glob("*/dumps/*.nft"))
    return [p for p in found if "hook" in p.read_text(errors="replace")]


@pytest.mark.skipif(not NFTABLES_SRC, reason="NFTABLES_SRC (a checkout of nftables) is not set")
def test_trace_agrees_with_nftables_tracing_on_nftables_own_rulesets() -> None:
    files = suite_rulesets(Path(str(NFTABLES_SRC)))
    assert files, f"no ruleset under {NFTABLES_SRC}"
    script = TOPOLOGY + SUITE
    env = {"RULESETS": " ".join(str(f) for f in files), "PACKETS": str(SUITE_PACKETS)}
    proc = run_in_sandbox(script, timeout=3000, env=env, check=False)
    reports = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    refused = [r["ruleset"] for r in reports if r.get("refused")]
    done = [r for r in reports if not r.get("refused")]
    packets = sum(r["packets"] for r in done)
    undetermined = sum(r["undetermined"] for r in done)
    causes: dict[str, int] = {}
    for r in done:
        for cause, n in r["causes"].items():
            causes[cause] = causes.get(cause, 0) + n
    contradicted = [dict(c, ruleset=r["ruleset"]) for r in done for c in r["contradicted"]]
    print(
        f"\nnftables' own rulesets: {len(files)} with a base chain, {len(refused)} refused by this "
        f"nft/kernel, "
        f"{len(done)} traced: {packets} packets, {len(contradicted)} contradicted, undetermined "
        f"{undetermined} ({undetermined / max(packets, 1):.1%})"
    )
    for cause, n in sorted(causes.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  undetermined x{n}: {cause}")
    assert done, proc.stderr[-3000:]
    assert not contradicted, json.dumps(contradicted[:10], indent=1)
