# OpenStack compute node 2 of 2 (see ../compute-node.sh); tunnels to node 1 and the network node.
NODE=2
. "$LAB/topologies/compute-node.sh"
