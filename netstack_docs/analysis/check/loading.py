"""Read intent files: YAML with line numbers, the shipped JSON Schema, then each assertion's own checks.

Every problem in every file is collected and reported at once as `file:line: key: problem`, so a
pull request that breaks three intents shows three lines, and nothing is checked against a half-read
file. The schema (intent.schema.json) ships with the package for editors and CI to use too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from netstack_docs.analysis.check.assertions import ASSERTIONS
from netstack_docs.analysis.check.builtins import BUILTINS
from netstack_docs.analysis.check.intent import HostSelector, Intent, IntentError
from netstack_docs.analysis.check.yamllines import Path_, YamlDocument, load_yaml
from netstack_docs.snapshot.load import field_path

DEFAULT_FILES = ("intent.yaml",)
DEFAULT_DIR = "intent"


@cache
def intent_schema() -> dict[str, Any]:
    text = resources.files("netstack_docs.analysis.check").joinpath("intent.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def _schema_problems(doc: YamlDocument) -> list[tuple[Path_, str]]:
    validator = jsonschema.Draft202012Validator(intent_schema())
    problems: list[tuple[Path_, str]] = []
    for error in validator.iter_errors(doc.data):
        path: Path_ = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for extra in sorted(k for k in error.instance if k not in allowed):
                where = (*path, extra)
                known = ", ".join(sorted(allowed))
                problems.append((where, f"{field_path(where)}: unknown key (known: {known})"))
            continue
        message = error.message if len(error.message) < 200 else error.message[:200] + "..."
        problems.append((path, f"{field_path(path)}: {message}"))
    return problems


def _intent(entry: dict[str, Any], index: int, origin: str) -> tuple[Intent | None, list[tuple[Path_, str]]]:
    """Build one intent from a schema-valid entry; problems are (path, message) for the caller to place."""
    base: Path_ = ("intents", index)
    kinds = [k for k in ASSERTIONS if k in entry]
    if len(kinds) != 1:
        found = ", ".join(kinds) or "none"
        return None, [
            (
                base,
                f"{field_path(base)}: needs exactly one assertion of {', '.join(ASSERTIONS)} "
                f"(found: {found})",
            )
        ]
    kind = kinds[0]
    problems = [
        ((*base, kind, *p), f"{field_path((*base, kind, *p))}: {m}")
        for p, m in ASSERTIONS[kind].validate(entry[kind])
    ]
    needs_expect = ASSERTIONS[kind].needs_expect
    if needs_expect and "expect" not in entry:
        problems.append((base, f"{field_path(base)}: {kind} needs `expect: allow` or `expect: deny`"))
    if not needs_expect and "expect" in entry:
        problems.append(((*base, "expect"), f"{field_path((*base, 'expect'))}: only `reach` takes expect"))
    intent = Intent(
        name=entry["name"],
        kind=kind,
        spec=entry[kind],
        hosts=HostSelector(**entry.get("hosts", {})),
        namespaces=entry.get("namespaces", "root"),
        expect=entry.get("expect"),
        description=entry.get("description", ""),
        origin=origin,
        assume=tuple(entry.get("assume") or ()),
        optional=entry.get("optional", False),
    )
    if "assume" in entry and kind != "reach":
        problems.append(((*base, "assume"), f"{field_path((*base, 'assume'))}: only `reach` takes assume"))
    return intent, problems


@dataclass(frozen=True)
class Declared:
    """Everything intent files declare: the intents, and the built-ins they switch off."""

    intents: list[Intent] = field(default_factory=list)
    disabled: frozenset[str] = frozenset()


def _disabled(doc: YamlDocument, builtins: frozenset[str]) -> tuple[set[str], list[tuple[Path_, str]]]:
    names = doc.data.get("disable") or []
    bad: list[tuple[Path_, str]] = [
        (
            ("disable", i),
            f"disable[{i}]: no built-in check is named {n!r} (known: {', '.join(sorted(builtins))})",
        )
        for i, n in enumerate(names)
        if n not in builtins
    ]
    return set(names), bad


def shown_path(path: Path, root: Path | None) -> str:
    """How an intent's origin names its file: relative to the docs repository when given (a published
    page must not carry the build machine's paths), else as given."""
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return path.name
    return str(path)


def load_intent_file(
    path: Path, builtins: frozenset[str] = frozenset(), root: Path | None = None
) -> tuple[Declared, list[str]]:
    """What one file declares and its problems as `file:line: key: message` lines; intents' origins name
    the file relative to `root` when given."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Declared(), [f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}"]
    try:
        doc = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return Declared(), [f"{path}:{line}: YAML syntax error: {problem}"]
    found = [(p.path, f"{field_path(p.path)}: {p.message}") for p in doc.duplicates] + _schema_problems(doc)
    intents: list[Intent] = []
    disabled: set[str] = set()
    # An intent the schema accepted gets its own checks too, so one run reports every problem.
    broken = {p[1] for p, _ in found if len(p) > 1 and p[0] == "intents"}
    if all(len(p) > 1 and p[0] in ("intents", "disable") for p, _ in found):
        disabled, bad = _disabled(doc, builtins)
        found += bad
        for i, entry in enumerate(doc.data.get("intents") or []):
            if i in broken:
                continue
            intent, more = _intent(entry, i, f"{shown_path(path, root)}:{doc.line(('intents', i))}")
            found += more
            if intent is not None:
                intents.append(intent)
    problems = sorted((doc.line(p), m) for p, m in found)
    return Declared(intents, frozenset(disabled)), [f"{path}:{line}: {m}" for line, m in problems]


def default_intent_files(directory: Path) -> list[Path]:
    """`intent.yaml` and `intent/*.yaml` of a docs repository (or the current directory)."""
    files = [directory / name for name in DEFAULT_FILES if (directory / name).is_file()]
    folder = directory / DEFAULT_DIR
    if folder.is_dir():
        files += sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    return files


def load_intents(paths: list[Path], root: Path | None = None) -> Declared:
    """Every intent of every file; IntentError listing all problems when any file has one.

    An intent may not take a built-in check's name (findings name their check), and `disable:` may
    name only built-ins."""
    builtins = frozenset(BUILTINS)
    intents: list[Intent] = []
    disabled: set[str] = set()
    problems: list[str] = []
    for path in paths:
        found, bad = load_intent_file(path, builtins, root)
        intents += found.intents
        disabled |= found.disabled
        problems += bad
    seen: dict[str, str] = {}
    for intent in intents:
        if intent.name in builtins:
            problems.append(f"{intent.origin}: name: {intent.name!r} is the name of a built-in check")
        elif intent.name in seen:
            problems.append(f"{intent.origin}: name: {intent.name!r} is already used at {seen[intent.name]}")
        seen.setdefault(intent.name, intent.origin)
    if problems:
        raise IntentError("invalid intent file(s):\n  " + "\n  ".join(problems))
    return Declared(intents, frozenset(disabled))
