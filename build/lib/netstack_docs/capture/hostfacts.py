"""Host facts: node name, kernel, OS (/etc/os-release), machine, and the versions of the tools used."""

from __future__ import annotations

import os
import platform
import shlex
import socket
from importlib import metadata
from pathlib import Path

from netstack_docs.capture.context import HostCapture

OS_RELEASE = ["/etc/os-release", "/usr/lib/os-release"]


def os_release() -> str | None:
    """PRETTY_NAME (or NAME VERSION_ID) from os-release, as the distribution spells it."""
    for path in OS_RELEASE:
        try:
            text = Path(path).read_text(errors="replace")
        except OSError:
            continue
        fields: dict[str, str] = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip():
                try:
                    fields[key.strip()] = " ".join(shlex.split(value))
                except ValueError:
                    fields[key.strip()] = value.strip().strip("\"'")
        if fields.get("PRETTY_NAME"):
            return fields["PRETTY_NAME"]
        name = " ".join(x for x in (fields.get("NAME"), fields.get("VERSION_ID")) if x)
        return name or None
    return None


def collect(host: HostCapture) -> None:
    uname = os.uname()
    facts = host.doc["host"]
    facts["kernel"] = uname.release
    facts["kernel_version"] = uname.version
    facts["machine"] = uname.machine
    facts["node_name"] = socket.gethostname()
    facts["os"] = os_release()
    if facts["os"] is None:
        host.gap("host os", "no readable /etc/os-release or /usr/lib/os-release")
    tools = host.doc["meta"].setdefault("tools", {})
    tools["python"] = platform.python_version()
    try:
        tools["pyroute2"] = metadata.version("pyroute2")
    except metadata.PackageNotFoundError:
        host.gap("tool versions", "pyroute2 distribution metadata not found")
