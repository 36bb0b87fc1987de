"""NIC facts from the machine's own hardware-backed interfaces (read-only: ethtool queries, no change).

A sandbox has no hardware NIC, so this test reads the NICs of the namespace pytest runs in: it
only asks (ETHTOOL_GDRVINFO, ethtool netlink link modes/rings, feature flags) and enters no
namespace. Skipped where the machine has no interface backed by a device.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netstack_docs.capture import links, netns, nics
from netstack_docs.capture.context import HostCapture, NamespaceCapture, empty_namespace


def test_hardware_nics_get_driver_bus_features_and_rings():
    hardware = sorted(p.parent.name for p in Path("/sys/class/net").glob("*/device"))
    if not hardware:
        pytest.skip("no hardware-backed network interface on this machine")
    ns = NamespaceCapture("root", empty_namespace("root", "root"))
    outcome = netns.run_all([netns.Task("root", None, lambda: links.collect(ns))])["root"]
    assert outcome.error is None
    host = HostCapture({"gaps": []}, [ns], is_root=True)
    nics.collect(host)
    by_name = {link["ifname"]: link for link in ns.doc["links"]}
    for ifname in hardware:
        if by_name[ifname]["kind"] != "device":
            continue
        nic = by_name[ifname]["nic"]
        assert nic["driver"] and nic["bus"]
        assert isinstance(nic["features"], dict) and nic["features"]
        assert all(isinstance(v, bool) for v in nic["features"].values())
        assert set(nic["features_fixed"]) <= set(nic["features"])
        # negotiated with the link partner: state, not configuration
        assert "duplex" not in nic and "speed" not in nic
        assert "duplex" in ns.state["links"][ifname]["nic"]
    assert all(link.get("nic") is None for link in ns.doc["links"] if link["kind"] != "device")
