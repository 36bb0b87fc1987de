"""Host collector: which network-managing daemons run, and the names of the config files they read.

A daemon is recognised by its command name (/proc/<pid>/comm, which the kernel cuts to 15
characters) or its executable's basename. Config files are found by globbing each daemon's
known paths: only the NAMES are recorded, never contents; cmdline and environ are never read.
A daemon that is not running but whose own config files exist is listed too, with running=false:
a leftover /etc/netplan or a stopped NetworkManager with connection profiles is worth knowing.
Files that prove nothing about one daemon do not count as evidence that it is installed: the CNI
directory (shared by every CNI plugin and runtime) and stock files every systemd host ships.
Netplan, ifupdown and the nftables service are configuration only (they apply config and exit):
listed whenever their files exist, with running=null. Pids are volatile: they go to state.
"""

from __future__ import annotations

import glob
import os
from typing import Any

from netstack_docs.capture.context import HostCapture

CNI = ["/etc/cni/net.d/*"]
# Present on hosts that never used the daemon: listed for a running daemon, not evidence of an installed one.
NOT_EVIDENCE = {*CNI, "/etc/systemd/networkd.conf", "/etc/systemd/resolved.conf"}

# name -> (command names / executable basenames, config globs). Empty commands: config only.
DAEMONS: dict[str, tuple[tuple[str, ...], list[str]]] = {
    "NetworkManager": (("NetworkManager",), [
        "/etc/NetworkManager/NetworkManager.conf", "/etc/NetworkManager/conf.d/*",
        "/etc/NetworkManager/system-connections/*", "/run/NetworkManager/system-connections/*"]),
    "systemd-networkd": (("systemd-networkd",), [
        "/etc/systemd/networkd.conf", "/etc/systemd/networkd.conf.d/*", "/etc/systemd/network/*",
        "/run/systemd/network/*"]),
    "systemd-resolved": (("systemd-resolved",), [
        "/etc/systemd/resolved.conf", "/etc/systemd/resolved.conf.d/*"]),
    "netplan": ((), ["/etc/netplan/*.yaml", "/run/netplan/*.yaml", "/lib/netplan/*.yaml"]),
    "ifupdown": ((), ["/etc/network/interfaces", "/etc/network/interfaces.d/*"]),
    "dhclient": (("dhclient",), ["/etc/dhcp/dhclient.conf"]),
    "dhcpcd": (("dhcpcd",), ["/etc/dhcpcd.conf"]),
    "dnsmasq": (("dnsmasq",), ["/etc/dnsmasq.conf", "/etc/dnsmasq.d/*"]),
    "dockerd": (("dockerd",), ["/etc/docker/daemon.json"]),
    "containerd": (("containerd",), ["/etc/containerd/config.toml", *CNI]),
    "kubelet": (("kubelet",), ["/var/lib/kubelet/config.yaml", "/etc/kubernetes/kubelet.conf", *CNI]),
    "kube-proxy": (("kube-proxy",), ["/var/lib/kube-proxy/*"]),
    "flanneld": (("flanneld",), ["/run/flannel/subnet.env", "/etc/kube-flannel/*", *CNI]),
    "cilium-agent": (("cilium-agent",), ["/etc/cilium/*", *CNI]),
    "calico-node": (("calico-node",), ["/etc/calico/*", *CNI]),
    "wpa_supplicant": (("wpa_supplicant",), ["/etc/wpa_supplicant/*"]),
    "iwd": (("iwd",), ["/etc/iwd/*"]),
    "frr": (("watchfrr", "zebra", "bgpd", "ospfd", "ospf6d", "isisd", "staticd", "bfdd"), ["/etc/frr/*"]),
    "bird": (("bird", "bird6"), ["/etc/bird.conf", "/etc/bird/*"]),
    "keepalived": (("keepalived",), ["/etc/keepalived/*"]),
    "openvswitch": (("ovs-vswitchd", "ovsdb-server"), ["/etc/openvswitch/*"]),
    "firewalld": (("firewalld",), ["/etc/firewalld/*.conf", "/etc/firewalld/zones/*"]),
    "nftables": ((), ["/etc/nftables.conf", "/etc/nftables.d/*"]),
    "radvd": (("radvd",), ["/etc/radvd.conf"]),
    "tailscaled": (("tailscaled",), ["/etc/default/tailscaled"]),
}

_BY_COMMAND = {cmd[:15]: name for name, (cmds, _) in DAEMONS.items() for cmd in cmds} | {
    cmd: name for name, (cmds, _) in DAEMONS.items() for cmd in cmds}


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().rstrip("\n")
    except OSError:
        return None


def running(proc: str = "/proc") -> dict[str, list[int]]:
    """Known daemon name -> pids, from comm (or the executable's basename when comm is renamed)."""
    found: dict[str, list[int]] = {}
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        name = _BY_COMMAND.get(_read(f"{proc}/{pid}/comm") or "")
        if name is None:
            try:
                exe = os.readlink(f"{proc}/{pid}/exe").removesuffix(" (deleted)")
            except OSError:
                exe = ""  # kernel thread, exited, or not ours to read
            name = _BY_COMMAND.get(os.path.basename(exe))
        if name is not None:
            found.setdefault(name, []).append(int(pid))
    return found


def config_files(patterns: list[str]) -> list[str]:
    """Existing files matching the globs, sorted; names only (nothing is opened)."""
    files = {path for pattern in patterns for path in glob.glob(pattern) if not os.path.isdir(path)}
    return sorted(files)


def collect(host: HostCapture) -> None:
    try:
        pids = running()
    except OSError as exc:
        host.gap("daemons", f"cannot list /proc: {exc.strerror or exc}")
        pids = {}
    daemons: list[dict[str, Any]] = []
    for name, (cmds, patterns) in sorted(DAEMONS.items(), key=lambda item: item[0].lower()):
        files = config_files(patterns)
        installed = bool(config_files([p for p in patterns if p not in NOT_EVIDENCE]))
        if name in pids or installed:
            state = (name in pids) if cmds else None
            daemons.append({"name": name, "running": state, "config_files": files})
    host.doc["daemons"] = daemons
    host.doc.setdefault("state", {})["daemons"] = {name: sorted(p) for name, p in sorted(pids.items())}
