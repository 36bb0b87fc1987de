"""`netstack-docs trace ENV/HOST ...`: where does this packet go? One line per step, or JSON."""

from __future__ import annotations

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
  netstack-docs trace prod/edge-01 --in wan0 --src 192.0.2.10 --dst 203.0.113.2 --dport 22
  netstack-docs trace prod/edge-01 --in wan0 --src 198.51.100.7 --dst 203.0.113.2 --dport 8443 --json
  netstack-docs trace prod/k8s-node-01 --from-local --netns kube-system/coredns-5d78c9869d-x1 \\
      --src 10.244.1.2 --dst 10.244.2.2 --dport 80
  netstack-docs trace prod/edge-01 --in lan0 --src 2001:db8:10::5 --dst 2001:db8:10::1 --proto icmpv6
  netstack-docs trace prod/edge-01 --in wan0 --src 198.51.100.7 --dst 203.0.113.2 --dport 443 \\
      --assume xdp:wan0=pass

\b
What the snapshot cannot decide (a BPF or XDP program, a set filled at run time, a limit, a
random choice, an iptables-legacy chain) forks the walk: every outcome is walked. When the forks
agree the verdict is firm and those unknowns "did not matter"; when they disagree the verdict is
undetermined and each alternative is listed with the outcomes it rests on. --assume KEY=OUTCOME
states an outcome (the KEY is printed in [brackets] on the step: xdp:IF, tc:IF:ingress:PREF,
rule:FAMILY/TABLE/CHAIN/HANDLE, legacy:TABLE:CHAIN, v6only:PROTO/PORT, underlay:VTEP, ...; globs
and a trailing @HOST work); extra.netstack.assume in mkdocs.yml states defaults for every trace.

\b
Fields not given take defaults, shown in the result: --len the headers only (IPv4 20 + TCP 20,
UDP/ICMP 8; IPv6 40 + ...), --ttl 64, --dscp 0, --tcp-flags syn (new) or ack (established).
Where a frame enters Open vSwitch, --src-mac is the sending interface's MAC and --dst-mac the
neighbour entry's, or the MAC of the captured interface holding the next hop; else 02:00:00:00:00:01
and 02:00:00:00:00:02 (the result's packet says which). No --vlan: untagged.

\b
Open vSwitch: the captured OpenFlow tables are walked as `ovs-appctl ofproto/trace` walks them;
learned MACs are run-time state, so NORMAL floods the VLAN, and every copy is walked (the verdict is
the best any copy gets; the others are listed). ct(table=N) recirculates with --state; NAT in
ct(), a controller, bundle() fork; groups (not captured) end undetermined.

\b
Exit status: 0 delivered or forwarded, 1 dropped or rejected, 3 undetermined, 2 usage or input error.
With `site_url` in mkdocs.yml each step links to the published site (its latest version).
"""


@click.command(epilog=EXAMPLES)
@click.argument("target", metavar="ENV/HOST")
@snapshots_option
@config_option
@click.option("--in", "ingress", metavar="IFNAME", help="The interface the packet arrives on.")
@click.option("--from-local", is_flag=True, help="The packet is sent by a local process.")
@click.option(
    "--netns",
    metavar="NS",
    help="Namespace of --in or of the sender: id, name, container or pod name, or a unique prefix "
    "(default: the root namespace).",
)
@click.option("--src", required=True, metavar="ADDR", help="Source address (IPv4 or IPv6).")
@click.option("--dst", required=True, metavar="ADDR", help="Destination address.")
@click.option(
    "--proto", type=click.Choice(["tcp", "udp", "icmp", "icmpv6"]), default="tcp", show_default=True
)
@click.option("--sport", type=click.IntRange(0, 65535), default=40000, show_default=True)
@click.option("--dport", type=click.IntRange(0, 65535))
@click.option(
    "--state",
    type=click.Choice(["new", "established"]),
    default="new",
    show_default=True,
    help="Conntrack state the rules see.",
)
@click.option("--mark", default="0", show_default=True, help="Packet mark at the start (decimal or 0x hex).")
@click.option("--len", "length", type=click.IntRange(20, 65535), help="IP packet length in bytes.")
@click.option("--ttl", type=click.IntRange(0, 255), default=64, show_default=True, help="TTL / hop limit.")
@click.option("--dscp", type=click.IntRange(0, 63), default=0, show_default=True)
@click.option("--tcp-flags", metavar="FLAGS", help="Comma-separated TCP flags, e.g. syn or fin,ack.")
@click.option("--src-mac", metavar="MAC", help="Source MAC of the frame (Open vSwitch flows match it).")
@click.option("--dst-mac", metavar="MAC", help="Destination MAC of the frame.")
@click.option("--vlan", type=click.IntRange(0, 4095), help="802.1Q VLAN id the frame arrives tagged with.")
@click.option(
    "--assume",
    multiple=True,
    metavar="KEY=OUTCOME",
    help="State the outcome of something trace cannot evaluate, e.g. xdp:wan0=pass (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def command(
    target: str,
    snapshots_dir: Path | None,
    config_file: Path | None,
    ingress: str | None,
    from_local: bool,
    netns: str | None,
    src: str,
    dst: str,
    proto: str,
    sport: int,
    dport: int | None,
    state: str,
    mark: str,
    length: int | None,
    ttl: int,
    dscp: int,
    tcp_flags: str | None,
    src_mac: str | None,
    dst_mac: str | None,
    vlan: int | None,
    assume: tuple[str, ...],
    as_json: bool,
) -> int:
    """Walk a packet through a host's captured stack, in the kernel's order, from --in IFNAME or
    --from-local, across veths, bridges and VXLAN into other namespaces and hosts.

    Each step names the component and links to it on the site. What trace cannot evaluate (a BPF
    program, a limit, a set filled at runtime) forks the walk; the verdict is firm only when every
    fork agrees (see below).
    """
    from netstack_docs.analysis.trace import Fleet, trace
    from netstack_docs.browser.flow import make_packet  # the same packet the browser's /trace/ page builds

    env, sep, host = target.partition("/")
    if not sep or not env or not host:
        raise UserError(f"{target!r}: name the host as ENV/HOST, e.g. prod/edge-01")
    if from_local == (ingress is not None):
        raise UserError("give exactly one of --in IFNAME or --from-local")
    packet = make_packet(src, dst, proto, sport, dport, state, mark, length, ttl, dscp, tcp_flags)
    if src_mac or dst_mac or vlan is not None:
        packet = packet.with_(src_mac=src_mac, dst_mac=dst_mac, vlan=vlan)
    defaults = repository_assumptions(config_file)
    result = trace(
        Fleet.load(repository_snapshots(snapshots_dir, config_file), defaults),
        env,
        host,
        packet,
        ingress=ingress,
        netns=netns,
        from_local=from_local,
        assume=assume,
    )
    base = published_base(config_file)
    if as_json:
        data = result.to_json()
        if base:  # `url` stays site-relative; the published address is added beside it
            for step_json in data["steps"]:
                if step_json.get("url"):
                    step_json["absolute_url"] = base + step_json["url"]
        click.echo(json.dumps(data, indent=2))
        return result.exit_code
    for line in text_lines(result, base):
        click.echo(line)
    return result.exit_code


def _steps(steps: Any, base: str | None, indent: str = "") -> list[str]:
    out = []
    for step in steps:
        mark_ = "?" if step.undetermined else "-"
        link = f"  <{(base or '') + step.url}>" if step.url else ""
        out.append(f"{indent}{mark_} [{step.layer}] {step.host}:{step.netns}: {step.what}{link}")
    return out


def _final(f: Any) -> str:
    ports_text = f" {f.sport}->{f.dport}" if f.dport is not None else ""
    at = f.socket or f.ifname or "-"
    return f"{f.host}:{f.netns} {at}; {f.src} -> {f.dst}{ports_text}"


def text_lines(result: Any, base: str | None = None) -> list[str]:
    """The result as a person reads it: steps, verdict, what it rests on, alternatives when undetermined.
    `base`: the published site's address, when mkdocs.yml has a site_url (links are then absolute)."""
    out = _steps(result.steps, base)
    if len(result.ends) > 1:
        out.append(f"verdict: {result.verdict} to " + ("each of (copies):" if result.copies else "one of:"))
        out += [f"  {_final(f)}" for f in result.ends]
    else:
        out.append(f"verdict: {result.verdict} ({_final(result.final)})")
    fields = ", ".join(f"{k} {v}" for k, v in result.packet.items() if k not in ("src", "dst", "proto"))
    out.append(f"packet fields: {fields}")
    for a in result.assumptions:
        out.append(f"assumption (stated): {a}")
    for u in result.unknowns:
        if u.mattered:
            splits = "; ".join(f"{o}: {e}" for o, e in u.splits)
            out.append(f"undetermined by: {u.what} [{u.key}]" + (f" -> {splits}" if splits else ""))
        else:
            out.append(f"did not matter: {u.what} [{u.key}]")
    for note in result.notes:
        out.append(f"note: {note}")
    if result.verdict == "undetermined":
        for i, alt in enumerate(result.alternatives, 1):
            when = ", ".join(f"{k}={o}" for k, o in alt.condition) or "(no unknown met)"
            out.append(f"alternative {i}: {alt.verdict} ({_final(alt.final)}) when {when}")
    return out
