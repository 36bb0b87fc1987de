"""The host figures' text versions as ready HTML say what their Markdown says, as Python-Markdown writes it:
the same table, list and links, hostile names escaped (the host page carries the HTML, issue 24)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import markdown
import pytest
from diagram_helpers import case_snapshots

from netstack_docs.diagrams.api import host_figures
from netstack_docs.model.classify import classify

CASES = ("edge-router", "hostile-names", "k8s-200-pods", "ovs-compute", "env-ovs-tunnels")


def _same_text(page_html: str) -> str:
    """HTML with entities read (md_text writes `&#124;` and `\\_` where html_text writes `|` and `_`)."""
    return html.unescape(re.sub(r"\n+", "\n", page_html))


@pytest.mark.parametrize("case", CASES)
def test_each_host_figures_ready_html_is_what_python_markdown_makes_of_its_markdown(
    case: str, tmp_path: Path
) -> None:
    for slug, doc in case_snapshots(case).items():
        figures = host_figures(classify(doc, host_slug=slug), tmp_path)
        assert figures
        for name, fig in figures.items():
            assert fig.text_html, (slug, name)
            converted = markdown.markdown(fig.text_md, extensions=["tables"])
            assert _same_text(fig.text_html) == _same_text(converted), (slug, name)


def test_hostile_names_stay_text_in_the_ready_html(tmp_path: Path) -> None:
    for slug, doc in case_snapshots("hostile-names").items():
        for fig in host_figures(classify(doc, host_slug=slug), tmp_path).values():
            assert fig.text_html is not None
            tags = set(re.findall(r"</?([a-z0-9]+)", fig.text_html))
            assert tags <= {"table", "thead", "tbody", "tr", "th", "td", "code", "br", "p", "ul", "ol", "li",
                            "a", "strong"}, tags
