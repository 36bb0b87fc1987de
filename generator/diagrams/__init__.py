"""Diagrams of hosts and environments (topology, packet path, overview) drawn with `diagrams`, rendered by Graphviz."""

from generator.diagrams.api import Figure, SiteFigures, render_site_figures

__all__ = ["Figure", "SiteFigures", "render_site_figures"]
