"""Host and environment diagrams (topology, packet path, overview): `diagrams` graphs, Graphviz SVGs with embedded icons."""

from netstack_docs.diagrams.api import Figure, SiteFigures, render_site_figures

__all__ = ["Figure", "SiteFigures", "render_site_figures"]
