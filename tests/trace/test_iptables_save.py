"""The iptables vocabulary of Docker, kube-proxy, Tailscale, Calico, firewalld and fail2ban
(tests/capture/iptables_vocabulary.py), loaded with iptables-legacy into a sandbox and read back with
iptables-legacy-save: every line the kernel's tools print compiles into trace's ops, and what trace
does not evaluate is only what a snapshot cannot decide (run-time state, what the traced packet does
not carry), each op saying so."""

from __future__ import annotations

import sys
from pathlib import Path

from sandbox import run_in_sandbox

from netstack_docs.analysis.trace.iptrules import compile_text
from netstack_docs.analysis.trace.nftexpr import EvalContext, Undetermined
from netstack_docs.analysis.trace.nftrules import Effect
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.capture.iptables import parse_save

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "capture"))
from iptables_vocabulary import rules  # noqa: E402

# Why an op may stay unknown, or a target stop its fork: the reasons trace gives, all of them about
# run-time state or what a traced packet does not carry.
ALLOWED = (
    "rate limit",  # -m limit
    "recently seen",  # -m recent
    "packet counter",  # -m statistic --mode nth
    "MSS option",  # -m tcpmss
    "source MAC",  # -m mac
    "socket's owner",  # -m owner in OUTPUT
    "not in the snapshot",  # -m set: this sandbox has no ipset tool, the sets are not captured here
    "address range",  # DNAT/SNAT to a range: which address is picked is run-time state
)


def _context(family: str) -> EvalContext:
    src, dst = ("10.0.0.1", "10.0.0.2") if family == "ip" else ("fd00::1", "fd00::2")
    return EvalContext(Packet(src, dst, "tcp", 1, 2), "eth0", "eth1", "forward", lambda a: False)


def _save() -> str:
    commands = [
        f"{line} 2>/dev/null || true"
        for line in rules("iptables-legacy", "ip6tables-legacy").splitlines()
        if line and not line.startswith("#")
    ]
    script = "\n".join([*commands, "iptables-legacy-save", "echo '#v6'", "ip6tables-legacy-save"])
    return run_in_sandbox(script, timeout=120).stdout


def test_every_saved_rule_compiles_and_only_run_time_state_stays_unknown() -> None:
    out = _save()
    v4, _, v6 = out.partition("#v6")
    reasons: list[tuple[str, str]] = []
    count = 0
    for family, text in (("ip", v4), ("ip6", v6)):
        for chains in parse_save(text).values():
            names = frozenset(chains)
            for chain, body in chains.items():
                for rule in body["rules"]:
                    count += 1
                    line = f"-A {chain} {rule}"
                    ops = compile_text(line, family, None, names)
                    assert ops, line
                    for op in ops:
                        if op.kind == "unknown":
                            reasons.append((op.reason, line))
                    target = ops[-1]
                    if target.kind == "statement" and target.run is not None:
                        try:
                            target.run(_context(family), Effect())
                        except Undetermined as exc:
                            reasons.append((str(exc), line))
    assert count >= 90, out  # the vocabulary's rules made it into the kernel and back
    bad = [(why, line) for why, line in reasons if not any(a in why for a in ALLOWED)]
    assert not bad, "\n".join(f"{why}: {line}" for why, line in bad)
    print("\n".join(sorted({why for why, _ in reasons})))
    seen = {a for a in ALLOWED for why, _ in reasons if a in why}
    assert {"rate limit", "source MAC"} <= seen  # the vocabulary's forks are there
    # -m physdev and -j CT --notrack are evaluated (tests/trace/test_untracked_and_physdev.py), never forks
    assert "physdev" in out and "--notrack" in out
    assert not [line for _, line in reasons if "physdev" in line or "notrack" in line]
