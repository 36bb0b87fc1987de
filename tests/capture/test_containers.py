"""Container namespaces are named after what runs in them, from Docker's and containerd's own files.

The runtimes are not installed here: the test lays out the files they write (Docker's
config.v2.json, a CRI task's OCI config.json) on tmpfs in the sandbox, next to real namespaces
bind-mounted where those runtimes keep them. Planted secrets in the same files (environment,
labels) must not reach the snapshot.
"""

from __future__ import annotations

import json

from sandbox import run_in_sandbox
from snapdoc import validated

from netstack_docs.model.classify import classify

DOCKER_ID = "3f2a1b9c8d7e" + "0" * 52
SANDBOX_ID = "ab" * 32
APP_ID = "cd" * 32

SCRIPT = rf'''
for d in /var/lib/docker /run/containerd /etc/cni; do mkdir -p $d; mount -t tmpfs tmpfs $d; done
# Docker: the namespace under /run/docker/netns, the container's config naming it (SandboxKey)
unshare --net sleep 60 & pid=$!
sleep 0.2
touch /run/docker/netns/1a2b3c4d5e6f
mount --bind /proc/$pid/ns/net /run/docker/netns/1a2b3c4d5e6f
mkdir -p /var/lib/docker/containers/{DOCKER_ID}
cat > /var/lib/docker/containers/{DOCKER_ID}/config.v2.json <<'JSON'
{{"ID": "{DOCKER_ID}", "Name": "/web",
  "Config": {{"Image": "nginx:1.27", "Env": ["DB_PASSWORD=FAKE-SECRET-DOCKER-ENV-4242"],
  "Labels": {{"token": "FAKE-SECRET-DOCKER-LABEL-4242"}}}},
  "NetworkSettings": {{"SandboxKey": "/var/run/docker/netns/1a2b3c4d5e6f"}}}}
JSON
# containerd CRI: the pod sandbox's network namespace is a named netns (cni-...), its task's config
# says which pod it is; an app container of the same pod is known by id only
ip netns add cni-5f1e2d3c
task=/run/containerd/io.containerd.runtime.v2.task/k8s.io
mkdir -p $task/{SANDBOX_ID} $task/{APP_ID}
cat > $task/{SANDBOX_ID}/config.json <<'JSON'
{{"ociVersion": "1.1.0", "process": {{"env": ["API_TOKEN=FAKE-SECRET-CRI-ENV-4242"], "args": ["/pause"]}},
 "annotations": {{"io.kubernetes.cri.sandbox-name": "web-7d9f",
   "io.kubernetes.cri.sandbox-namespace": "shop", "io.kubernetes.cri.container-type": "sandbox",
   "io.kubernetes.cri.sandbox-log-directory": "/FAKE-SECRET-CRI-LOG"}},
 "linux": {{"namespaces": [{{"type": "pid"}},
   {{"type": "network", "path": "/var/run/netns/cni-5f1e2d3c"}}]}}}}
JSON
cat > $task/{APP_ID}/config.json <<'JSON'
{{"annotations": {{"io.kubernetes.cri.sandbox-name": "web-7d9f",
   "io.kubernetes.cri.sandbox-namespace": "shop", "io.kubernetes.cri.container-type": "container",
   "io.kubernetes.cri.container-name": "app", "io.kubernetes.cri.image-name": "shop/web:2"}},
 "linux": {{"namespaces": [{{"type": "network", "path": "/proc/1/ns/net"}}]}}}}
JSON
ip netns add plain
mkdir -p /etc/cni/net.d
cat > /etc/cni/net.d/10-pods.conflist <<'JSON'
{{"name": "pods", "cniVersion": "1.0.0", "plugins": [{{"type": "bridge", "bridge": "cni0",
  "kubeconfig": "/etc/FAKE-SECRET-CNI-KUBECONFIG",
  "ipam": {{"type": "host-local", "subnet": "10.88.0.0/16"}}}}]}}
JSON
$PYTHON -m netstack_docs capture --env test --host sbx --out /tmp/snap.json -q
cat /tmp/snap.json
'''


def test_docker_and_cri_namespaces_carry_their_container_and_pod_names():
    text = run_in_sandbox(SCRIPT).stdout
    assert "FAKE-SECRET" not in text
    doc = validated(json.loads(text))
    by_id = {ns["id"]: ns for ns in doc["namespaces"]}
    # The pod's namespace is keyed by pod namespace + name (stable across re-creation), not cni-<random>.
    assert "pod/shop/web-7d9f" in by_id and "cni-5f1e2d3c" not in by_id
    pod = by_id["pod/shop/web-7d9f"]
    assert (pod["kind"], pod["name"]) == ("named", "cni-5f1e2d3c")
    assert pod["container"] == {"runtime": "containerd", "id": SANDBOX_ID, "name": None, "image": None,
                                "pod_name": "web-7d9f", "pod_namespace": "shop", "container_type": "sandbox"}
    docker = by_id["docker/1a2b3c4d5e6f"]
    assert docker["container"] == {"runtime": "docker", "id": DOCKER_ID, "name": "web", "image": "nginx:1.27",
                                   "pod_name": None, "pod_namespace": None, "container_type": None}
    assert "container" not in by_id["plain"]
    # the CNI network, through the whole capture: declared fields kept, the kubeconfig path named only
    [net] = doc["cni"]["networks"]
    assert net["plugins"] == [{"type": "bridge", "bridge": "cni0", "ipam": {"type": "host-local",
                                                                           "subnet": "10.88.0.0/16"}}]
    assert net["other_fields"] == ["plugins[0].kubeconfig"]
    # Pages, diagrams and commands use the label; the anchor comes from the pod's namespace and name.
    view = classify(doc, "sbx")
    labels = {ref.id: ref.label for ref in view.namespaces}
    assert labels["pod/shop/web-7d9f"] == "pod shop/web-7d9f"
    assert labels["docker/1a2b3c4d5e6f"] == "container web (nginx:1.27)"
    assert labels["plain"] == "netns plain"
    netns = {c.namespace.id: c for c in view.layers["namespaces"].components if c.identity_kind == "netns"}
    assert netns["pod/shop/web-7d9f"].anchor.startswith("netns-pod-shop-web-7d9f-")
    assert any("ip -n cni-5f1e2d3c" in cmd.text for cmd in netns["pod/shop/web-7d9f"].commands)


PODMAN_ID = "ef" * 32
PODMAN = rf'''
mkdir -p /var/lib/containers; mount -t tmpfs tmpfs /var/lib/containers
mkdir -p /var/lib/containers/storage/overlay-containers
cat > /var/lib/containers/storage/overlay-containers/containers.json <<'JSON'
[{{"id": "{PODMAN_ID}", "names": ["db"], "image": "0123",
  "metadata": "{{\"image-name\":\"docker.io/library/postgres:16\",\"name\":\"db\"}}",
  "flags": {{"MountLabel": "FAKE-SECRET-PODMAN-4242"}}}},
 {{"id": "not-json-metadata", "names": ["x"], "metadata": "{{"}}]
JSON
$PYTHON - <<'PY'
import json
from netstack_docs.capture import containers
index = containers.index()
print(json.dumps([index.identify("{PODMAN_ID}", []), index.identify("not-json-metadata", [])]))
PY
'''


def test_podman_containers_are_known_by_the_id_in_their_cgroup():
    # Podman has no file tying a container to a netns path: a namespace is matched through the
    # container id in its process's cgroup (libpod-<id>.scope), which the sandbox cannot fake,
    # so this test asks the index directly, with the real containers/storage file on tmpfs.
    out = run_in_sandbox(PODMAN).stdout
    assert "FAKE-SECRET" not in out
    db, broken = json.loads(out.strip().splitlines()[-1])
    image = "docker.io/library/postgres:16"
    assert db == {"runtime": "podman", "id": PODMAN_ID, "name": "db", "image": image,
                  "pod_name": None, "pod_namespace": None, "container_type": None}
    assert broken["name"] == "x" and broken["image"] is None


def test_container_ids_are_found_in_every_runtimes_cgroup_path():
    from netstack_docs.capture.namespaces import _CONTAINER_ID

    cid = "0123456789abcdef" * 4
    paths = {
        f"0::/system.slice/docker-{cid}.scope": cid,
        f"0::/kubepods.slice/kubepods-besteffort.slice/kubepods-pod1.slice/cri-containerd-{cid}.scope": cid,
        f"0::/kubepods.slice/kubepods-pod1.slice/crio-{cid}.scope": cid,
        f"0::/machine.slice/libpod-{cid}.scope/container": cid,
        f"12:memory:/kubepods/burstable/pod6d1c1b2a-0000-4000-8000-000000000001/{cid}": cid,
        "0::/user.slice/user-1000.slice/session-2.scope": None,
    }
    for line, expected in paths.items():
        found = _CONTAINER_ID.search(line)
        assert (found.group(1) if found else None) == expected, line
