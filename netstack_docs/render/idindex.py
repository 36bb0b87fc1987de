"""The identifier index: what engineers type into the search box, per component, sharded for a fleet.

Material's search indexes page text, and the layer pages are left out of it (a fleet's full text
would be tens of megabytes). What a reader looks for on a layer page is an identifier: an address
or prefix, a MAC, a port number, an interface, pod or container name, a namespace id, a set or map
name, a rule comment, a qdisc handle, a BPF program's name or id. netstack_docs.render.idtokens
lists those per component (never page text); this module cuts the fleet's index into shards by
token prefix so that a search downloads a small manifest and the one shard its prefix falls in
(`assets/netstack/idsearch.js` does the lookup inside Material's search box and opens the
component at its anchor).

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

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from netstack_docs.render.idtokens import Component, component_tokens

INDEX_DIR = "assets/netstack-ids"
SHARD_BYTES = 96_000  # a shard past this many bytes (JSON, before compression) splits by the next character


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
