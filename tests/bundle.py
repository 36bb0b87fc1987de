"""The capture bundle built once per test session into a world-readable directory.

Steps that run as an unprivileged user (setpriv 65534) use it with the system interpreter: that user
may not be able to read the checkout or its venv (a clone under a 0700 directory such as
`mktemp -d` or /root), but it can always read this file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox import SYSTEM_PYTHON

from netstack_docs.bundle.build import write_bundle

# Puts the bundle first on sys.path inside a `$SYSTEM_PYTHON -I -S -` snippet (-I ignores PYTHONPATH).
BUNDLE_PATH_SNIPPET = 'import os, sys; sys.path.insert(0, os.environ["BUNDLE"])\n'


@pytest.fixture(scope="session")
def capture_bundle() -> Iterator[Path]:
    if not os.path.exists(SYSTEM_PYTHON):
        pytest.skip(f"{SYSTEM_PYTHON} not found: the bundle tests run the machine's own interpreter")
    folder = Path(tempfile.mkdtemp(prefix="netstack-bundle-"))
    try:
        folder.chmod(0o755)
        out = folder / "netstack-capture.pyz"
        write_bundle(out)
        yield out
    finally:
        shutil.rmtree(folder, ignore_errors=True)

# Run the rest of the line as nobody, without capabilities, with the system interpreter isolated from
# the environment and site-packages (-I -S): only the bundle ($BUNDLE) provides netstack_docs and pyroute2.
UNPRIVILEGED_PYTHON = (
    "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all "
    "$SYSTEM_PYTHON -I -S"
)
