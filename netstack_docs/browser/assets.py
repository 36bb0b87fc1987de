"""Write the /trace/ page's files into the build's docs/trace/: what the reader's browser runs.

- `netstack_trace.zip`: the Python modules trace imports (found by following the imports of
  netstack_docs.analysis.trace and netstack_docs.browser.flow, standard library only) and the layer
  model as JSON (the browser has no PyYAML);
- `fleet.json`: the environments and their hosts and the repository's default assumptions
  (mkdocs.yml extra.netstack.assume); `env-<env>.json`: which host holds each address (the page
  fetches a host's /<env>/<host>/snapshot.json only when a walk reaches it);
- `trace.js` and `pyodide/`: the page's script and the Pyodide runtime this package carries
  (scripts/fetch-pyodide vendors it from npm); nothing comes from a CDN.
"""

from __future__ import annotations

import ast
import io
import json
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from netstack_docs import __version__
from netstack_docs.errors import UserError
from netstack_docs.model.model import json_name, model_documents

PACKAGE = Path(__file__).resolve().parent.parent  # netstack_docs/
PYODIDE = Path(__file__).resolve().parent / "pyodide"
SCRIPT = Path(__file__).resolve().parent / "static" / "trace.js"
PAGE_DIR = "trace"  # /trace/ (the page itself is site/base/docs/trace.md)
ROOTS = ("netstack_docs.browser.flow", "netstack_docs.analysis.trace", "netstack_docs.model.hookorder")
# Imports the walk never reaches in the browser: Fleet.load reads snapshot files from disk (the page
# hands the published snapshot.json texts to Fleet.from_docs instead).
BUILD_HALF = frozenset({"netstack_docs.site.inputs"})
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the same sources give the same zip


def _path(module: str) -> Path | None:
    parts = module.split(".")[1:]
    if not parts:
        return PACKAGE / "__init__.py"
    rel = Path(*parts)
    for candidate in (PACKAGE / rel / "__init__.py", PACKAGE / rel.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _optional(node: ast.AST) -> bool:
    """`try: import x` / `except ImportError:` (the code has a way without x)."""
    return isinstance(node, ast.Try) and any(
        h.type is not None and "ImportError" in ast.unparse(h.type) for h in node.handlers
    )


def _imports(tree: ast.AST) -> Iterator[str]:
    """Every module an import statement names (submodules of `from package import name` included),
    outside `if TYPE_CHECKING:` blocks and optional imports (`try:` ... `except ImportError:`)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                stack.append(ast.Module(body=list(getattr(child, "orelse", [])), type_ignores=[]))
                continue
            if _optional(child):
                assert isinstance(child, ast.Try)
                stack.extend(child.handlers)
                stack.append(ast.Module(body=[*child.orelse, *child.finalbody], type_ignores=[]))
                continue
            if isinstance(child, ast.Import):
                yield from (alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                yield child.module
                yield from (f"{child.module}.{alias.name}" for alias in child.names)
            stack.append(child)


def _parents(module: str) -> Iterator[str]:
    parts = module.split(".")
    yield from (".".join(parts[:i]) for i in range(1, len(parts)))


def browser_modules() -> dict[str, Path]:
    """module name -> source file: everything the browser's trace imports from this package."""
    todo = list(ROOTS)
    trace_dir = PACKAGE / "analysis" / "trace"
    todo += [f"netstack_docs.analysis.trace.{p.stem}" for p in sorted(trace_dir.glob("[!_]*.py"))]
    found: dict[str, Path] = {}
    while todo:
        module = todo.pop()
        if module in found or module in BUILD_HALF or not module.startswith("netstack_docs"):
            continue
        path = _path(module)
        if path is None:  # `from netstack_docs.x import name` where name is not a module
            continue
        found[module] = path
        todo.extend(_parents(module))
        imported = _imports(ast.parse(path.read_text(encoding="utf-8")))
        todo.extend(m for m in imported if m.startswith("netstack_docs"))
    return dict(sorted(found.items()))


def foreign_imports() -> dict[str, list[str]]:
    """module -> the modules outside the standard library and this package it imports (must stay empty)."""
    import sys

    out = {}
    for module, path in browser_modules().items():
        names = {m.split(".")[0] for m in _imports(ast.parse(path.read_text(encoding="utf-8")))}
        foreign = sorted(n for n in names if n != "netstack_docs" and n not in sys.stdlib_module_names)
        if foreign:
            out[module] = foreign
    return out


def python_zip() -> bytes:
    """The modules and the model as JSON, as one deterministic zip (Pyodide unpacks it into its FS)."""
    entries = {p.relative_to(PACKAGE.parent).as_posix(): p.read_bytes() for p in browser_modules().values()}
    for name, doc in model_documents().items():
        entries[f"netstack_docs/model/{json_name(name)}"] = json.dumps(doc, sort_keys=True).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(entries.items()):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=9)
    return buf.getvalue()


def check_runtime() -> None:
    if not (PYODIDE / "VERSION").is_file():
        raise UserError(
            f"{PYODIDE}: the browser trace's Pyodide runtime is missing from this installation of "
            "netstack-docs; in a checkout run scripts/fetch-pyodide (make venv does) and reinstall"
        )


def write_trace_assets(
    docs: Path, snapshots: Iterable[tuple[str, str, dict[str, Any]]], assume: list[str]
) -> None:
    """docs/trace/{netstack_trace.zip, fleet.json, env-<env>.json, trace.js, pyodide/}: the page's files.

    `snapshots`: (env, slug, document) in the order the build loaded them (as Fleet.load does)."""
    from netstack_docs.browser.flow import address_owners

    check_runtime()
    out = docs / PAGE_DIR
    out.mkdir(parents=True, exist_ok=True)
    (out / "netstack_trace.zip").write_bytes(python_zip())
    envs: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for env, slug, doc in snapshots:
        envs.setdefault(env, []).append((slug, doc))
    fleet = {
        "netstack_docs": __version__,
        "assume": list(assume),
        "environments": {env: sorted(slug for slug, _ in hosts) for env, hosts in sorted(envs.items())},
    }
    (out / "fleet.json").write_text(json.dumps(fleet, indent=1, sort_keys=True), encoding="utf-8")
    for env, hosts in envs.items():  # env is a slug (site.inputs): a safe file name
        detail = {"hosts": [slug for slug, _ in hosts], "owners": address_owners(hosts)}
        (out / f"env-{env}.json").write_text(json.dumps(detail, separators=(",", ":")), encoding="utf-8")
    shutil.copyfile(SCRIPT, out / "trace.js")
    shutil.copytree(PYODIDE, out / "pyodide", dirs_exist_ok=True)
