"""Host collector: CNI network configurations in /etc/cni/net.d, through an allowlist.

A CNI file declares how a container runtime wires pods: the bridge they hang on, the subnet
their addresses come from, whether traffic is masqueraded. It may also hold credentials (a
plugin's kubeconfig, an API token), so only the fields listed in ALLOWED keep their values;
every other field is recorded by its dotted name in `other_fields`. The runtime reads the files
in name order and uses the first valid one; that order is kept. A file that is not valid JSON
is a gap naming the file.

Flannel's CNI plugin leaves the pod subnet, MTU and masquerading to the file flanneld writes,
/run/flannel/subnet.env (or the plugin's `subnetFile`): its FLANNEL_* variables are read through
the same kind of allowlist into `flannel`. When a network uses flannel and that file cannot be
read, that is a gap naming the file, so a reader sees why those settings are unknown.
"""

from __future__ import annotations

import glob
import json
import os
from typing import Any

from netstack_docs.capture.context import HostCapture

DIRECTORY = "/etc/cni/net.d"
PATTERNS = ("*.conf", "*.conflist", "*.json")  # what libcni loads
MAX_BYTES = 1 << 20

# field -> True (keep a scalar value or a list of scalars), a nested allowlist (a mapping), or
# [allowlist] (a list of mappings), [[allowlist]] (a list of lists of mappings: ipam ranges).
_RANGE = {"subnet": True, "rangeStart": True, "rangeEnd": True, "gateway": True}
_IPAM = {"type": True, "subnet": True, "gateway": True, "rangeStart": True, "rangeEnd": True,
         "ranges": [[_RANGE]], "routes": [{"dst": True, "gw": True}]}
_BRIDGE = {"type": True, "bridge": True, "isGateway": True, "isDefaultGateway": True, "ipMasq": True,
           "hairpinMode": True, "promiscMode": True, "forceAddress": True, "mtu": True, "vlan": True,
           "master": True, "mode": True, "snat": True, "ipam": _IPAM}
_BACKEND = {"Type": True, "VNI": True, "Port": True, "DirectRouting": True, "type": True, "vni": True,
            "port": True}
PLUGIN: dict[str, Any] = {**_BRIDGE, "capabilities": "capabilities", "delegate": _BRIDGE, "backend": _BACKEND,
                          "subnetFile": True, "dataDir": True}
NETWORK = {"name": True, "cniVersion": True, "disableCheck": True}

FLANNEL_SUBNET_FILE = "/run/flannel/subnet.env"
# FLANNEL_* variable -> (snapshot field, parser); any other variable is recorded by name only
FLANNEL_VARS: dict[str, tuple[str, Any]] = {
    "FLANNEL_NETWORK": ("network", str),
    "FLANNEL_SUBNET": ("subnet", str),
    "FLANNEL_IPV6_NETWORK": ("ipv6_network", str),
    "FLANNEL_IPV6_SUBNET": ("ipv6_subnet", str),
    "FLANNEL_MTU": ("mtu", int),
    "FLANNEL_IPMASQ": ("ipmasq", lambda v: v.strip().lower() == "true"),
}


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def allowlisted(obj: dict[str, Any], allowed: dict[str, Any], prefix: str, other: list[str]) -> dict:
    """The allowlisted part of `obj`; the dotted names of everything else go to `other`."""
    out: dict[str, Any] = {}
    for key in sorted(obj):
        value, rule, name = obj[key], allowed.get(key), f"{prefix}{key}"
        if rule is True and (_scalar(value) or (isinstance(value, list) and all(_scalar(v) for v in value))):
            out[key] = value
        elif rule == "capabilities" and isinstance(value, dict):
            out[key] = {k: v for k, v in sorted(value.items()) if isinstance(v, bool)}  # portMappings: true
        elif isinstance(rule, dict) and isinstance(value, dict):
            out[key] = allowlisted(value, rule, f"{name}.", other)
        elif isinstance(rule, list) and isinstance(value, list):
            out[key] = [_item(v, rule[0], f"{name}[]", other) for v in value]
        else:
            other.append(name)
    return out


def _item(value: Any, rule: Any, name: str, other: list[str]) -> Any:
    if isinstance(rule, list) and isinstance(value, list):
        return [_item(v, rule[0], f"{name}[]", other) for v in value]
    if isinstance(rule, dict) and isinstance(value, dict):
        return allowlisted(value, rule, f"{name}.", other)
    other.append(name)
    return None


def network(path: str, doc: dict[str, Any]) -> dict[str, Any]:
    """One file's network: `plugins` of a .conflist, or the single plugin of a .conf."""
    other: list[str] = []
    is_list = isinstance(doc.get("plugins"), list)
    out: dict[str, Any] = {"file": path, "format": "conflist" if is_list else "conf"}
    top = {k: v for k, v in doc.items() if k in NETWORK or (is_list and k != "plugins")}
    out.update(allowlisted(top, NETWORK, "", other))
    out.setdefault("name", None)
    out.setdefault("cniVersion", None)
    plugins = doc["plugins"] if is_list else [{k: v for k, v in doc.items() if k not in NETWORK}]
    out["plugins"] = []
    for i, plugin in enumerate(plugins):
        prefix = f"plugins[{i}]." if is_list else ""
        if not isinstance(plugin, dict):
            other.append(prefix.rstrip("."))
            continue
        entry = allowlisted(plugin, PLUGIN, prefix, other)
        entry.setdefault("type", None)
        out["plugins"].append(entry)
    out["other_fields"] = sorted(set(other))
    return out


def subnet_env(text: str) -> dict[str, Any]:
    """flanneld's subnet.env (`KEY=value` lines) through the allowlist; other names in other_fields."""
    out: dict[str, Any] = {}
    other = []
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or key.startswith("#"):
            continue
        field = FLANNEL_VARS.get(key)
        if field is None:
            other.append(key)
            continue
        try:
            out[field[0]] = field[1](value.strip().strip('"'))
        except ValueError:
            other.append(key)  # not the value flanneld writes: named, not kept
    out["other_fields"] = sorted(set(other))
    return out


def _flannel_file(networks: list[dict[str, Any]], default: str) -> str | None:
    """The subnet file the flannel plugin of the network in effect reads; None: it uses no flannel."""
    for net in networks[:1]:
        for plugin in net.get("plugins") or []:
            if plugin.get("type") == "flannel":
                return str(plugin.get("subnetFile") or default)
    return None


def collect_flannel(host: HostCapture, networks: list[dict[str, Any]], default: str) -> None:
    path = _flannel_file(networks, default)
    if path is None:
        return
    try:
        if os.path.getsize(path) > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES} bytes")
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        host.gap(f"cni flannel subnet file {path}", "not present (flanneld has not written it)")
        return
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        host.gap(f"cni flannel subnet file {path}", f"cannot read: {exc}")
        return
    host.doc["cni"]["flannel"] = {"file": path, **subnet_env(text)}


def collect(host: HostCapture, directory: str = DIRECTORY, flannel_file: str = FLANNEL_SUBNET_FILE) -> None:
    if not os.path.isdir(directory):
        return
    networks = []
    for path in sorted({p for pattern in PATTERNS for p in glob.glob(os.path.join(directory, pattern))}):
        try:
            if os.path.getsize(path) > MAX_BYTES:
                raise ValueError(f"larger than {MAX_BYTES} bytes")
            with open(path, encoding="utf-8") as fh:
                doc = json.load(fh)
            if not isinstance(doc, dict):
                raise ValueError("not a JSON object")
        except json.JSONDecodeError as exc:  # its message names the place, never the content
            where = f"line {exc.lineno} column {exc.colno}"
            host.gap(f"cni config {path}", f"not valid JSON: {exc.msg} at {where}")
            continue
        except (OSError, ValueError) as exc:
            host.gap(f"cni config {path}", f"cannot read: {exc}")
            continue
        networks.append(network(path, doc))
    host.doc["cni"] = {"directory": directory, "networks": networks}
    collect_flannel(host, networks, flannel_file)
