"""reach over rules as upstream projects ship them (Docker's iptables backend, legacy and nft; firewalld's
iptables backend; kube-proxy's iptables mode on iptables-nft; fail2ban; Tailscale's iptables router):
each lab built in a sandbox and captured, then for every interface of the host towards each of its
listening sockets the whole space is answered (never the too-many-paths fallback), and reach and trace
say the same of packets drawn in every region, on its edges and just outside them (the property of
tests/reach/test_engine.py). It found reach crashing on any iptables match trace evaluates in Python,
boxes merged past what they decided, and an rpfilter fork taken for all sources."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sandbox import REPO, run_in_sandbox
from test_engine import _agree, samples

from netstack_docs.analysis.reach import reach
from netstack_docs.analysis.trace import Fleet

LABS = (
    "docker-iptables",
    "docker-iptables-legacy",
    "firewalld-iptables",
    "kube-proxy-iptables-nft",
    "fail2ban-iptables",
    "tailscale-iptables",
)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    root = tmp_path_factory.mktemp("upstream-reach")
    (root / "upstream").mkdir()
    for lab in LABS:
        script = "\n".join(
            [
                f'LAB="{REPO}/lab"',
                f'. "{REPO}/lab/topologies/common.sh"',
                f'. "{REPO}/lab/topologies/upstream/{lab}.sh"',
                f'"$PYTHON" -m netstack_docs capture --env upstream --host {lab} --role x '
                f'--out "{root}/upstream/{lab}.json" --quiet',
            ]
        )
        run_in_sandbox(script, timeout=300)
    return Fleet.load(Path(root))


@pytest.mark.parametrize("lab", LABS)
def test_reach_answers_every_interface_and_agrees_with_trace(fleet: Fleet, lab: str) -> None:
    ns = fleet.host("upstream", lab).namespace(None)
    sockets = sorted(
        {
            f"{s['protocol']}/{s['port']}"
            for s in (ns.doc.get("sockets") or {}).get("listening", [])
            if not str(s["local_address"]).startswith("127.")
        }
    )
    assert sockets, "the lab listens on nothing"
    checked = 0
    for iif in sorted(name for name in ns.links if name != "lo"):
        answer = reach(fleet, "upstream", lab, ingress=iif, to=sockets[0])
        assert not answer.notes, (iif, answer.notes)
        checked += _agree(fleet, answer, samples(answer, random.Random(3), 30, 2, 20), iif)
    assert checked >= 150
