"""Which collectors run, in order. Adding a family of objects is one module and one line here.

Namespace collectors: `collect(ns: NamespaceCapture) -> None`, run inside the namespace's thread.
Host collectors: `collect(host: HostCapture) -> None`, run once after every namespace is captured.
"""

NAMESPACE_COLLECTORS = [
    "generator.capture.links",  # first: fills ns.ifnames for the others
    "generator.capture.addresses",
    "generator.capture.routes",
    "generator.capture.neighbours",
    "generator.capture.tc",
    "generator.capture.nftables",
    "generator.capture.sockets",
    "generator.capture.sysctls",
]

HOST_COLLECTORS = [
    "generator.capture.hostfacts",
    "generator.capture.nics",
    "generator.capture.bpf",
    "generator.capture.daemons",
]
