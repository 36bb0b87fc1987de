# Kubernetes node 2 of 2 (see ../k8s-node.sh); its first pod also runs a tc BPF classifier.
NODE=2 PODS=4
. "$LAB/topologies/k8s-node.sh"
"$PYTHON" "$REPO/tests/bpfload.py" tc veth1a2b0201 --name cil_from_contai >/dev/null
