"""A layer page's table of contents names the namespace of each component outside the root namespace:
`lo`, `lo in netns blue`, `lo in container ...`, not `lo` once per namespace."""

from __future__ import annotations

import re
from collections import Counter

from site_fixtures import Built, ready_as_markdown


def _toc(html: str) -> list[str]:
    found = re.findall(r'class="md-nav__link">\s*<span class="md-ellipsis">\s*(.*?)\s*</span>', html, re.S)
    return [re.sub(r"\s+", " ", t) for t in found]


def test_the_toc_names_the_namespace_of_each_lo_and_each_root_qdisc(built: Built) -> None:
    link = _toc((built.site / "lab" / "rich-host" / "link" / "index.html").read_text())
    loopbacks = [t for t in link if t == "lo" or t.startswith("lo in ")]
    assert len(loopbacks) == 4 and len(set(loopbacks)) == 4, loopbacks
    assert "lo" in loopbacks and "lo in netns blue" in loopbacks
    tc = _toc((built.site / "lab" / "rich-host" / "traffic-control" / "index.html").read_text())
    assert {"lo root", "lo root in netns blue", "eth0 root in netns blue"} <= set(tc)


def test_hostile_namespace_names_stay_text_in_headings(built: Built) -> None:
    page = ready_as_markdown((built.build_dir / "docs" / "hostile" / "lab-01" / "link.md").read_text())
    heading = re.search(r"^### (.*) \{ #link-blue--lo \}$", page, re.M)  # a Markdown heading, for the TOC
    assert heading and '<span class="netstack-heading-ns">in netns blue</span>' in heading.group(1)
    counts = Counter(_toc((built.site / "hostile" / "lab-01" / "link" / "index.html").read_text()))
    assert counts["lo"] == 1
