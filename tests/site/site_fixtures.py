"""What the site tests share: paths, the layer slugs of the URL contract, and a built site's parts.

A module of its own (not conftest) so test modules import it by a name no other test folder uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from netstack_docs.site.build import BuildResult
from netstack_docs.site.inputs import SnapshotFile

REPO = Path(__file__).resolve().parents[2]
FIXTURE_SNAPSHOTS = REPO / "tests" / "fixtures" / "snapshots"
LAYERS = (
    "nic",
    "link",
    "virtual",
    "namespaces",
    "routing",
    "netfilter",
    "traffic-control",
    "ebpf",
    "transport",
    "tooling",
)


@dataclass
class Built:
    site: Path
    build_dir: Path
    result: BuildResult
    snapshots: list[SnapshotFile]


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """`netstack-docs ARGS` as a user runs it, in `cwd` (a docs repository, by default the checkout)."""
    return subprocess.run(
        [sys.executable, "-m", "netstack_docs", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
    )


def ready_as_markdown(source: str) -> str:
    """A generated page with each ready HTML block (netstack_docs.render.ready) spelt as the Markdown
    it replaced: table rows as `| a | b |`, links as `[text](href)`, text escaped by md_text (code
    blocks verbatim), so that assertions about a page's facts read the same either way. A page written
    whole as HTML (ready.PAGE) reads as if its parts between headings were ready blocks, its headings
    Markdown headings (`### text { #id }`)."""
    import html
    import re

    from netstack_docs.render.escape import md_text
    from netstack_docs.render.ready import CLOSE, OPEN, PAGE

    if PAGE in source:
        head, _, body = source.partition(PAGE + "\n")
        parts = re.split(r'(<h[1-6](?: id="[^"]*")?>.*?</h[1-6]>)', body, flags=re.S)
        spelt = [head]
        for part in parts:
            heading = re.fullmatch(r'<h([1-6])(?: id="([^"]*)")?>(.*?)</h[1-6]>', part, re.S)
            if heading:
                text = "".join(md_text(html.unescape(t)) if not t.startswith("<") else t
                               for t in re.split(r"(<[^<>]+>)", heading.group(3)) if t)
                anchor = f" {{ #{heading.group(2)} }}" if heading.group(2) else ""
                spelt.append(f"{'#' * int(heading.group(1))} {text}{anchor}\n\n")
            elif part.strip():
                spelt.append(f"{OPEN}\n{part.strip(chr(10))}\n{CLOSE}\n\n")
        source = "".join(spelt)

    def block(m: re.Match[str]) -> str:
        body = re.sub(r"<(tr|/td|/th|thead|/thead|tbody)>\n", r"<\1>", m.group(1))
        out, href, pre = [], [], False
        for part in re.split(r"(<[^<>]+>)", body):
            tag = re.match(r"<(/?)([a-z0-9]+)", part)
            if not tag:
                text = html.unescape(part)
                out.append(text if pre else "\n".join(md_text(line) for line in text.split("\n")))
                continue
            close, name = tag.group(1) == "/", tag.group(2)
            if name == "pre":
                pre = not close
            if name == "a" and not close:
                href.append(re.search(r'href="([^"]*)"', part).group(1))  # type: ignore[union-attr]
                out.append("[")
            elif name == "a":
                out.append(f"]({href.pop()})")
            elif name in ("td", "th"):
                out.append(" " if close else "| ")
            elif name == "tr" and close:
                out.append("|")
            elif name in ("p", "tr", "table", "thead", "tbody", "div", "pre") or (name == "code" and pre):
                continue
            else:
                out.append(part)
        return "".join(out)

    return re.sub(re.escape(OPEN) + r"\n(.*?)\n" + re.escape(CLOSE), block, source, flags=re.S)


def team_project(tmp_path: Path, page: str) -> Path:
    """A team's docs repository with one page of its own (docs/runbook.md) and a minimal mkdocs.yml."""
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "mkdocs.yml").write_text("site_name: A team's docs\n")
    (project / "docs" / "runbook.md").write_text(page)
    return project
