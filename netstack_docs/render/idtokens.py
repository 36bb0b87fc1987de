"""What engineers type to find a component: its identifiers, per component kind (never page text).

An address or prefix, a MAC, a port number, an interface, pod or container name, a namespace id, a
set or map name, a rule comment, a qdisc handle, a BPF program's name or id: each kind of
component names the fields that hold them (EXTRACT), and rule texts are scanned for addresses,
ports, set references and comments. Tokens are lowercased; names every host has (`lo`,
`127.0.0.1`) and derived link-local addresses are left out. netstack_docs.render.idindex shards
them for the site's search.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

from netstack_docs.model.matcher import lookup
from netstack_docs.model.nftvalue import nft_value

MAX_TOKEN = 80  # longer strings (a long comment) are cut: a reader types the start of them
SET_ELEMENTS = 200  # a set of thousands of blocked addresses indexes its first elements, not all

Component = Any  # netstack_docs.model.classify.Component (not imported: render stays light)

_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
# no identifier, or one every host has (it would find every host and cost index space on each)
_NOISE = {"", "-", "0", "none", "null", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "lo", "127.0.0.1",
          "127.0.0.1/8", "::1", "::1/128", "lo 127.0.0.1/8", "lo ::1/128", "0:"}
_PORT_WORD = re.compile(r"(?:\bdport|\bsport|\bport|--dports?|--sports?|--to-ports?)\s+([0-9][0-9,:-]*)")
_COMMENT = re.compile(r'comment\s+"([^"]*)"|--comment\s+"?([^"\s]+)')
_SET_REF = re.compile(r"@([A-Za-z0-9_.\-]+)")
_WORDS = re.compile(r"[^\s,{}()\[\]\"';=]+")


@lru_cache(maxsize=1 << 16)  # a fleet repeats its subnets, gateways and service addresses on many hosts
def _addr_tokens(word: str) -> tuple[str, ...]:
    """An address-like word as a reader types it: `10.0.0.0/8` -> it and `10.0.0.1`; `ip:port` -> both."""
    word = word.strip("[]")
    port = None
    if word.count(":") == 1 and "." in word:  # 192.168.50.10:6443 (dnat to)
        word, _, port = word.partition(":")
    elif "]:" in word:
        word, _, port = word.partition("]:")
        word = word.strip("[")
    out: list[str] = []
    host, slash, length = word.partition("/")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return ()
    out.append(str(ip))
    if slash and length.isdigit():
        out.append(f"{ip}/{length}")
    if port and port.isdigit():
        out.append(port)
    return tuple(out)
    return tuple(out)


def scan_text(text: str) -> list[str]:
    """Identifiers inside a rule's text: addresses and prefixes, MACs, ports, set names, comments."""
    out: list[str] = []
    for m in _COMMENT.finditer(text):
        out.append(m.group(1) or m.group(2) or "")
    for m in _SET_REF.finditer(text):
        out.append(m.group(1))
    for m in _PORT_WORD.finditer(text):
        out += [p for p in re.split(r"[,:-]", m.group(1)) if p]
    for word in _WORDS.findall(text):
        low = word.lower()
        if _MAC.match(low):
            out.append(low)
        elif any(ch.isdigit() for ch in word) and ("." in word or ":" in word):
            out += _addr_tokens(word)
    return out


def _values(obj: Any, paths: Iterable[str]) -> Iterator[Any]:
    for path in paths:
        value = lookup(obj, path)
        if isinstance(value, list):
            yield from value
        elif isinstance(value, dict):
            yield from value.values()
        elif value is not None:
            yield value


def _addr(obj: dict[str, Any]) -> list[str]:
    """`10.244.1.1/24`, `10.244.1.1` and its subnet `10.244.1.0/24`."""
    with_len = f"{obj.get('address')}/{obj.get('prefixlen')}"
    return [with_len, *_addr_tokens(str(obj.get("address") or "")), *_subnet(with_len)]


@lru_cache(maxsize=1 << 16)
def _subnet(with_len: str) -> tuple[str, ...]:
    try:
        return (str(ipaddress.ip_interface(with_len).network),)
    except ValueError:
        return ()


def _prefixes(obj: dict[str, Any], *keys: str) -> list[str]:
    out = []
    for key in keys:
        value = obj.get(key)
        if isinstance(value, str) and value not in ("default", ""):
            out += [value, *_addr_tokens(value)]
    return out


def _socket(obj: dict[str, Any]) -> list[str]:
    port, addr = obj.get("port"), obj.get("local_address")
    out = [str(port), str(obj.get("process") or "")]
    if addr not in (None, "0.0.0.0", "::", "*"):
        out += [str(addr), f"{addr}:{port}" if ":" not in str(addr) else f"[{addr}]:{port}"]
    return out


def _netns(obj: dict[str, Any]) -> list[str]:
    container = obj.get("container") or {}
    out = [obj.get("id"), obj.get("name"), container.get("name"), container.get("image"),
           container.get("pod_name"), container.get("id")]
    if container.get("pod_namespace") and container.get("pod_name"):
        out.append(f"{container['pod_namespace']}/{container['pod_name']}")
    if container.get("id"):
        out.append(str(container["id"])[:12])  # docker ps shows 12 characters
    if obj.get("inode"):
        out += [str(obj["inode"]), f"net:[{obj['inode']}]"]  # ls -l /proc/PID/ns/net
    return [str(v) for v in out if v]


def _nftset(obj: dict[str, Any]) -> list[str]:
    out = [str(obj.get("name")), str(obj.get("comment") or "")]
    for element in (obj.get("elements") or [])[:SET_ELEMENTS]:
        for part in re.split(r" : | \. |-", nft_value(element)):
            if part.isdigit() or _MAC.match(part):
                out.append(part)
            else:
                out += _addr_tokens(part)
    return out


def _iptables(obj: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for chain in (obj.get("chains") or {}).values():
        for rule in chain.get("rules") or []:
            out += scan_text(str(rule))
    return out


def _fields(*paths: str) -> Callable[[dict[str, Any]], list[str]]:
    return lambda obj: [str(v) for v in _values(obj, paths)]


def _neigh(obj: dict[str, Any]) -> list[str]:
    return [str(obj.get("lladdr") or ""), *_addr_tokens(str(obj.get("address") or ""))]


# identity kind -> the identifiers of one of its objects (besides the component's name, always indexed)
EXTRACT: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "link": _fields("ifname", "address", "alias", "perm_address"),
    "nic": _fields("ifname", "address", "perm_address", "nic.driver", "nic.bus_info"),
    "port": _fields("ifname", "address"),
    "addr": _addr,
    "route": lambda o: _prefixes(o, "dst", "gateway", "prefsrc"),
    "rule": lambda o: _prefixes(o, "src", "dst"),
    "neigh": _neigh,
    "fdb": _fields("lladdr", "dst"),
    "qdisc": lambda o: [str(o.get("handle")), *([str(o["parent"])] if o.get("parent") != "root" else [])],
    "class": _fields("classid"),
    "filter": _fields("handle", "bpf.name", "bpf.prog_id"),
    "nfttable": _fields("name", "comment"),
    "nftchain": _fields("name", "comment", "device", "devices"),
    "nftrule": lambda o: [str(o.get("comment") or ""), *scan_text(str(o.get("text") or ""))],
    "nftset": _nftset,
    "iptables": _iptables,
    "socket": _socket,
    "netns": _netns,
    "prog": _fields("name", "id", "tag"),
    "ovsbridge": _fields("name"),
    "ovsport": _fields("name", "external_ids", "state.macs_in_use", "remote_ip", "local_ip", "peer"),
    "cni": _fields("name", "file", "bridges", "subnets"),
    "daemon": _fields("name"),
}
# second views (their home is another page) and what is alike on every host: not indexed
SKIP = {"cnidefault", "sysctl", "derived"}


def normalise(text: str) -> str:
    return " ".join(text.split()).lower()[:MAX_TOKEN]


def component_tokens(c: Component) -> list[str]:
    """The distinct identifiers of one component, lowercased, in the order found."""
    if c.identity_kind in SKIP:
        return []
    extract = EXTRACT.get(c.identity_kind)
    obj = {**c.obj, "state": c.state} if c.state and c.identity_kind == "ovsport" else c.obj
    found = [c.name, *(extract(obj) if extract else [])]
    out: dict[str, None] = {}
    for raw in found:
        token = normalise(str(raw))
        if token in _NOISE or token.startswith("fe80:"):  # link-local: derived, on every interface
            continue
        out.setdefault(token, None)
        if "/" in token and " " not in token and not token.startswith("/") and not _is_prefix(token):
            out.setdefault(token.rsplit("/", 1)[1], None)  # kube-system/coredns-... -> coredns-...
    return list(out)


@lru_cache(maxsize=1 << 16)
def _is_prefix(token: str) -> bool:
    try:
        ipaddress.ip_network(token, strict=False)
    except ValueError:
        return False
    return True
