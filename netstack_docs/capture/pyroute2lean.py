"""Import pyroute2's modules without running its package __init__, which imports every pyroute2 API.

pyroute2/__init__.py imports IPDB, NDB, conntrack, nl80211 and the rest (0.15-0.3 s, a tenth of a
200-namespace capture); the capture imports the modules it uses by their full names
(pyroute2.netlink.rtnl...), as the bundle does with its lean package __init__
(netstack_docs.bundle.build). `use_lean_package` puts the package in place without running that
file; the first attribute the package itself lacks (`from pyroute2 import IPRoute` elsewhere in the
same process) runs pyroute2's own __init__ then, so nothing that expects the full API breaks.
Standard library only, Python 3.9+.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any


def use_lean_package() -> None:
    """Register the pyroute2 package without executing its __init__ (nothing if already imported)."""
    if "pyroute2" in sys.modules:
        return
    spec = importlib.util.find_spec("pyroute2")
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not installed as a package: the import that follows reports it
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def complete(name: str) -> Any:
        """A submodule (`from pyroute2 import config`) is imported; anything else the lean package
        lacks runs pyroute2's own __init__ now, once, and is looked up again."""
        if name.startswith("__") and name != "__all__":
            raise AttributeError(f"module 'pyroute2' has no attribute {name!r}")
        try:
            return importlib.import_module(f"pyroute2.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pyroute2.{name}":
                raise
        if module.__dict__.pop("__getattr__", None) is not None:
            loader.exec_module(module)
        return getattr(module, name)

    module.__dict__["__getattr__"] = complete
    sys.modules["pyroute2"] = module
    try:
        from pyroute2.config.version import __version__
    except ImportError:
        __version__ = "unknown"
    module.__dict__["__version__"] = __version__
