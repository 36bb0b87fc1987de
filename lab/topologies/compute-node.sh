# An OpenStack-style compute node: Open vSwitch (userspace datapath: this kernel has no openvswitch
# module) with the Neutron OVS agent's layout. br-int holds the VMs' taps (one access VLAN per
# tenant network), br-tun carries those VLANs in VXLAN tunnels to the other nodes, br-ex reaches the
# provider network through eth1; patch port pairs join the bridges. The agent's flows are installed
# by hand (cookies as the agent sets them); its controller target is configured but not running.
# Needs NODE (1 or 2): node N is 10.0.0.1N on the tunnel network; both tunnel to each other and to
# the network node 10.0.0.10 (not part of the demo).
ROLE="OpenStack compute node"
hostname "compute-0$NODE"
other=$((3 - NODE))
. "$LAB/topologies/ovs.sh"
ip netns add underlay
veth_ns underlay fabric0 eth0 10.0.0.1/24
ip addr add "10.0.0.1$NODE/24" dev eth0
ip route add default via 10.0.0.1
ip netns add provider
veth_ns provider uplink eth1 203.0.113.1/24
ovs_start
ovs-vsctl add-br br-int -- set bridge br-int datapath_type=netdev fail_mode=secure \
  -- set-controller br-int tcp:127.0.0.1:6633
ovs-vsctl add-br br-tun -- set bridge br-tun datapath_type=netdev fail_mode=secure protocols=OpenFlow10,OpenFlow13
ovs-vsctl add-br br-ex -- set bridge br-ex datapath_type=netdev
ovs-vsctl add-port br-int patch-tun -- set interface patch-tun type=patch options:peer=patch-int \
  -- add-port br-tun patch-int -- set interface patch-int type=patch options:peer=patch-tun
ovs-vsctl add-port br-int int-br-ex -- set interface int-br-ex type=patch options:peer=phy-br-ex \
  -- add-port br-ex phy-br-ex -- set interface phy-br-ex type=patch options:peer=int-br-ex
ovs-vsctl add-port br-ex eth1
peer=$(printf 'vxlan-0a0000%02x' "$((10 + other))")
for node in 10 "1$other"; do
  port=$(printf 'vxlan-0a0000%02x' "$node")
  ovs-vsctl add-port br-tun "$port" -- set interface "$port" type=vxlan \
    options:remote_ip="10.0.0.$node" options:local_ip="10.0.0.1$NODE" options:key=flow options:df_default=true
done
n=1
if [ "$NODE" = 1 ]; then vms="3f1c 8a2e"; else vms="51d0 c47b"; fi
for vm in $vms; do
  tap="tap$vm-0$n"
  ip tuntap add dev "$tap" mode tap
  ip link set "$tap" mtu 1450 up
  ovs-vsctl add-port br-int "$tap" tag="$n" -- set interface "$tap" \
    external_ids:iface-id="$vm-aaaa-4bbb-8ccc-00000000000$n" external_ids:attached-mac="fa:16:3e:00:00:0$n" \
    external_ids:vm-uuid="$vm-1111-4222-8333-00000000000$n" external_ids:iface-status=active
  n=$((n + 1))
done
# the Neutron agent's pipeline, abridged: br-int is a learning switch per VLAN, br-tun maps VLANs to VNIs
ovs-ofctl add-flow br-int "table=0,priority=65535,cookie=0x7f2c1a,vlan_tci=0x0fff/0x1fff,actions=drop"
ovs-ofctl add-flow br-int "table=0,priority=2,cookie=0x7f2c1a,in_port=int-br-ex,actions=drop"
ovs-ofctl add-flow br-int "table=0,priority=0,cookie=0x7f2c1a,actions=resubmit(,60)"
ovs-ofctl add-flow br-int "table=60,priority=3,cookie=0x7f2c1a,actions=NORMAL"
ovs-ofctl -O OpenFlow13 add-flow br-tun "table=0,priority=1,cookie=0x7f2c1b,in_port=patch-int,actions=resubmit(,2)"
ovs-ofctl -O OpenFlow13 add-flow br-tun "table=0,priority=0,cookie=0x7f2c1b,actions=drop"
ovs-ofctl -O OpenFlow13 add-flow br-tun "table=2,priority=0,cookie=0x7f2c1b,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,20)"
ovs-ofctl -O OpenFlow13 add-flow br-tun "table=2,priority=0,cookie=0x7f2c1b,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,22)"
ovs-ofctl -O OpenFlow13 add-flow br-tun "table=22,priority=1,cookie=0x7f2c1b,dl_vlan=1,actions=strip_vlan,set_tunnel:0x3e9,output:vxlan-0a00000a,output:$peer"
ovs-ofctl -O OpenFlow13 add-flow br-tun "table=22,priority=1,cookie=0x7f2c1b,dl_vlan=2,actions=strip_vlan,set_tunnel:0x3ea,output:vxlan-0a00000a"
ovs-ofctl -O OpenFlow13 add-flow br-tun "table=20,priority=0,cookie=0x7f2c1b,actions=resubmit(,22)"
ovs-ofctl add-flow br-ex "table=0,priority=4,cookie=0x7f2c1c,in_port=phy-br-ex,dl_vlan=1,actions=strip_vlan,NORMAL"
daemon nova-compute
listener ovsdb-server tcp 127.0.0.1 6640
wait_listening 6640
