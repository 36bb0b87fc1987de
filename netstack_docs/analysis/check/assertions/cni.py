"""`cni: consistent`: the CNI network in effect agrees with the bridge, addresses, MTU and masquerading.

The runtime uses the first valid network file in /etc/cni/net.d (the capture keeps that order), so
that network is compared: its bridge exists (a `bridge` plugin, or flannel's delegate, `cni0` by
default), holds an address in the declared subnet when it is the pods' gateway, has the declared
MTU, its ports hairpin exactly when `hairpinMode` says so, and pod traffic is masqueraded exactly
when `ipMasq` says so. Flannel takes subnet, MTU and masquerading from flanneld's subnet.env
(captured as `cni.flannel`): when that file was not captured, those are undetermined, never passed.
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
SUBNET_FILE = "/run/flannel/subnet.env"  # flannel's default (netstack_docs.capture.cni)
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


def _hairpin(ns: dict[str, Any], name: str, want: bool, where: str, ref: ComponentRef) -> Outcome | None:
    """Every port of the bridge hairpins (IFLA_BRPORT_MODE 1) exactly when hairpinMode says so."""
    links = ns.get("links", [])
    ports = [ln for ln in links if ln.get("master") == name and (ln.get("port") or {}).get("kind")]
    if not ports:
        return None
    on_off = "on" if want else "off"
    expected = f"{where}: hairpinMode {str(want).lower()} (every port of {name} hairpin {on_off})"
    unknown = [ln["ifname"] for ln in ports if "mode" not in ln["port"]]
    if unknown:
        return (UNDETERMINED, expected, f"hairpin mode not captured on {', '.join(unknown)}", ref)
    wrong = [ln for ln in ports if bool(ln["port"]["mode"]) != want]
    if not wrong:
        return (PASS, expected, f"{len(ports)} port(s) of {name} hairpin {on_off}", ref)
    more = f" and {len(wrong) - 5} more" if len(wrong) > 5 else ""
    shown = ", ".join(ln["ifname"] for ln in wrong[:5]) + more
    view = {**wrong[0], "master_kind": "bridge"}  # the section view the site classifies
    first = component("port", ns["id"], view, wrong[0]["ifname"])
    return (FAIL, expected, f"hairpin {'off' if want else 'on'} on {shown}", first)


def effective(conf: dict[str, Any], flannel: dict[str, Any] | None) -> dict[str, Any]:
    """The bridge settings in effect: the file's own, else what flannel's subnet.env gives the delegate."""
    out = dict(conf)
    if flannel is None:
        return out
    if _subnet(conf) is None and flannel.get("subnet"):
        out["ipam"] = {**(conf.get("ipam") or {}), "subnet": flannel["subnet"]}
    if "mtu" not in conf and "mtu" in flannel:
        out["mtu"] = flannel["mtu"]
    if "ipMasq" not in conf and "ipmasq" in flannel:
        out["ipMasq"] = flannel["ipmasq"]  # flanneld masquerades the pod network itself
    return out


def check(intent: Intent, host: Host, ns: dict[str, Any]) -> list[Outcome]:
    cni = host.doc.get("cni") or {}
    networks = cni.get("networks") or []
    if not networks:
        return [(UNDETERMINED, "a CNI network", "no CNI configuration captured", host_ref("CNI"))]
    network = networks[0]
    where = f"{network.get('name') or network['file']} ({network['file']})"
    found = declared(network)
    if found is None:
        return [(UNDETERMINED, f"{where}: a bridge plugin", "no bridge or flannel plugin", host_ref("CNI"))]
    declared_conf, flannel = found
    env = cni.get("flannel") if flannel else None
    conf = effective(declared_conf, env)
    name = conf.get("bridge") or "cni0"
    bridge = links_by_name(ns).get(name)
    if bridge is None or bridge.get("kind") != "bridge":
        return [(FAIL, f"{where}: bridge {name}", f"no bridge named {name}", host_ref(name))]
    ref = component("link", ns["id"], bridge, name)
    out: list[Outcome] = [(PASS, f"{where}: bridge {name}", f"bridge {name} exists", ref)]
    subnet_file = next(
        (str(p.get("subnetFile") or SUBNET_FILE) for p in network["plugins"] if p.get("type") == "flannel"),
        SUBNET_FILE,
    )
    unknown = f"not declared here: flannel takes it from {subnet_file} (not captured: see the capture gaps)"
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
        expected = f"{where}: {name} holds an address in {subnet}"
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
    if isinstance(conf.get("hairpinMode"), bool):
        hairpin = _hairpin(ns, name, conf["hairpinMode"], where, ref)
        out += [hairpin] if hairpin else []
    if "ipMasq" not in conf and flannel:
        out.append((UNDETERMINED, f"{where}: ipMasq", unknown, ref))
    elif subnet is not None:
        wanted = bool(conf.get("ipMasq"))
        rule = masquerading(ns, subnet)
        expected = f"{where}: traffic from {subnet} {'is' if wanted else 'is not'} masqueraded"
        if rule is None:
            out.append((FAIL if wanted else PASS, expected, "no masquerade rule covers it", ref))
        else:
            out.append((PASS if wanted else FAIL, expected, rule[0], rule[1]))
    return out


KIND = AssertionKind("cni", per_namespace(check), lambda i: "CNI configuration consistent with the host")
