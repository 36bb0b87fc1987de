"""Sysctls that shape one namespace's stack: /proc/sys read in the namespace's thread, plus netlink devconf.

/proc/sys/net resolves against the reading thread's network namespace, so the namespace worker
thread reads its own values. Per-interface settings (net.ipv4.conf.<ifname>.rp_filter, ...) come
from the link dump's IFLA_AF_SPEC instead: the same numbers the files hold, without hundreds of
file reads per namespace. Keys use sysctl's dotted names; a '.' inside an interface name becomes
'/' as `sysctl` writes it. A sysctl this kernel lacks (module not loaded, or one that exists only
in the initial namespace such as net.core.default_qdisc) is simply absent.
"""

from __future__ import annotations

import os

from netstack_docs.capture.context import NamespaceCapture

GLOBAL = [
    "net.ipv4.ip_forward", "net.ipv4.ip_local_port_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.ip_nonlocal_bind", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ping_group_range",
    "net.ipv4.ip_default_ttl", "net.ipv4.ip_no_pmtu_disc", "net.ipv4.fib_multipath_hash_policy",
    "net.ipv4.tcp_congestion_control", "net.ipv4.tcp_available_congestion_control", "net.ipv4.tcp_syncookies",
    "net.ipv4.tcp_ecn", "net.ipv4.tcp_mtu_probing", "net.ipv4.tcp_timestamps", "net.ipv4.tcp_sack",
    "net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.ipv4.tcp_fastopen", "net.ipv4.tcp_max_syn_backlog",
    "net.ipv4.icmp_echo_ignore_all", "net.ipv4.icmp_echo_ignore_broadcasts",
    "net.ipv4.neigh.default.gc_thresh1", "net.ipv4.neigh.default.gc_thresh2",
    "net.ipv4.neigh.default.gc_thresh3", "net.ipv6.neigh.default.gc_thresh3", "net.ipv6.route.max_size",
    "net.core.default_qdisc", "net.core.somaxconn", "net.core.rmem_max", "net.core.wmem_max",
    "net.core.rmem_default", "net.core.wmem_default", "net.core.netdev_max_backlog",
    "net.core.bpf_jit_enable", "net.unix.max_dgram_qlen",
    "net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_tcp_timeout_established",
    "net.netfilter.nf_conntrack_buckets", "net.nf_conntrack_max",
    "net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables",
    "net.bridge.bridge-nf-call-arptables",
]
IPV4_CONF = ["forwarding", "rp_filter", "proxy_arp", "arp_ignore", "arp_announce", "arp_filter",
             "accept_redirects", "send_redirects", "accept_source_route", "accept_local", "log_martians",
             "route_localnet", "src_valid_mark"]
IPV6_CONF = ["forwarding", "accept_ra", "autoconf", "disable_ipv6", "accept_redirects", "use_tempaddr",
             "addr_gen_mode", "accept_dad"]
# pyroute2's names for the devconf fields whose sysctl name differs
DEVCONF_NAMES = {"arp_filter": "arpfilter", "src_valid_mark": "src_vmark"}


class _Dirs:
    """Open each /proc/sys directory once and read its files relative to it (one path walk, not many)."""

    def __init__(self) -> None:
        self.fds: dict[str, int | None] = {}

    def read(self, directory: str, name: str) -> str | None:
        if directory not in self.fds:
            try:
                flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
                self.fds[directory] = os.open(f"/proc/sys/{directory}", flags)
            except OSError:
                self.fds[directory] = None
        dir_fd = self.fds[directory]
        if dir_fd is None:
            return None
        try:
            fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
        except OSError:
            return None
        try:
            return " ".join(os.read(fd, 4096).decode(errors="replace").split())
        except OSError:
            return None
        finally:
            os.close(fd)

    def close(self) -> None:
        for fd in self.fds.values():
            if fd is not None:
                os.close(fd)


def read_files(devices: list[str]) -> dict[str, str]:
    """The listed global sysctls and the conf of `devices` (all/default), for the calling thread's netns."""
    values: dict[str, str] = {}
    dirs = _Dirs()
    try:
        for key in GLOBAL:
            directory, _, name = key.replace(".", "/").rpartition("/")
            value = dirs.read(directory, name)
            if value is not None:
                values[key] = value
        for family, names in (("ipv4", IPV4_CONF), ("ipv6", IPV6_CONF)):
            for device in devices:
                for name in names:
                    value = dirs.read(f"net/{family}/conf/{device}", name)
                    if value is not None:
                        values[f"net.{family}.conf.{device.replace('.', '/')}.{name}"] = value
    finally:
        dirs.close()
    return values


def from_devconf(devconf: dict[str, dict[str, dict[str, int]]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for ifname, families in devconf.items():
        for family, names in (("ipv4", IPV4_CONF), ("ipv6", IPV6_CONF)):
            conf = families.get(family, {})
            for name in names:
                value = conf.get(DEVCONF_NAMES.get(name, name))
                if value is not None:
                    values[f"net.{family}.conf.{ifname.replace('.', '/')}.{name}"] = str(value)
    return values


def collect(ns: NamespaceCapture) -> None:
    if not os.path.isdir("/proc/sys/net"):
        ns.gap("sysctls", "/proc/sys/net is not mounted here")
        return
    values = read_files(["all", "default"])
    if ns.devconf:
        values.update(from_devconf(ns.devconf))
    else:  # no link dump to read from: fall back to the files
        values.update(read_files(sorted(set(ns.ifnames.values()))))
    ns.doc["sysctls"] = dict(sorted(values.items()))
