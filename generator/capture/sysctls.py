"""Sysctls that shape one namespace's stack, read from /proc/sys in the namespace's own thread.

/proc/sys/net resolves against the reading thread's network namespace, so the namespace worker
thread reads its own values. Keys use sysctl's dotted names; a '.' inside an interface name
becomes '/' as `sysctl` writes it. A sysctl this kernel lacks (module not loaded) is simply absent.
"""

from __future__ import annotations

from pathlib import Path

from generator.capture.context import NamespaceCapture

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
    "net.ipv4.neigh.default.gc_thresh3",
    "net.ipv6.neigh.default.gc_thresh3", "net.ipv6.route.max_size",
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
             "route_localnet"]
IPV6_CONF = ["forwarding", "accept_ra", "autoconf", "disable_ipv6", "accept_redirects", "use_tempaddr",
             "addr_gen_mode", "accept_dad"]


def _read(path: str) -> str | None:
    try:
        return " ".join(Path("/proc/sys", path).read_text().split())
    except OSError:
        return None


def read_all(ifnames: list[str]) -> dict[str, str]:
    """Every listed sysctl this kernel has, for the calling thread's namespace."""
    values: dict[str, str] = {}
    for key in GLOBAL:
        value = _read(key.replace(".", "/"))
        if value is not None:
            values[key] = value
    for family, names in (("ipv4", IPV4_CONF), ("ipv6", IPV6_CONF)):
        for device in ["all", "default", *ifnames]:
            for name in names:
                path = f"net/{family}/conf/{device}/{name}"
                value = _read(path)
                if value is not None:
                    values[f"net.{family}.conf.{device.replace('.', '/')}.{name}"] = value
    return dict(sorted(values.items()))


def collect(ns: NamespaceCapture) -> None:
    if not Path("/proc/sys/net").is_dir():
        ns.gap("sysctls", "/proc/sys/net is not mounted here")
        return
    ns.doc["sysctls"] = read_all(sorted(set(ns.ifnames.values())))
