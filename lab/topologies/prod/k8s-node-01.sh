# Kubernetes node 1 of 2 (see ../k8s-node.sh); shares VNI 1 and 192.168.50.0/24 with node 2.
NODE=1 PODS=6
. "$LAB/topologies/k8s-node.sh"
