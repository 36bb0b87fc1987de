"""br_netfilter off on a Kubernetes node: bridged pod-to-pod traffic then skips kube-proxy's rules.

A host counts as a Kubernetes node when its role says so or a kubelet runs on it.
"""

from __future__ import annotations

from netstack_docs.analysis.check.builtins.base import Builtin, Problem
from netstack_docs.analysis.check.findings import FAIL, component, host_ref
from netstack_docs.analysis.check.hosts import Host

KEY = "net.bridge.bridge-nf-call-iptables"


def is_kubernetes_node(host: Host) -> bool:
    role = host.role.casefold()
    daemons = {d.get("name") for d in host.doc.get("daemons", [])}
    return "kubernetes" in role or "k8s" in role or "kubelet" in daemons


def _check(host: Host) -> list[Problem]:
    if not is_kubernetes_node(host):
        return []
    root = next(ns for ns in host.namespaces if ns["kind"] == "root") if host.namespaces else None
    if root is None:
        return []
    value = (root.get("sysctls") or {}).get(KEY)
    if value is None:
        return [(FAIL, root["id"], f"{KEY} absent: the br_netfilter module is not loaded", host_ref(KEY))]
    if str(value).strip() != "1":
        ref = component("sysctl", root["id"], {"name": KEY, "value": value}, KEY)
        return [(FAIL, root["id"], f"{KEY} = {value}", ref)]
    return []


BUILTIN = Builtin(
    "br-netfilter-off-k8s",
    "br_netfilter bridge-nf-call-iptables off on a Kubernetes node",
    f"{KEY} = 1 on Kubernetes nodes",
    "netfilter",
    _check,
)
