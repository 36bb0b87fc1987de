"""Whether reading something would make the kernel load a module: capture only observes.

Some netlink requests make a modular kernel call modprobe when their module is not loaded yet
(opening an nfnetlink socket loads nf_tables; a sock_diag dump for AF_INET loads inet_diag,
tcp_diag and udp_diag). Collectors ask here first and record a gap instead of loading anything.
"""

from __future__ import annotations

import os
from collections.abc import Iterable


def modules_available(needed: Iterable[str], proc_modules: str = "/proc/modules", release: str | None = None,
                      sys_module: str = "/sys/module") -> bool:
    """True when every module in `needed` is loaded or built in, or the kernel cannot load modules."""
    if not os.path.exists(proc_modules):
        return True  # CONFIG_MODULES=n: nothing can be loaded; the feature is built in or absent
    try:
        with open(proc_modules) as fh:
            loaded = {line.split(" ", 1)[0] for line in fh}
    except OSError:
        return False  # cannot tell: do not risk a modprobe
    builtin: set[str] = set()
    release = release or os.uname().release
    try:
        with open(f"/lib/modules/{release}/modules.builtin") as fh:
            builtin = {os.path.basename(line.strip()).removesuffix(".ko") for line in fh}
    except OSError:
        pass
    return all(m in loaded or m in builtin or os.path.isdir(f"{sys_module}/{m}") for m in needed)


def missing_reason(needed: Iterable[str]) -> str:
    return (f"not read: it would make the kernel load {', '.join(needed)} (capture loads no module; "
            "run `modprobe` yourself or capture where they are loaded)")
