"""`netstack-docs reach ENV/HOST ...`: what happens to every packet arriving on an interface (or sent by a
local process), as a short list of regions, each with its deciding rules and one traced example."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import click

from netstack_docs.commands.options import (
    config_option,
    published_base,
    repository_assumptions,
    repository_snapshots,
    snapshots_option,
)
from netstack_docs.errors import UserError

EXAMPLES = """\b
Examples:
  netstack-docs reach prod/edge-01 --in wan0
  netstack-docs reach prod/edge-01 --in wan0 --to "tcp/22"
  netstack-docs reach prod/edge-01 --in wan0 --proto tcp --dport 1000-2000,8443 --json
  netstack-docs reach prod/edge-01 --in wan0 --src 198.51.100.0/24 --dst 203.0.113.2
  netstack-docs reach prod/k8s-node-01 --from-local --netns kube-system/coredns-5d78c9869d-x1 \\
      --dst 10.244.0.0/16 --proto udp --dport 53
  netstack-docs reach prod/edge-01 --in wan0 --assume xdp:wan0=pass

\b
Where trace answers for one packet, reach answers for all of them: every packet arriving on --in
(IPv4 and IPv6; tcp, udp, icmp; new and established connections; any source, destination and
port; mark 0, as a packet from a wire has) or sent from a local process, narrowed by --src,
--dst, --proto, --dport and --to. The answer is a list of regions; each says which packets
("tcp dport 22 from any source except 198.51.100.0/24"), what happens to them (delivered to a
socket, forwarded or sent out of an interface, dropped, rejected), the rules that decide it, and
one example packet with its ordinary trace. No two regions share fate, end and deciding rules.

\b
How: trace itself is run on one packet of the part not yet answered, and the conditions that
packet met at every decision (each rule's matches, the route that won, the socket lookup) give
the set of packets decided the same way; that set is answered, and the next packet is traced,
until nothing is left. Prefixes, ranges, sets and masks (`ip saddr & 0.0.0.255 == 7`) are exact.

\b
What the snapshot cannot decide (an XDP or tc BPF program, a set filled at run time, a limit, a
random choice) makes a region "depends on KEY": never counted as reachable or unreachable.
--assume KEY=OUTCOME states an outcome, as for trace (e.g. xdp:wan0=pass).

\b
Exit status: 0 answered (regions may say "depends"), 2 usage or input error.
"""


def _prefixes(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    out = []
    for part in text.split(","):
        part = part.strip()
        try:
            out.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise UserError(f"{option} {part!r}: not an address or prefix (e.g. 198.51.100.0/24)") from None
    return out


def _ports(text: str | None) -> list[tuple[int, int]] | None:
    if text is None:
        return None
    out = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            raise UserError(f"--dport {part!r}: a port or a range such as 1000-2000") from None
        if not 0 <= a <= b <= 65535:
            raise UserError(f"--dport {part!r}: ports are 0-65535, low-high")
        out.append((a, b))
    return out


@click.command(epilog=EXAMPLES)
@click.argument("target", metavar="ENV/HOST")
@snapshots_option
@config_option
@click.option("--in", "ingress", metavar="IFNAME", help="The interface the packets arrive on.")
@click.option("--from-local", is_flag=True, help="The packets are sent by a local process.")
@click.option(
    "--netns",
    metavar="NS",
    help="Namespace of --in or of the sender: id, name, container or pod name, or a unique prefix "
    "(default: the root namespace).",
)
@click.option(
    "--to",
    metavar="SOCKET",
    help="Only packets for this listening socket: tcp/22, :22, a process "
    "name, or its name as trace prints it (tcp 0.0.0.0:22 (sshd)).",
)
@click.option("--src", metavar="PREFIXES", help="Only these sources: comma-separated addresses or prefixes.")
@click.option(
    "--dst", metavar="PREFIXES", help="Only these destinations: comma-separated addresses or prefixes."
)
@click.option("--proto", type=click.Choice(["tcp", "udp", "icmp", "icmpv6"]), help="Only this protocol.")
@click.option("--dport", metavar="PORTS", help="Only these destination ports: 22,80 or 1000-2000.")
@click.option(
    "--assume",
    multiple=True,
    metavar="KEY=OUTCOME",
    help="State the outcome of something the snapshot cannot decide, e.g. xdp:wan0=pass (repeatable).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the regions as JSON (each with its example's trace)."
)
def command(
    target: str,
    snapshots_dir: Path | None,
    config_file: Path | None,
    ingress: str | None,
    from_local: bool,
    netns: str | None,
    to: str | None,
    src: str | None,
    dst: str | None,
    proto: str | None,
    dport: str | None,
    assume: tuple[str, ...],
    as_json: bool,
) -> int:
    """Every packet arriving on --in IFNAME (or sent --from-local), sorted into regions by what happens
    to it: which packets reach each listening socket, leave by each interface, or are dropped, and
    the rules that decide it. Each region carries one example packet and its trace."""
    from netstack_docs.analysis.reach import Space, reach
    from netstack_docs.analysis.trace import Fleet

    env, sep, host = target.partition("/")
    if not sep or not env or not host:
        raise UserError(f"{target!r}: name the host as ENV/HOST, e.g. prod/edge-01")
    if from_local == (ingress is not None):
        raise UserError("give exactly one of --in IFNAME or --from-local")
    src_space = Space.where(saddr=s) if (s := _prefixes(src, "--src")) else None
    dst_nets, ports = _prefixes(dst, "--dst"), _ports(dport)
    dst_space = None
    if dst_nets or ports:
        dst_space = Space.where(daddr=dst_nets, dport=ports, proto=["tcp", "udp"] if ports else None)
    fleet = Fleet.load(repository_snapshots(snapshots_dir, config_file), repository_assumptions(config_file))
    answer = reach(
        fleet,
        env,
        host,
        ingress=ingress,
        from_local=from_local,
        netns=netns,
        to=to,
        src=src_space,
        dst=dst_space,
        proto=proto,
        assume=assume,
    )
    base = published_base(config_file)
    if as_json:
        data = answer.to_json()
        if base:
            for region in data["regions"]:
                for step in region["example_trace"]["steps"]:
                    if step.get("url"):
                        step["absolute_url"] = base + step["url"]
        click.echo(json.dumps(data, indent=2))
        return 0
    for line in text_lines(answer, base):
        click.echo(line)
    return 0


def text_lines(answer: Any, base: str | None = None) -> list[str]:
    from netstack_docs.commands.trace import text_lines as trace_lines

    out = [
        f"{answer.env}/{answer.host}: every packet from {answer.start}"
        + (f" (netns {answer.netns})" if answer.netns else "")
        + f": {answer.query.describe()}",
        f"{len(answer.regions)} regions ({answer.paths} paths traced)",
    ]
    for i, r in enumerate(answer.regions, 1):
        where = f" {r.end}" if r.end else ""
        head = f"depends on {', '.join(r.depends_on)}" if r.fate == "depends" else f"{r.fate}{where}"
        out.append("")
        out.append(f"region {i}: {head}")
        out.append(f"  packets: {r.space.describe()}")
        for rule in r.rules:
            out.append(f"  rule: {(base or '') + rule}")
        out.append(f"  example: {r.example.describe()} ({r.example.state})")
        out += ["    " + line for line in trace_lines(r.example_trace, base)]
    for note in answer.notes:
        out.append(f"note: {note}")
    return out
