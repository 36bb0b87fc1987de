"""Physical NICs in every namespace: driver, firmware, bus, speed/duplex, offload features, ring sizes.

A NIC is a link of kind `device` backed by hardware. In the capturing process's own namespace
that is a /sys/class/net/<ifname>/device entry; sysfs shows only the namespace it was mounted in,
so elsewhere a non-empty ETHTOOL_GDRVINFO bus_info decides. Driver facts come from the
ETHTOOL_GDRVINFO ioctl (ethtool netlink has no driver message); link modes and rings from
ethtool netlink through pyroute2 (it falls back to ioctls itself); features from pyroute2's ioctls.
Each NIC is asked from a thread inside its namespace (the sockets belong to that namespace).
The negotiated speed and duplex follow the cable and the switch port: they go to the link's state.
"""

from __future__ import annotations

import ctypes
import fcntl
import socket
import struct
from pathlib import Path
from typing import Any

from netstack_docs.capture import netns
from netstack_docs.capture.context import HostCapture, NamespaceCapture

SIOCETHTOOL = 0x8946
ETHTOOL_GDRVINFO = 0x00000003


def drvinfo(ifname: str) -> dict[str, str]:
    """struct ethtool_drvinfo: cmd, then driver/version/fw_version/bus_info (32 bytes each)."""
    buf = ctypes.create_string_buffer(struct.pack("=I", ETHTOOL_GDRVINFO) + bytes(192))
    ifreq = struct.pack("16sP", ifname.encode()[:15], ctypes.addressof(buf))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock, SIOCETHTOOL, ifreq)
    fields = struct.unpack_from("=32s32s32s32s", buf.raw, 4)
    names = ("driver", "driver_version", "firmware", "bus")
    values = [value.split(b"\0", 1)[0].decode(errors="replace") for value in fields]
    return dict(zip(names, values))  # four fields, four names (no zip(strict=): Python 3.9)


def describe(ifname: str, ethtool: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Everything ethtool says about one NIC, and what it could not say."""
    nic: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    try:
        nic.update(drvinfo(ifname))
    except OSError as exc:
        problems.append(("driver info", exc.strerror or str(exc)))
    try:
        mode = ethtool.get_link_mode(ifname)
        nic.update({"speed": mode.speed, "duplex": mode.duplex, "autoneg": mode.autoneg})
    except Exception as exc:  # noqa: BLE001 - drivers refuse link modes in many ways
        problems.append(("link modes", f"{type(exc).__name__}: {exc}"))
    try:
        features = ethtool.get_features(ifname).features
        nic["features"] = {name: bool(f.enable) for name, f in sorted(features.items()) if name}
        nic["features_fixed"] = sorted(name for name, f in features.items() if name and not f.available)
    except Exception as exc:  # noqa: BLE001
        problems.append(("offload features", f"{type(exc).__name__}: {exc}"))
    try:
        rings = ethtool.get_rings(ifname)
        nic["rings"] = {k: v for k, v in rings._asdict().items() if v is not None}
    except Exception as exc:  # noqa: BLE001
        problems.append(("ring sizes", f"{type(exc).__name__}: {exc}"))
    return nic, problems


RUNNING = ("speed", "duplex")  # negotiated with the link partner: a pulled cable changes them


def running(nic: dict[str, Any]) -> dict[str, Any]:
    """Take the negotiated (running) values out of a NIC's description: they are state, not configuration."""
    return {key: nic.pop(key) for key in RUNNING if key in nic}


def _capture(cap: NamespaceCapture, root: bool) -> list[tuple[str, str]]:
    from pyroute2.ethtool import Ethtool

    problems = []
    devices = [link for link in cap.doc["links"] if link["kind"] == "device"]
    with Ethtool() as ethtool:
        for link in devices:
            if root and not Path(f"/sys/class/net/{link['ifname']}/device").exists():
                continue
            nic, issues = describe(link["ifname"], ethtool)
            if not root and not nic.get("bus"):
                continue  # a virtual device without IFLA_INFO_KIND (not a NIC)
            negotiated = running(nic)
            link["nic"] = nic
            if negotiated:
                cap.state.setdefault("links", {}).setdefault(link["ifname"], {})["nic"] = negotiated
            problems += [(f"nic {link['ifname']}: {what}", why) for what, why in issues]
    return problems


def _bind(cap: NamespaceCapture, root: bool) -> Any:
    return lambda: _capture(cap, root)


def collect(host: HostCapture) -> None:
    tasks = []
    for cap in host.namespaces:
        if not any(link["kind"] == "device" for link in cap.doc["links"]):
            continue
        path = None if cap.doc["kind"] == "root" else cap.doc.get("path")
        tasks.append(netns.Task(cap.id, path, _bind(cap, path is None)))
    for key, outcome in sorted(netns.run_all(tasks, workers=2, timeout=30).items()):
        if outcome.timed_out:
            host.gap("nics", "ethtool did not answer within 30 s", key)
        elif outcome.error is not None:
            host.gap("nics", f"{type(outcome.error).__name__}: {outcome.error}", key)
        else:
            for what, why in outcome.value:
                host.gap(what, why, key)
