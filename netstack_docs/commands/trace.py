"""`netstack-docs trace ENV/HOST ...`: where does this packet go? One line per step, or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from netstack_docs.commands.options import (
    config_option,
    published_base,
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
    as_json: bool,
) -> int:
    """Walk a packet through a host's captured stack, in the kernel's order, from --in IFNAME or
    --from-local, across veths, bridges and VXLAN into other namespaces and hosts.

    Each step names the component and links to it on the site. What trace cannot evaluate (a BPF
    program, a limit, a set filled at runtime) is an explicit undetermined step and an assumption.
    """
    from netstack_docs.analysis.trace import Fleet, Packet, trace

    env, sep, host = target.partition("/")
    if not sep or not env or not host:
        raise UserError(f"{target!r}: name the host as ENV/HOST, e.g. prod/edge-01")
    if from_local == (ingress is not None):
        raise UserError("give exactly one of --in IFNAME or --from-local")
    try:
        mark_value = int(mark, 0)
    except ValueError:
        raise UserError(f"--mark {mark!r} is not a number") from None
    ports = proto in ("tcp", "udp")
    packet = Packet(src, dst, proto, sport if ports else None, dport, state, mark_value)
    result = trace(
        Fleet.load(repository_snapshots(snapshots_dir, config_file)),
        env,
        host,
        packet,
        ingress=ingress,
        netns=netns,
        from_local=from_local,
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
    for step in result.steps:
        mark_ = "?" if step.undetermined else "-"
        where = f"{step.host}:{step.netns}"
        link = f"  <{(base or '') + step.url}>" if step.url else ""
        click.echo(f"{mark_} [{step.layer}] {where}: {step.what}{link}")
    f = result.final
    ports_text = f" {f.sport}->{f.dport}" if f.dport is not None else ""
    at = f.socket or f.ifname or "-"
    click.echo(f"verdict: {result.verdict} ({f.host}:{f.netns} {at}; {f.src} -> {f.dst}{ports_text})")
    for a in result.assumptions:
        click.echo(f"assumption: {a}")
    return result.exit_code
