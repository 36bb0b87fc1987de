"""Reach: what happens to every packet of a space, as regions (see engine.py)."""

from netstack_docs.analysis.reach.engine import ReachAnswer, Region, reach
from netstack_docs.analysis.reach.space import Box, Dim, Space

__all__ = ["Box", "Dim", "ReachAnswer", "Region", "Space", "reach"]
