"""Load YAML and remember the line of every key and list item, so errors can say file:line.

PyYAML's safe loader drops positions; composing the node tree first keeps them. Duplicate keys,
which safe_load silently resolves to the last one, are reported: in an intent file they hide a typo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlProblem:
    line: int
    path: Path_
    message: str


class YamlDocument:
    """The data and `line(path)`: the line of the key (or list item) at `path`, or of its nearest parent."""

    def __init__(self, data: Any, lines: dict[Path_, int], duplicates: list[YamlProblem]):
        self.data = data
        self.lines = lines
        self.duplicates = duplicates

    def line(self, path: Path_) -> int:
        path = tuple(path)
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], dups: list[YamlProblem]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            child = (*path, key)
            if key in seen:
                dups.append(YamlProblem(key_node.start_mark.line + 1, child, f"key {key!r} appears twice"))
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _walk(item, (*path, i), lines, dups)


def load_yaml(text: str) -> YamlDocument:
    """Raise yaml.YAMLError (with problem_mark) on a syntax error."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        return YamlDocument(None, {(): 1}, [])
    lines: dict[Path_, int] = {(): node.start_mark.line + 1}
    dups: list[YamlProblem] = []
    _walk(node, (), lines, dups)
    loader = yaml.SafeLoader(text)
    try:
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return YamlDocument(data, lines, dups)
