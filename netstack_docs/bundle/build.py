"""Write the bundle: which files go in, from where, and a byte-for-byte reproducible zip.

What goes in is a list, not "the whole package": the build half (click, jinja2, mkdocs...) must
stay out, and so must snapshot/load.py (jsonschema); the controller validates what it fetches.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from importlib import metadata, resources
from pathlib import Path

from netstack_docs.errors import UserError

# Files of this package the capture half imports (every capture module is a collector or helper).
OWN_FILES = ("__init__.py", "errors.py", "snapshot/slug.py", "snapshot/write.py", "snapshot/content.py",
             "snapshot/snapshot.schema.json")
OWN_DIRS = ("capture",)
# snapshot/__init__.py re-exports the validating loader (jsonschema): the bundle gets a bare package.
SNAPSHOT_INIT = b'"""The writing half of the snapshot package (the bundle carries no schema validator)."""\n'
# pyroute2/__init__.py imports every pyroute2 API (IPDB, NDB, conntrack, nl80211...): a small host's
# capture takes 0.42 CPU s with it, 0.24 without (bench/bundle.py), on every host of a fleet. The
# capture imports the modules it uses by their full names, so the bundle's package __init__ only
# says which pyroute2 it is.
PYROUTE2_INIT = (b'"""pyroute2 as the netstack-docs capture bundle carries it: modules are imported by '
                 b'their full names."""\n\n'
                 b'try:\n    from pyroute2.config.version import __version__\n'
                 b'except ImportError:\n    __version__ = "unknown"\n')
SHEBANG = b"#!/usr/bin/env python3\n"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the zip epoch: the same inputs give the same bytes


def _own_files() -> Iterator[tuple[str, bytes]]:
    root = resources.files("netstack_docs")
    for name in OWN_FILES:
        yield f"netstack_docs/{name}", root.joinpath(name).read_bytes()
    yield "netstack_docs/snapshot/__init__.py", SNAPSHOT_INIT
    for folder in OWN_DIRS:
        for entry in root.joinpath(folder).iterdir():
            if entry.name.endswith(".py"):
                yield f"netstack_docs/{folder}/{entry.name}", entry.read_bytes()
    yield "__main__.py", root.joinpath("bundle", "main.py").read_bytes()


def _pyroute2_files() -> Iterator[tuple[str, bytes]]:
    """pyroute2's modules, licences and METADATA (the snapshot records its version) as installed."""
    try:
        dist = metadata.distribution("pyroute2")
    except metadata.PackageNotFoundError:
        raise UserError("pyroute2 is not installed: the bundle copies it from this installation") from None
    for item in dist.files or []:
        name = item.as_posix()
        wanted = name.startswith("pyroute2/") and name.endswith(".py")
        info = ".dist-info/" in name and (name.endswith("/METADATA") or "/licenses/" in name)
        if name == "pyroute2/__init__.py":
            yield name, PYROUTE2_INIT
        elif wanted or info:
            yield name, Path(str(item.locate())).read_bytes()


# Compiles what it reads on stdin into unchecked hash-based .pyc files (PEP 552) in a fresh isolated
# interpreter: marshal's output follows reference counts, so compiling in this process would make the
# bytes depend on what it happened to import; a fresh `-I -S` interpreter is the same every time.
_COMPILE = """
import importlib.util, pickle, sys
from importlib._bootstrap_external import _code_to_hash_pyc
out = []
for name, data in pickle.load(sys.stdin.buffer):
    code = compile(data, name, "exec", dont_inherit=True)
    out.append((name + "c", bytes(_code_to_hash_pyc(code, importlib.util.source_hash(data), False))))
pickle.dump(out, sys.stdout.buffer)
"""


def _byte_code(sources: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """module.pyc beside every module.py, for the Python building the bundle.

    A host running the same Python version imports them instead of compiling ~290 modules (0.24 ->
    0.14 CPU s per capture, bench/bundle.py); on any other version zipimport finds the magic number wrong and
    compiles the source, as it would without them (the Python 3.9 test runs that way)."""
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", _COMPILE], input=pickle.dumps(sources),
                          capture_output=True, check=False)
    if proc.returncode != 0:
        raise UserError(f"cannot compile the bundle's modules: {proc.stderr.decode(errors='replace')[-500:]}")
    return list(pickle.loads(proc.stdout))


def bundle_entries() -> list[tuple[str, bytes]]:
    entries = dict(_own_files())
    entries.update(_pyroute2_files())
    entries.update(_byte_code([(name, data) for name, data in entries.items() if name.endswith(".py")]))
    return sorted(entries.items())


def write_bundle(out: Path, entries: list[tuple[str, bytes]] | None = None) -> int:
    """Write the zipapp atomically (mode 0755); returns the number of files inside.

    `entries` replaces bundle_entries() (bench/bundle.py builds the layout without byte code)."""
    entries = bundle_entries() if entries is None else entries
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(SHEBANG)
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
                for name, data in entries:
                    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                    info.external_attr = 0o644 << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(info, data, compresslevel=9)
        os.chmod(tmp, 0o755)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(entries)
