"""`cni: consistent`: the CNI network in effect agrees with the bridge, addresses, MTU and masquerading.

The runtime uses the first valid network file in /etc/cni/net.d (the capture keeps that order), so
that network is compared: its bridge exists (a `bridge` plugin, or flannel's delegate, `cni0` by
default), holds an address in the declared subnet when it is the pods' gateway, has the declared
MTU, and pod traffic is masqueraded exactly when `ipMasq` says so. Flannel takes subnet, MTU and
ipMasq from /run/flannel/subnet.env, which is not captured: those are undetermined, never passed.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from netstack_docs.analysis.check.assertions.base import AssertionKind, Outcome, per_namespace
from netstack_docs.analysis.check.findings import FAIL, PASS, UNDETERMINED, ComponentRef, component, host_ref
from netstack_docs.analysis.check.hosts import Host, links_by_name
from netstack_docs.analysis.check.intent import Intent

Net = ipaddress.IPv4Network | ipaddress.IPv6Network
_SADDR = re.compile(r"saddr (!= )?([0-9a-f.:]+/\d+)")
_SOURCE = re.compile(r"(! )?-s ([0-9a-f.:]+/\d+)")


def declared(network: dict[str, Any]) -> tuple[dict[str, Any], bool] | None:
    """The bridge-plugin settings of a network and whether flannel fills the rest; None: no bridge plugin."""
    for plugin in network.get("plugins", []):
        if plugin.get("type") == "bridge":
            return plugin, False
        if plugin.get("type") == "flannel":
            return dict(plugin.get("delegate") or {}), True
    return None


def _subnet(conf: dict[str, Any]) -> str | None:
    ipam = conf.get("ipam") or {}
    ranges = ipam.get("ranges") or [[{}]]
    first = ranges[0][0] if ranges and ranges[0] else {}
    return ipam.get("subnet") or first.get("subnet")


def _covers(found: list[tuple[bool, str]], subnet: Net) -> bool:
    """Whether source matches (negated?, cidr) let `subnet` through; no source match lets everything."""
    if not found:
        return True
    for negated, cidr in found:
        net = ipaddress.ip_network(cidr, strict=False)
        inside = net.version == subnet.version and subnet.subnet_of(net)  # type: ignore[arg-type]
        if inside != negated:
            return True
    return False


def masquerading(ns: dict[str, Any], subnet: Net) -> tuple[str, ComponentRef] | None:
    """The rule that masquerades traffic from `subnet`, if any (nftables, then iptables-legacy)."""
    for rule in (ns.get("nftables") or {}).get("rules", []):
        text = rule.get("text") or ""
        if "masquerade" in text and _covers([(bool(n), c) for n, c in _SADDR.findall(text)], subnet):
            label = f"{rule['family']} {rule['table']} {rule['chain']}: {text}"
            return label, component("nftrule", ns["id"], rule, label)
    nat = (ns.get("iptables") or {}).get("nat") or {}
    masq_chains = {
        name for name, chain in nat.items() if any("MASQUERADE" in r for r in chain.get("rules", []))
    }
    for rule in (nat.get("POSTROUTING") or {}).get("rules", []):
        target = rule.rsplit("-j ", 1)[-1].split()[0] if "-j " in rule else ""
        if (target == "MASQUERADE" or target in masq_chains) and _covers(
            [(bool(n), c) for n, c in _SOURCE.findall(rule)], subnet
        ):
            view = {"key": "nat", "family": "ip", "table": "nat", "chains": nat}
            return f"iptables nat POSTROUTING: {rule}", component("iptables", ns["id"], view, "iptables nat")
    return None


def check(intent: Intent, host: Host, ns: dict[str, Any]) -> list[Outcome]:
    networks = (host.doc.get("cni") or {}).get("networks") or []
    if not networks:
        return [(UNDETERMINED, "a CNI network", "no CNI configuration captured", host_ref("CNI"))]
    network = networks[0]
    where = f"{network.get('name') or network['file']} ({network['file']})"
    found = declared(network)
    if found is None:
        return [(UNDETERMINED, f"{where}: a bridge plugin", "no bridge or flannel plugin", host_ref("CNI"))]
    conf, flannel = found
    name = conf.get("bridge") or "cni0"
    bridge = links_by_name(ns).get(name)
    if bridge is None or bridge.get("kind") != "bridge":
        return [(FAIL, f"{where}: bridge {name}", f"no bridge named {name}", host_ref(name))]
    ref = component("link", ns["id"], bridge, name)
    out: list[Outcome] = [(PASS, f"{where}: bridge {name}", f"bridge {name} exists", ref)]
    unknown = "not declared here: flannel takes it from /run/flannel/subnet.env (not captured)"
    subnet_text = _subnet(conf)
    if subnet_text is None:
        if flannel:
            out.append((UNDETERMINED, f"{where}: pod subnet", unknown, ref))
        subnet = None
    else:
        subnet = ipaddress.ip_network(subnet_text, strict=False)
        mine = [
            a
            for a in ns.get("addresses", [])
            if a["ifname"] == name and ipaddress.ip_address(a["address"]).version == subnet.version
        ]
        inside = [a for a in mine if ipaddress.ip_address(a["address"]) in subnet]
        gateway = conf.get("isGateway") or conf.get("isDefaultGateway")
        expected = f"{where}: {name} holds an address in {subnet_text}"
        if inside:
            a = inside[0]
            label = f"{name} {a['address']}/{a['prefixlen']}"
            out.append((PASS, expected, label, component("addr", ns["id"], a, label)))
        elif gateway:
            shown = ", ".join(f"{a['address']}/{a['prefixlen']}" for a in mine) or "no address"
            out.append((FAIL, expected, f"{name}: {shown}", ref))
    if "mtu" in conf:
        status = PASS if bridge.get("mtu") == conf["mtu"] else FAIL
        out.append((status, f"{where}: mtu {conf['mtu']}", f"{name} mtu {bridge.get('mtu')}", ref))
    elif flannel:
        out.append((UNDETERMINED, f"{where}: MTU", unknown, ref))
    if "ipMasq" not in conf and flannel:
        out.append((UNDETERMINED, f"{where}: ipMasq", unknown, ref))
    elif subnet is not None:
        wanted = bool(conf.get("ipMasq"))
        rule = masquerading(ns, subnet)
        expected = f"{where}: traffic from {subnet_text} {'is' if wanted else 'is not'} masqueraded"
        if rule is None:
            out.append((FAIL if wanted else PASS, expected, "no masquerade rule covers it", ref))
        else:
            out.append((PASS if wanted else FAIL, expected, rule[0], rule[1]))
    return out


KIND = AssertionKind("cni", per_namespace(check), lambda i: "CNI configuration consistent with the host")
