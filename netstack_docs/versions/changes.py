"""The changes pages of a version: /changes/ for the whole site and /<env>/<host>/changes/ per host.

Every change links to the object's anchor on the layer page that holds it in this version. The link
target comes from classifying the snapshot the way the site does (so it exists: the strict build
checks every anchor); a removed object links nowhere, it is only named with the layer it was on.
Every string from a snapshot goes through netstack_docs.render.escape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netstack_docs.model.classify import classify, layer_of
from netstack_docs.model.identity import object_anchor
from netstack_docs.model.model import load_model
from netstack_docs.render.escape import md_code, md_text
from netstack_docs.versions.diff import Diff, FieldChange, HostDiff, HostKey, ObjectChange, diff_sets
from netstack_docs.versions.report import KIND_WORDS, folded_text, show_value

Snapshots = Mapping[HostKey, Mapping[str, Any]]
OPS = (("added", "Added"), ("changed", "Changed"), ("removed", "Removed"))


def version_label(snapshots: Snapshots | None) -> str:
    """How a page names the previous version: by the newest capture time among its snapshots."""
    if not snapshots:
        return "the previous version"
    newest = max(str(doc.get("meta", {}).get("captured_at", "")) for doc in snapshots.values())
    return f"the previous version (captured {newest[:10]})" if newest else "the previous version"


def version_link(page_path: str, version: str) -> str:
    """`version <name>` linking the version's home, from a page of this version (`page_path`, a docs-dir
    path): versions are siblings below the site root, so the link climbs out of this one."""
    up = "../" * (page_path.count("/") + 2)  # the page's own directory URL, then this version's root
    # raw HTML: MkDocs would refuse a Markdown link that leaves the site it builds (strict mode);
    # a version name is one path segment of [A-Za-z0-9._-] (publish.VERSION): nothing to escape
    return f'version <a href="{up}{version}/">{version}</a>'


def anchors(doc: Mapping[str, Any]) -> dict[str, str]:
    """anchor -> layer slug, for every component the site shows for this snapshot."""
    view = classify(dict(doc))
    return {c.anchor: slug for slug, lv in view.layers.items() for c in lv.components}


class _Host:
    """One host's changes, rendered with links relative to a given page directory."""

    def __init__(self, host: HostDiff, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None):
        self.host = host
        self.now = anchors(new) if new is not None else {}
        self.before = anchors(old) if old is not None else {}
        self.titles = {layer.slug: layer.title for layer in load_model().layers}

    def _layer(self, obj: ObjectChange, table: dict[str, str]) -> tuple[str, str]:
        anchor = object_anchor(obj.kind, obj.namespace, obj.obj)
        return table.get(anchor) or layer_of(obj.kind, dict(obj.obj)), anchor

    def object_line(self, obj: ObjectChange) -> list[str]:
        what = f"{md_text(KIND_WORDS[obj.kind])} "
        if obj.op == "removed":
            slug, _ = self._layer(obj, self.before)
            line = f"- {what}{md_code(obj.name)}{md_text(folded_text(obj))}: was on the "
            line += f"{md_text(self.titles.get(slug, slug))} page"
        else:
            slug, anchor = self._layer(obj, self.now)
            # the same directory: <env>/<host>/changes.md links <env>/<host>/<layer>.md
            link = f"[{md_code(obj.name)}]({slug}.md#{anchor})" if anchor in self.now else md_code(obj.name)
            line = f"- {what}{link}{md_text(folded_text(obj))} ({md_text(self.titles.get(slug, slug))})"
        return [line, *(f"    - {field_md(f)}" for f in obj.fields)]

    def body(self, level: str) -> list[str]:
        lines: list[str] = []
        if self.host.fields:
            lines += [f"{level} Host", "", *(f"- {field_md(f)}" for f in self.host.fields), ""]
        # what changed in namespaces that stayed comes first; namespaces that came or went after it
        ordered = sorted(self.host.namespaces, key=lambda ns: ns.op in ("added", "removed"))
        for ns in ordered:
            state = ""
            if ns.op in ("added", "removed"):
                count = len(ns.folded)  # its own sysctls came or went with it
                settings = f", with its {count} sysctl{'' if count == 1 else 's'}" if count else ""
                state = f" ({ns.op}{settings})"
            lines += [f"{level} {md_text(ns.label)}{state}", ""]
            lines += [f"- {field_md(f)}" for f in ns.fields]
            for op, title in OPS:
                objs = [o for o in ns.objects if o.op == op]
                if objs:
                    lines += [f"**{title}**", ""]
                    lines += [line for o in objs for line in self.object_line(o)]
                    lines.append("")
        return lines


def field_md(change: FieldChange) -> str:
    return f"{md_code(change.field)}: {md_code(show_value(change.old))} → {md_code(show_value(change.new))}"


def _counts(host: HostDiff) -> str:
    """Objects added, changed, removed in the namespaces that stayed; namespaces that came or went are
    counted as such (their contents are listed on the host's page, after the real changes)."""
    stayed = [o for ns in host.namespaces if ns.op not in ("added", "removed") for o in ns.objects]
    parts = [f"{sum(o.op == op for o in stayed)} {op}" for op, _ in OPS]
    for op in ("added", "removed"):
        count = sum(ns.op == op for ns in host.namespaces)
        if count:
            parts.append(f"{count} namespace{'' if count == 1 else 's'} {op}")
    return ", ".join(parts)


def host_page(
    host: HostDiff, old: Mapping[str, Any] | None, new: Mapping[str, Any], since: str, reach: Any = None
) -> str:
    title = f"# Changes on {md_text(host.hostname)}"
    intro = f"Compared with {since}: what was added, removed or changed in the configuration captured."
    if host.op == "added":
        return f"{title}\n\nThis host is new: it was not in {since}.\n"
    section = reach_section(host, old, new, reach) if reach is not None else []
    if not host.changed:
        return "\n".join([title, "", f"No change since {since}.", "", *section]).rstrip() + "\n"
    lines = [title, "", intro, "", f"{_counts(host)}.", "", *section, *_Host(host, old, new).body("##")]
    return "\n".join(lines).rstrip() + "\n"


REACH_WORDS = {"reachable": "Became reachable", "unreachable": "No longer reachable"}
VIEW_TITLES = {"host": "from any source", "outside": "from outside (through an uplink)"}


def reach_lines(h: _Host | None, changes: list[Any], link_host: str = "") -> list[str]:
    """One item per change: the socket, the packets, one example, and the changes on their path."""
    from netstack_docs.versions.reachreport import packet_text

    lines = []
    for c in changes:
        where = f"{md_code(c.socket)} in via {md_code(c.ifname)}"
        host = f"[{c.env}/{c.host}]({link_host}) " if link_host else ""
        lines.append(f"- {host}{REACH_WORDS[c.op]}, {where}: {md_text(c.description)}")
        if c.example:
            lines.append(f"    - for example {md_code(packet_text(c.example))}")
        if not c.causes:
            lines.append("    - no configuration change on its path was found in this host's snapshot")
        elif h is not None:
            lines.append("    - caused by:")
            lines += ["        " + line for cause in c.causes for line in h.object_line(cause)[:1]]
        else:
            lines.append(
                "    - caused by: "
                + md_text("; ".join(f"{o.op} {KIND_WORDS[o.kind]} {o.name}" for o in c.causes))
            )
    return lines


def reach_section(
    host: HostDiff, old: Mapping[str, Any] | None, new: Mapping[str, Any], reach: Any
) -> list[str]:
    """## Reachability: what became reachable or stopped being, from any source and from outside."""
    lines = ["## Reachability", ""]
    changes = reach.of_host((host.env, host.host))
    if not changes:
        return lines + ["No change in who can reach this host's listening sockets.", ""]
    h = _Host(host, old, new)
    for view in ("outside", "host"):
        mine = [c for c in changes if c.view == view]
        if mine:
            lines += [f"**{VIEW_TITLES[view].capitalize()}**", "", *reach_lines(h, mine), ""]
    return lines


def site_page(
    diff: Diff, previous: Snapshots | None, current: Snapshots, since: str, reach: Any = None
) -> str:
    lines = ["# Changes", ""]
    if previous is None:
        return "\n".join(lines + ["No previous version: this is the first one published.", ""])
    lines += [f"Compared with {since}.", ""]
    added = [h for h in diff.hosts if h.op == "added"]
    removed = [h for h in diff.hosts if h.op == "removed"]
    changed = [h for h in diff.hosts if h.op is None and h.changed]
    same = [h for h in diff.hosts if not h.changed]
    for title, hosts in (("Hosts added", added), ("Hosts removed", removed)):
        if hosts:
            lines += [f"## {title}", ""]
            for h in hosts:
                name = f"{h.env}/{h.host} ({md_text(h.hostname)})"
                lines.append(f"- [{name}]({h.env}/{h.host}/index.md)" if h.op == "added" else f"- {name}")
            lines.append("")
    if changed:
        lines += ["## Hosts changed", "", "| Host | Changes |", "|---|---|"]
        for h in changed:
            page = f"{h.env}/{h.host}/changes.md"
            lines.append(f"| [{h.env}/{h.host}]({page}) ({md_text(h.hostname)}) | {_counts(h)} |")
        lines.append("")
    if same:
        lines += ["## Unchanged", ""]
        lines += [f"- [{h.env}/{h.host}]({h.env}/{h.host}/index.md): no change" for h in same]
        lines.append("")
    if not (added or removed or changed):
        lines += [f"No change since {since}.", ""]
    if reach is not None:
        lines += outside_section(reach)
    return "\n".join(lines)


def outside_section(reach: Any) -> list[str]:
    """## Reachable from outside: per environment, what packets from outside newly reach or no longer do."""
    lines = ["## Reachable from outside", ""]
    changes = [c for c in reach.changes if c.view == "outside"]
    if not changes:
        return lines + [
            "No change: packets from outside reach exactly the listening sockets they reached before.",
            "",
        ]
    for env in sorted({c.env for c in changes}):
        lines += [f"### {md_text(env)}", ""]
        mine = [c for c in changes if c.env == env]
        for c in mine:
            lines += reach_lines(None, [c], f"{c.env}/{c.host}/changes.md")
        lines.append("")
    return lines


def changes_pages(
    previous: Snapshots | None,
    current: Snapshots,
    since: str | None = None,
    version: str | None = None,
    reach: Any = None,
) -> dict[str, str]:
    """Build-dir-relative Markdown paths -> escaped Markdown. `since` names the previous version;
    `version` (a published version's name) makes every page name and link it instead; `reach` (a
    netstack_docs.analysis.reach.delta.ReachDiff of the same snapshots) adds what changed in reachability."""

    def label(page: str) -> str:
        return version_link(page, version) if version else since or version_label(previous)

    diff = diff_sets(previous or {}, current)
    pages = {"changes.md": site_page(diff, previous, current, label("changes.md"), reach)}
    for host in diff.hosts:
        key = (host.env, host.host)
        if key in current:
            page = f"{host.env}/{host.host}/changes.md"
            if previous is None:
                text = f"# Changes on {md_text(host.hostname)}\n\nNo previous version: this is the first.\n"
            else:
                text = host_page(host, previous.get(key), current[key], label(page), reach)
            pages[page] = text
    return pages
