"""Host and environment diagrams (topology, packet path, overview): `diagrams` graphs, Graphviz SVGs."""

from netstack_docs.diagrams.api import Figure, SiteFigures, render_site_figures

__all__ = ["Figure", "SiteFigures", "render_site_figures"]
