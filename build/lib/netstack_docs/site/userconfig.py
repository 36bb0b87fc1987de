"""Read a docs repository's own mkdocs.yml: YAML errors with file:line, MkDocs' tags kept, keys located.

A team's mkdocs.yml may use MkDocs' YAML tags (`!ENV`, `!!python/name:` for emoji and superfences
formatters). `!ENV` is resolved here, as MkDocs would; `!!python/...` values are carried through
untouched and written back with their tag, so MkDocs resolves them when it builds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from netstack_docs.errors import UserError


@dataclass(frozen=True)
class Tagged:
    """A `!!python/...` node: kept as written, re-emitted with its tag."""

    tag: str
    value: Any


class _Loader(yaml.SafeLoader):
    pass


def _env(loader: _Loader, node: yaml.Node) -> Any:
    """`!ENV NAME` or `!ENV [NAME, OTHER, default]`: the first variable set, else the default (as MkDocs)."""
    if isinstance(node, yaml.ScalarNode):
        names, default = [loader.construct_scalar(node)], None
    else:
        items = loader.construct_sequence(node)  # type: ignore[arg-type]
        names, default = (items[:-1], items[-1]) if len(items) > 1 else (items, None)
    for name in names:
        if str(name) in os.environ:
            return yaml.safe_load(os.environ[str(name)])
    return default


def _python(loader: _Loader, suffix: str, node: yaml.Node) -> Tagged:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return Tagged("tag:yaml.org,2002:python/" + suffix, value)


_Loader.add_constructor("!ENV", _env)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", _python)


class Dumper(yaml.SafeDumper):
    """Writes the build's mkdocs.yml; knows how to put `!!python/...` values back."""


def _represent_tagged(dumper: Dumper, data: Tagged) -> yaml.Node:
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    return dumper.represent_scalar(data.tag, str(data.value))


Dumper.add_representer(Tagged, _represent_tagged)


@dataclass(frozen=True)
class UserConfig:
    """The settings of one mkdocs.yml and where each top-level key was written (for file:line errors)."""

    path: Path | None  # None: the repository has no mkdocs.yml, the tool's defaults apply
    settings: dict[str, Any]
    lines: dict[str, int]

    def where(self, key: str) -> str:
        """`mkdocs.yml:12: theme` style location of a top-level key."""
        if self.path is None:
            return key
        line = self.lines.get(key.split(".")[0])
        return f"{self.path}:{line}: {key}" if line else f"{self.path}: {key}"


def read_user_config(path: Path) -> UserConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        node = yaml.compose(text, Loader=_Loader)  # type: ignore[arg-type]
        settings = yaml.load(text, Loader=_Loader) if node is not None else {}  # noqa: S506 (safe loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise UserError(f"{path}{line}: not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {exc}") from None
    if settings is None:
        settings = {}
    if not isinstance(settings, dict) or not isinstance(node, yaml.MappingNode | type(None)):
        raise UserError(f"{path}:1: expected a mapping of MkDocs settings (key: value)")
    lines = {}
    if isinstance(node, yaml.MappingNode):
        lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    return UserConfig(path, settings, lines)


def write_yaml(config: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.dump(config, Dumper=Dumper, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
