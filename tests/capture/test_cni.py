"""CNI configurations are captured through an allowlist: network fields kept, anything else by name."""

from __future__ import annotations

import json
from pathlib import Path

from snapdoc import full_document, validated

from netstack_docs.capture import cni
from netstack_docs.capture.context import HostCapture, empty_namespace

FLANNEL = {
    "name": "cbr0",
    "cniVersion": "0.3.1",
    "kubeconfig": "FAKE-SECRET-CNI-TOP-4242",
    "plugins": [
        {
            "type": "flannel",
            "delegate": {
                "hairpinMode": True,
                "isDefaultGateway": True,
                "token": "FAKE-SECRET-CNI-DELEGATE-4242",
            },
        },
        {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True},
    ],
}
BRIDGE = {
    "cniVersion": "1.0.0",
    "name": "pods",
    "type": "bridge",
    "bridge": "cni0",
    "isGateway": True,
    "ipMasq": True,
    "mtu": 1450,
    "auth": {"password": "FAKE-SECRET-CNI-AUTH-4242"},
    "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "10.244.1.0/24", "gateway": "10.244.1.1"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "/var/lib/cni/secret-FAKE-SECRET-CNI-DIR-4242",
    },
}


def _capture(directory: Path, flannel_file: Path | None = None) -> dict:
    doc: dict = {"state": {}, "gaps": []}
    subnet_file = flannel_file or directory / "no-flannel-here"
    cni.collect(HostCapture(doc, [], True), str(directory), str(subnet_file))
    return doc


def test_cni_networks_keep_allowlisted_fields_and_name_the_rest(tmp_path):
    (tmp_path / "10-flannel.conflist").write_text(json.dumps(FLANNEL))
    (tmp_path / "20-pods.conf").write_text(json.dumps(BRIDGE))
    (tmp_path / "30-broken.conf").write_text('{"name": "FAKE-SECRET-CNI-BROKEN-4242", ')
    (tmp_path / "README").write_text("not a CNI file")
    doc = _capture(tmp_path)
    assert "FAKE-SECRET" not in json.dumps(doc)
    flannel, pods = doc["cni"]["networks"]
    assert (flannel["name"], flannel["format"], flannel["cniVersion"]) == ("cbr0", "conflist", "0.3.1")
    assert flannel["plugins"] == [
        {"type": "flannel", "delegate": {"hairpinMode": True, "isDefaultGateway": True}},
        {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True},
    ]
    assert flannel["other_fields"] == ["kubeconfig", "plugins[0].delegate.token"]
    assert (pods["name"], pods["format"]) == ("pods", "conf")
    plugin = pods["plugins"][0]
    assert (plugin["type"], plugin["bridge"], plugin["isGateway"], plugin["ipMasq"], plugin["mtu"]) == (
        "bridge",
        "cni0",
        True,
        True,
        1450,
    )
    assert plugin["ipam"] == {
        "type": "host-local",
        "routes": [{"dst": "0.0.0.0/0"}],
        "ranges": [[{"subnet": "10.244.1.0/24", "gateway": "10.244.1.1"}]],
    }
    assert pods["other_fields"] == ["auth", "ipam.dataDir"]
    # The broken file is a gap naming it (and where it broke), not its content; the others still count.
    assert [g["what"] for g in doc["gaps"]] == [
        f"cni config {tmp_path}/30-broken.conf",
        f"cni flannel subnet file {tmp_path}/no-flannel-here",  # flannel is in effect, flanneld is not
    ]
    assert "not valid JSON" in doc["gaps"][0]["reason"]
    assert doc["gaps"][1]["reason"] == "not present (flanneld has not written it)"
    validated(full_document([empty_namespace("root", "root")], cni=doc["cni"], gaps=doc["gaps"]))


def test_no_cni_directory_means_no_section(tmp_path):
    assert _capture(tmp_path / "absent") == {"state": {}, "gaps": []}


SUBNET_ENV = """FLANNEL_NETWORK=10.244.0.0/16
FLANNEL_SUBNET=10.244.1.1/24
FLANNEL_MTU=1450
FLANNEL_IPMASQ=true
FLANNEL_SECRET_THING=FAKE-SECRET-FLANNEL-4242
"""


def test_flannels_subnet_env_is_read_through_an_allowlist(tmp_path):
    (tmp_path / "10-flannel.conflist").write_text(json.dumps(FLANNEL))
    (tmp_path / "subnet.env").write_text(SUBNET_ENV)
    doc = _capture(tmp_path, tmp_path / "subnet.env")
    assert "FAKE-SECRET" not in json.dumps(doc) and doc["gaps"] == []
    assert doc["cni"]["flannel"] == {
        "file": f"{tmp_path}/subnet.env",
        "network": "10.244.0.0/16",
        "subnet": "10.244.1.1/24",
        "mtu": 1450,
        "ipmasq": True,
        "other_fields": ["FLANNEL_SECRET_THING"],
    }
    validated(full_document([empty_namespace("root", "root")], cni=doc["cni"], gaps=doc["gaps"]))


def test_the_flannel_plugins_own_subnet_file_is_read_and_no_flannel_means_no_file(tmp_path):
    conf = json.loads(json.dumps(FLANNEL))
    conf["plugins"][0]["subnetFile"] = str(tmp_path / "elsewhere.env")
    (tmp_path / "10-flannel.conflist").write_text(json.dumps(conf))
    (tmp_path / "elsewhere.env").write_text("FLANNEL_MTU=1400\nFLANNEL_IPMASQ=false\n")
    doc = _capture(tmp_path)
    assert doc["cni"]["flannel"]["mtu"] == 1400 and doc["cni"]["flannel"]["ipmasq"] is False
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "20-pods.conf").write_text(json.dumps(BRIDGE))
    (plain / "subnet.env").write_text(SUBNET_ENV)
    doc = _capture(plain, plain / "subnet.env")
    assert "flannel" not in doc["cni"] and doc["gaps"] == []
