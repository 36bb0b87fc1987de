"""The installed capture imports pyroute2's modules without pyroute2's every-API package __init__,
and code that wants the full API in the same process still gets it."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = r"""
import json, sys
import netstack_docs.capture.rtnl, netstack_docs.capture.links, netstack_docs.capture.tc
lean = sorted(m for m in ("pyroute2.ipdb", "pyroute2.ndb", "pyroute2.iproute", "pyroute2.conntrack")
              if m in sys.modules)
import pyroute2
version = pyroute2.__version__
from pyroute2 import config  # a submodule named through the package
from pyroute2 import IPRoute  # the full API: pyroute2's own __init__ runs now
full = sorted(m for m in ("pyroute2.ipdb", "pyroute2.ndb", "pyroute2.iproute") if m in sys.modules)
print(json.dumps({"lean": lean, "full": full, "version": version, "config": config.__name__,
                  "iproute": IPRoute.__name__, "ndb": hasattr(pyroute2, "NDB")}))
"""


def test_capture_modules_skip_pyroute2s_package_init_and_the_full_api_still_loads_on_demand():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert got["lean"] == []  # none of what pyroute2/__init__.py imports
    assert got["version"] not in ("", "unknown")
    assert got["config"] == "pyroute2.config"
    assert got["iproute"] == "IPRoute" and got["ndb"] is True
    assert got["full"] == ["pyroute2.ipdb", "pyroute2.iproute", "pyroute2.ndb"]
