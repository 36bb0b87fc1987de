# OpenStack compute node 1 of 2 (see ../compute-node.sh); tunnels to node 2 and the network node.
NODE=1
. "$LAB/topologies/compute-node.sh"
