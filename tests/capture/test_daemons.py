"""Network-managing daemons recognised from real processes, with config file names from planted files."""

from __future__ import annotations

import json

from sandbox import run_in_sandbox
from snapdoc import full_document, validated

from netstack_docs.capture.context import empty_namespace

SCRIPT = r'''
bin=$(mktemp -d)
cp /bin/sleep "$bin/systemd-networkd"; cp /bin/sleep "$bin/dockerd"
# Start from empty config directories whatever this machine has (the sandbox's mounts are private).
for d in /etc/systemd /etc/netplan /etc/NetworkManager /etc/docker /etc/network /etc/cni; do
  mkdir -p $d; mount -t tmpfs tmpfs $d
done
mkdir -p /etc/systemd/network /etc/NetworkManager/system-connections
echo '[Match]' > '/etc/systemd/network/10-uplink|<b>.network'
echo '[Link]' > /etc/systemd/network/20-lan.link
echo 'network: {}' > /etc/netplan/01-netcfg.yaml
echo '[wifi-security]' > /etc/NetworkManager/system-connections/home.nmconnection
mkdir -p /etc/cni/net.d; echo '{}' > /etc/cni/net.d/10-flannel.conflist
echo '[Network]' > /etc/systemd/resolved.conf
"$bin/systemd-networkd" 60 & "$bin/dockerd" 60 &
sleep 0.2
$PYTHON - <<'PY'
import json
from netstack_docs.capture.context import HostCapture
from netstack_docs.capture import daemons
doc = {"daemons": [], "state": {}, "gaps": []}
daemons.collect(HostCapture(doc, [], True))
print(json.dumps(doc))
PY
'''


def test_running_daemons_and_their_config_file_names_are_found():
    doc = json.loads(run_in_sandbox(SCRIPT).stdout.strip().splitlines()[-1])
    found = {d["name"]: d for d in doc["daemons"]}
    # comm is cut to 15 characters ("systemd-network"): still recognised.
    assert found["systemd-networkd"] == {"name": "systemd-networkd", "running": True, "config_files": [
        "/etc/systemd/network/10-uplink|<b>.network", "/etc/systemd/network/20-lan.link"]}
    assert found["dockerd"]["running"] is True
    netplan = {"name": "netplan", "running": None, "config_files": ["/etc/netplan/01-netcfg.yaml"]}
    assert found["netplan"] == netplan
    # Installed (has config) but not running.
    assert found["NetworkManager"]["running"] is False
    nm_files = found["NetworkManager"]["config_files"]
    assert nm_files == ["/etc/NetworkManager/system-connections/home.nmconnection"]
    assert len(doc["state"]["daemons"]["systemd-networkd"]) == 1
    assert "kubelet" not in found  # neither running nor configured
    # The shared CNI directory and stock systemd files do not make a daemon "installed".
    assert not {"cilium-agent", "calico-node", "flanneld", "systemd-resolved"} & set(found)
    assert [d["name"].lower() for d in doc["daemons"]] == sorted(d["name"].lower() for d in doc["daemons"])
    validated(full_document([empty_namespace("root", "root")], daemons=doc["daemons"], state=doc["state"]))
