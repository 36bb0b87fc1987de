"""What a reader sees for policy rules, multi-device chains, tc options and ingress shaping, on a
real capture built into a real (strict) site: the words `ip rule`, `nft` and `tc` would print."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from sandbox import run_in_sandbox

from netstack_docs.site.build import build_site

MARK = "=====SNAPSHOT====="
HOST = r"""
ip link add wan0 type veth peer name wan1; ip link set wan0 up; ip link set wan1 up
ip link add ifb0 type ifb; ip link set ifb0 up
ip rule add not fwmark 0xca6c lookup 51820 pref 32764
ip rule add table main suppress_prefixlength 0 pref 32763
ip rule add uidrange 1000-1000 lookup 100 pref 500
ip rule add l3mdev pref 1000
nft add table netdev t
nft add chain netdev t c '{ type filter hook ingress devices = { wan0, wan1 } priority 0; }'
tc qdisc add dev wan0 handle ffff: ingress
tc filter add dev wan0 parent ffff: protocol ip prio 1 u32 match ip dport 22 0xffff \
  action mirred egress redirect dev ifb0
tc qdisc add dev ifb0 root tbf rate 80mbit burst 64kb latency 50ms
$PYTHON -m netstack_docs capture --env lab --host edge --out /tmp/snap.json --quiet
echo '=====SNAPSHOT====='; cat /tmp/snap.json
"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("semantic")
    snap = json.loads(run_in_sandbox(HOST).stdout.split(MARK, 1)[1])
    (work / "snapshots" / "lab").mkdir(parents=True)
    (work / "snapshots" / "lab" / "edge.json").write_text(json.dumps(snap))
    (work / "project").mkdir()  # a docs repository with no settings and no pages of its own
    build_site(work / "snapshots", work / "site", build_dir=work / "build",  # strict mkdocs build
               project_dir=work / "project")
    docs = work / "build" / "docs" / "lab" / "edge"
    # Markdown escapes (`\-`, `\[`, `\_`) removed: the text as the reader sees it
    out = {p.stem: re.sub(r"\\(.)", r"\1", p.read_text()) for p in docs.glob("*.md")}
    assert (work / "site" / "lab" / "edge" / "routing" / "index.html").is_file()
    shutil.rmtree(work)
    return out


def test_policy_rules_read_as_ip_rule_prints_them(pages: dict[str, str]) -> None:
    routing = pages["routing"]
    assert "not from all fwmark 0xca6c lookup 51820" in routing  # wg-quick: NOT marked -> 51820
    assert "from all lookup main suppress_prefixlength 0" in routing
    assert "from all uidrange 1000-1000 lookup 100" in routing
    assert "from all lookup [l3mdev-table]" in routing
    assert "Table unspec" not in routing


def test_a_chain_on_several_devices_lists_them(pages: dict[str, str]) -> None:
    assert "wan0, wan1" in pages["netfilter"]


def test_tc_options_and_ingress_shaping_read_as_tc_prints_them(pages: dict[str, str]) -> None:
    tc_page = pages["traffic-control"]
    assert "match 00000016/0000ffff at 20" in tc_page  # u32 `match ip dport 22 0xffff`
    assert "mirred egress redirect dev ifb0 stolen" in tc_page
    assert "rate 80Mbit burst 64Kb latency 50ms" in tc_page
    host = pages["index"]
    assert "tc ingress shaping via ifb0 on wan0" in host
    assert "tc egress on ifb0" not in host
