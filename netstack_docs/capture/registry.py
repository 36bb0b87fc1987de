"""Which collectors run, in order. Adding a family of objects is one module and one line here.

Namespace collectors: `collect(ns: NamespaceCapture) -> None`, run inside the namespace's thread.
Host collectors: `collect(host: HostCapture) -> None`, run once after every namespace is captured.
"""

NAMESPACE_COLLECTORS = [
    "netstack_docs.capture.links",  # first: fills ns.ifnames for the others
    "netstack_docs.capture.addresses",
    "netstack_docs.capture.routes",
    "netstack_docs.capture.neighbours",
    "netstack_docs.capture.tc",
    "netstack_docs.capture.nftables",
    "netstack_docs.capture.sockets",
    "netstack_docs.capture.sysctls",
]

HOST_COLLECTORS = [
    "netstack_docs.capture.hostfacts",
    "netstack_docs.capture.nics",
    "netstack_docs.capture.bpf",
    "netstack_docs.capture.daemons",
    "netstack_docs.capture.ovs",
    "netstack_docs.capture.cni",
]
