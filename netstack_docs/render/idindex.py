"""The identifier index: what engineers type into the search box, per component, sharded for a fleet.

Material's search indexes page text, and the layer pages are left out of it (a fleet's full text
would be tens of megabytes). What a reader looks for on a layer page is an identifier: an address
or prefix, a MAC, a port number, an interface, pod or container name, a namespace id, a set or map
name, a rule comment, a qdisc handle, a BPF program's name or id. This module lists those per
component (never page text), then cuts the fleet's index into shards by token prefix so that a
search downloads a small manifest and the one shard its prefix falls in (`assets/netstack/idsearch.js`
does the lookup inside Material's search box and opens the component at its anchor).

Layout under `<docs>/assets/netstack-ids/`:
- `manifest.json`: hosts `[env, host slug, hostname]`, layers `[slug, title]`, kind titles, and the
  shards `[prefix, file, exact, bytes]`; a shard holds every token starting with its prefix, or
  (`exact`) only the token equal to it, when longer tokens were split into deeper shards.
- `<n>.json`: `{"s": [string...], "r": [[host, layer, anchor, label, kind, namespace label]],
  "t": [[token, [ref...]]]}`: tokens sorted and lowercased; anchor, label and namespace label are
  indexes into `s` (an anchor such as `link-root--eth0` is alike on many hosts: stored once).
All strings are untrusted host text: they stay JSON data, and the script writes them as text nodes.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from netstack_docs.model.matcher import lookup
from netstack_docs.model.nftvalue import nft_value

INDEX_DIR = "assets/netstack-ids"
SHARD_BYTES = 96_000  # a shard past this many bytes (JSON, before compression) splits by the next character
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


class IndexBuilder:
    """Collects every host's components, then writes the manifest and the shards."""

    def __init__(self, layers: list[tuple[str, str]]):
        self.layers = layers
        self._layer_ix = {slug: i for i, (slug, _) in enumerate(layers)}
        self.hosts: list[list[str]] = []
        self.kinds: dict[str, int] = {}
        self.refs: list[list[Any]] = []
        self.tokens: dict[str, list[int]] = {}
        self._costs: dict[str, int] = {}

    def add_host(self, env: str, slug: str, hostname: str, components: Iterable[Component]) -> None:
        host = len(self.hosts)
        self.hosts.append([env, slug, hostname])
        for c in components:
            tokens = component_tokens(c)
            if not tokens:
                continue
            kind = self.kinds.setdefault(c.kind.title, len(self.kinds))
            where = "" if c.namespace.kind in ("root", "host") else c.namespace.label
            ref = len(self.refs)
            self.refs.append([host, self._layer_ix[c.layer], c.anchor, c.name, kind, where])
            for token in tokens:
                self.tokens.setdefault(token, []).append(ref)

    def write(self, docs: Path) -> dict[str, int]:
        """Write the index under docs/INDEX_DIR; returns its figures (files, bytes, tokens)."""
        out = docs / INDEX_DIR
        out.mkdir(parents=True, exist_ok=True)
        shards: list[list[Any]] = []
        total = 0
        self._costs = {t: self._cost(t) for t in self.tokens}
        for prefix, exact, tokens in self._shards(sorted(self.tokens), 1):
            body = self._shard(tokens)
            (out / f"{len(shards)}.json").write_text(body, encoding="utf-8")
            shards.append([prefix, len(shards), exact, len(body)])
            total += len(body)
        manifest = json.dumps(
            {
                "hosts": self.hosts,
                "layers": self.layers,
                "kinds": list(self.kinds),
                "shards": shards,
            },
            separators=(",", ":"),
        )
        (out / "manifest.json").write_text(manifest, encoding="utf-8")
        biggest = max((s[3] for s in shards), default=0)
        return {"shards": len(shards), "tokens": len(self.tokens), "shard_bytes": total,
                "manifest_bytes": len(manifest.encode()), "largest_shard_bytes": biggest}

    def _cost(self, token: str) -> int:
        """About the bytes a token adds to its shard: itself, its refs and their strings (an upper
        bound: refs and strings shared with other tokens of the shard are stored once)."""
        refs = self.tokens[token]
        strings = {text for r in refs for text in (self.refs[r][2], self.refs[r][3], self.refs[r][5])}
        return len(token) + 8 + 30 * len(refs) + sum(len(text) + 3 for text in strings)

    def _shards(self, tokens: list[str], depth: int) -> Iterator[tuple[str, bool, list[str]]]:
        """(prefix, exact, tokens) per shard: a group of tokens sharing `depth` characters, split deeper
        while it is too big; the token equal to a split prefix gets an exact shard of its own."""
        groups: dict[str, list[str]] = {}
        for t in tokens:
            groups.setdefault(t[:depth], []).append(t)
        for prefix, group in groups.items():
            if len(group) == 1 or sum(self._costs[t] for t in group) <= SHARD_BYTES:
                yield prefix, False, group
                continue
            equal = [t for t in group if len(t) <= depth]
            longer = [t for t in group if len(t) > depth]
            if equal:
                yield prefix, True, equal
            yield from self._shards(longer, depth + 1)

    def _shard(self, tokens: list[str]) -> str:
        """One shard's JSON; anchors, names and namespace labels (alike on many hosts) are stored once."""
        local: dict[int, int] = {}
        strings: dict[str, int] = {}
        refs: list[list[Any]] = []
        rows = []

        def intern(text: str) -> int:
            return strings.setdefault(text, len(strings))

        for t in tokens:
            ids = []
            for r in self.tokens[t]:
                if r not in local:
                    local[r] = len(refs)
                    host, layer, anchor, label, kind, where = self.refs[r]
                    refs.append([host, layer, intern(anchor), intern(label), kind, intern(where)])
                ids.append(local[r])
            rows.append([t, ids])
        body = {"s": list(strings), "r": refs, "t": rows}
        return json.dumps(body, separators=(",", ":"))
