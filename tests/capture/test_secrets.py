"""Planted fake secrets never reach a snapshot: config file contents, daemon argv and environment."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sandbox import REPO, run_in_sandbox
from snapdoc import validated

# A fake NetworkManager profile, a fake wireguard netdev and a fake docker config, bind-mounted over
# the real directories in the sandbox; and a process named like a managed daemon (wpa_supplicant)
# whose argv and environment hold secrets, and which owns a listening socket (so the socket
# collector looks at it too).
SCRIPT = r"""
secrets=$(mktemp -d)
mkdir -p $secrets/nm $secrets/networkd $secrets/docker
printf '[wifi-security]\nkey-mgmt=wpa-psk\npsk=FAKE-SECRET-NM-PSK-4242\n' > $secrets/nm/home-wifi.nmconnection
printf '[WireGuard]\nPrivateKey=FAKE-SECRET-WG-KEY-4242\n' > $secrets/networkd/wg0.netdev
printf '{"registry-mirrors": ["https://user:FAKE-SECRET-DOCKER-4242@mirror"]}' > $secrets/docker/daemon.json
mkdir -p /etc/NetworkManager/system-connections /etc/systemd/network /etc/docker
mount --bind $secrets/nm /etc/NetworkManager/system-connections
mount --bind $secrets/networkd /etc/systemd/network
mount --bind $secrets/docker /etc/docker
cat > /tmp/daemon.py <<'PY'
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"wpa_supplicant", 0, 0, 0)
s = socket.socket(); s.bind(("127.0.0.1", 7777)); s.listen()
print("ok", flush=True); time.sleep(60)
PY
env WPA_PASSPHRASE=FAKE-SECRET-ENV-4242 $PYTHON /tmp/daemon.py --password=FAKE-SECRET-ARGV-4242 > /tmp/up &
for i in $(seq 300); do grep -q ok /tmp/up && break; sleep 0.1; done
$PYTHON -m netstack_docs capture --env test --host sbx --out /tmp/plain.json -q
$PYTHON -m netstack_docs capture --env test --host sbx --out /tmp/red.json --redact --redact-key /tmp/key -q
cat /tmp/plain.json; echo '=====' ; cat /tmp/red.json
"""


def test_planted_secrets_never_enter_the_snapshot():
    plain, red = run_in_sandbox(SCRIPT).stdout.split("=====\n")
    for text in (plain, red):
        for secret in ("FAKE-SECRET", "NM-PSK", "WG-KEY", "DOCKER-4242", "ENV-4242", "ARGV-4242", "password"):
            assert secret not in text
    doc = validated(json.loads(plain))
    daemons = {d["name"]: d for d in doc["daemons"]}
    # The check bites: the daemon and the files holding the secrets were seen, by name only.
    assert daemons["wpa_supplicant"]["running"] is True
    profile = "/etc/NetworkManager/system-connections/home-wifi.nmconnection"
    assert daemons["NetworkManager"]["config_files"] == [profile]
    assert "/etc/systemd/network/wg0.netdev" in daemons["systemd-networkd"]["config_files"]
    assert daemons["dockerd"]["config_files"] == ["/etc/docker/daemon.json"]
    root = next(ns for ns in doc["namespaces"] if ns["id"] == "root")
    assert {(s["port"], s["process"]) for s in root["sockets"]["listening"]} == {(7777, "wpa_supplicant")}
    validated(json.loads(red))


def test_no_capture_module_reads_command_lines_or_environments():
    # Static guard next to the dynamic proof above: a new collector must not start reading them.
    offenders = []
    for path in sorted((REPO / "netstack_docs" / "capture").glob("*.py")):
        source = Path(path).read_text()
        for pattern in (r"/cmdline\b", r"/environ\b", r"\bos\.environ\b", r"\bgetenv\("):
            if re.search(pattern, source):
                offenders.append(f"{path.name}: {pattern}")
    assert offenders == []
