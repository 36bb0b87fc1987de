"""A docs repository: the team's mkdocs.yml, docs/ and snapshots/, found the way MkDocs finds its config.

The tool's own part (base configuration, its pages, stylesheet) ships inside the package under
`site/base/`; the team's part lives in its repository. This module puts the two together as one
docs/ tree and one configuration, and refuses what would collide or break the generated site.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from netstack_docs.entry import CONFIG_NAMES  # one list, readable without YAML (the capture)
from netstack_docs.errors import UserError
from netstack_docs.site.merge import merge_user_config
from netstack_docs.site.userconfig import UserConfig, read_user_config

BASE = Path(__file__).resolve().parent / "base"
# Top-level paths the build generates (besides one directory per environment).
GENERATED = ("handbook", "changes", "trace")


@dataclass(frozen=True)
class Project:
    root: Path
    config: UserConfig

    @property
    def docs(self) -> Path:
        return self.root / "docs"

    def user_pages(self) -> list[str]:
        """The team's Markdown pages, relative to docs/ (index.md is the home page's introduction)."""
        if not self.docs.is_dir():
            return []
        return sorted(p.relative_to(self.docs).as_posix() for p in self.docs.rglob("*.md"))


def find_project(root: Path | None = None, config_file: Path | None = None) -> Project:
    """The repository of `config_file`, else the one in `root` (default: the current directory).

    Without a mkdocs.yml the tool's defaults apply: a directory with only snapshots/ builds too."""
    if config_file is not None:
        if not config_file.is_file():
            raise UserError(f"{config_file}: no such configuration file")
        return Project(config_file.resolve().parent, read_user_config(config_file))
    root = (root or Path.cwd()).resolve()
    for name in CONFIG_NAMES:
        if (root / name).is_file():
            return Project(root, read_user_config(root / name))
    return Project(root, UserConfig(None, {}, {}))


def base_config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((BASE / "mkdocs.yml").read_text(encoding="utf-8"))
    return loaded


def tool_pages() -> list[str]:
    """The tool's own pages (getting started, linking), listed under Home."""
    docs = BASE / "docs"
    return sorted(p.relative_to(docs).as_posix() for p in docs.glob("*.md") if p.name != "index.md")


def check_collisions(project: Project, envs: set[str]) -> None:
    """A team page must not replace a generated or a tool page: both are named, nothing is written."""
    base_files = {p.relative_to(BASE / "docs").as_posix() for p in (BASE / "docs").rglob("*") if p.is_file()}
    if not project.docs.is_dir():
        return
    for path in sorted(project.docs.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(project.docs).as_posix()
        top = rel.split("/")[0].removesuffix(".md")
        if rel in base_files and rel != "index.md":
            raise UserError(f"{path}: collides with the tool's own page {rel} (rename yours)")
        if top in envs:
            raise UserError(
                f"{path}: collides with the generated pages of environment {top!r} (/{top}/): rename yours"
            )
        if top in GENERATED:
            raise UserError(f"{path}: collides with the generated /{top}/ pages: rename yours")


def assemble_docs(project: Project, docs: Path, envs: set[str]) -> str:
    """Tool pages, then the team's pages, into `docs`; returns the home introduction (Markdown)."""
    check_collisions(project, envs)
    shutil.copytree(BASE / "docs", docs, dirs_exist_ok=True)
    if project.docs.is_dir():
        shutil.copytree(project.docs, docs, dirs_exist_ok=True)
    return (docs / "index.md").read_text(encoding="utf-8")


def _nav_paths(entries: Any) -> list[str]:
    if isinstance(entries, str):
        return [] if "://" in entries else [entries]
    if isinstance(entries, list):
        return [p for e in entries for p in _nav_paths(e)]
    if isinstance(entries, dict):
        return [p for v in entries.values() for p in _nav_paths(v)]
    return []


def merged_config(project: Project) -> tuple[dict[str, Any], list[Any], list[str]]:
    """(settings, the team's own nav entries, the team's pages the nav does not list)."""
    config, user_nav = merge_user_config(base_config(), project.config, project.root)
    pages = [p for p in project.user_pages() if p != "index.md"]
    listed = _nav_paths(user_nav)
    for path in listed:
        if path not in pages:
            raise UserError(
                f"{project.config.where('nav')}: {path!r} is not one of your pages under docs/ "
                "(list only your own pages: the generated sections are placed by the build)"
            )
    return config, user_nav, [p for p in pages if p not in listed]
