# ovs_neutron: an OpenStack-Neutron-like compute node on Open vSwitch (sourced after ovs.sh's ovs_start).
# br-int tags each VM port with its network's local VLAN (1, 2, 3), checks the source MAC per port
# (tables 0/25, as Neutron's anti-spoofing), runs one port through a conntrack firewall (tables
# 71-73), and switches with NORMAL (table 60). br-tun maps local VLANs to tunnel ids (0x64, 0xc8),
# sends known unicast to one VTEP and floods the rest to every VTEP of the network (tables 2/20/22),
# and maps tunnel ids back to VLANs on the way in (tables 4/10, with learn). br-ex is a provider
# bridge: local VLAN 3 <-> VLAN 100 on eth-ex. br-phy holds the underlay address 10.0.0.1.
# br-tun table 20 holds one flow as learn() would have left it (hard_timeout: run-time state).
# Groups on br-int: one `all` (two copies, one re-tagged), one `indirect`; a conjunctive match (conj_id 7).
# br-tun speaks OpenFlow 1.3 only (its flows are dumped in 1.3's words), br-int 1.0 and 1.3.
# VM ports are internal ports (the userspace datapath has no kernel tap for us here).
ovs_neutron() {
  for br in br-int br-tun br-ex br-phy; do
    ovs-vsctl add-br $br -- set bridge $br datapath_type=netdev fail_mode=secure
  done
  ovs-vsctl set bridge br-int protocols=OpenFlow10,OpenFlow13 -- set bridge br-tun protocols=OpenFlow13
  ip link set br-phy up; ip addr add 10.0.0.1/24 dev br-phy
  ip link add eth1 type veth peer name eth1-far; ip link set eth1 up; ip link set eth1-far up
  ip link add eth-ex type veth peer name eth-ex-far; ip link set eth-ex up; ip link set eth-ex-far up
  ovs-vsctl add-port br-phy eth1 -- add-port br-ex eth-ex
  ovs-vsctl add-port br-int patch-tun -- set interface patch-tun type=patch options:peer=patch-int \
    -- add-port br-tun patch-int -- set interface patch-int type=patch options:peer=patch-tun \
    -- add-port br-int int-br-ex -- set interface int-br-ex type=patch options:peer=phy-br-ex \
    -- add-port br-ex phy-br-ex -- set interface phy-br-ex type=patch options:peer=int-br-ex
  ovs-vsctl add-port br-tun vxlan-0a000002 -- set interface vxlan-0a000002 type=vxlan \
      options:remote_ip=10.0.0.2 options:local_ip=10.0.0.1 options:key=flow \
    -- add-port br-tun vxlan-0a000003 -- set interface vxlan-0a000003 type=vxlan \
      options:remote_ip=10.0.0.3 options:local_ip=10.0.0.1 options:key=flow
  ovs-vsctl add-port br-int tap1 tag=1 -- set interface tap1 type=internal \
    -- add-port br-int tap2 tag=1 -- set interface tap2 type=internal \
    -- add-port br-int tap3 tag=2 -- set interface tap3 type=internal \
    -- add-port br-int tap4 tag=3 -- set interface tap4 type=internal \
    -- add-port br-int trunk0 trunks=1,3 -- set interface trunk0 type=internal \
    -- add-port br-int nt0 tag=2 vlan_mode=native-untagged trunks=1 -- set interface nt0 type=internal
  ovs-appctl tnl/neigh/set br-phy 10.0.0.2 aa:55:aa:55:00:02 >/dev/null
  ovs-appctl tnl/neigh/set br-phy 10.0.0.3 aa:55:aa:55:00:03 >/dev/null
  ovs-ofctl add-flows br-phy - <<'FLOWS'
priority=0,actions=NORMAL
FLOWS
  ovs-ofctl -O OpenFlow13 add-group br-int 'group_id=1,type=all,bucket=actions=output:tap2,bucket=actions=mod_vlan_vid:3,output:trunk0'
  ovs-ofctl -O OpenFlow13 add-group br-int 'group_id=2,type=indirect,bucket=actions=resubmit(,60)'
  ovs-ofctl -O OpenFlow13 add-flows br-int - <<'FLOWS'
table=0,priority=65535,vlan_tci=0x0fff/0x1fff,actions=drop
table=0,priority=10,in_port=tap1,actions=resubmit(,25)
table=0,priority=10,in_port=tap2,actions=resubmit(,25)
table=0,priority=10,in_port=tap3,actions=load:0x3->NXM_NX_REG5[],load:0x2->NXM_NX_REG6[],resubmit(,71)
table=0,priority=10,in_port=tap4,actions=resubmit(,60)
table=0,priority=9,in_port=trunk0,actions=resubmit(,60)
table=0,priority=9,in_port=nt0,actions=resubmit(,60)
table=0,priority=9,in_port=br-int,actions=resubmit(,60)
table=0,priority=3,in_port=patch-tun,actions=resubmit(,60)
table=0,priority=3,in_port=int-br-ex,dl_vlan=100,actions=mod_vlan_vid:3,resubmit(,60)
table=0,priority=2,in_port=int-br-ex,actions=drop
table=25,priority=2,in_port=tap1,dl_src=fa:16:3e:00:00:11,actions=resubmit(,30)
table=25,priority=2,in_port=tap2,dl_src=fa:16:3e:00:00:12,actions=resubmit(,30)
table=30,priority=50,udp,in_port=tap2,tp_dst=0x44/0xfffe,actions=drop
table=30,priority=60,conj_id=7,ip,actions=drop
table=30,priority=60,ip,nw_src=10.1.0.5,actions=conjunction(7,1/2)
table=30,priority=60,ip,nw_src=10.1.0.6,actions=conjunction(7,1/2)
table=30,priority=60,tcp,tp_dst=8443,actions=conjunction(7,2/2)
table=30,priority=60,udp,tp_dst=5353,actions=conjunction(7,2/2)
table=30,priority=49,tcp,in_port=tap1,tp_dst=25,tcp_flags=+syn-ack,actions=drop
table=30,priority=49,ip,nw_frag=later,actions=drop
table=30,priority=48,udp,in_port=tap1,tp_dst=53,actions=group:1
table=30,priority=47,udp,in_port=tap1,tp_dst=123,actions=group:2
table=30,priority=45,tcp,in_port=tap2,nw_dst=192.168.1.10,tp_dst=80,actions=mod_dl_dst:fa:16:3e:00:00:99,set_field:0x7->metadata,resubmit(,31)
table=30,priority=40,ip,in_port=tap2,nw_dst=192.168.0.0/16,actions=drop
table=30,priority=30,ipv6,in_port=tap1,actions=drop
table=30,priority=20,ip,nw_src=10.1.0.0/255.255.255.0,nw_tos=0x20,actions=mod_vlan_pcp:5,resubmit(,60)
table=30,priority=0,actions=resubmit(,60)
table=31,priority=10,metadata=0x7,actions=move:NXM_OF_ETH_DST[]->NXM_OF_ETH_SRC[],resubmit(,60)
table=60,priority=3,actions=NORMAL
table=71,priority=95,ct_state=-trk,ip,actions=ct(table=72,zone=NXM_NX_REG6[0..15])
table=71,priority=10,actions=resubmit(,73)
table=72,priority=74,ct_state=+est-rel-rpl,ip,reg5=0x3,actions=resubmit(,73)
table=72,priority=74,ct_state=+new-est,tcp,reg5=0x3,tp_dst=22,actions=ct(commit,zone=NXM_NX_REG6[0..15]),resubmit(,73)
table=72,priority=50,ct_state=+new-est,ip,reg5=0x3,actions=drop
table=73,priority=100,reg6=0x2,actions=resubmit(,60)
FLOWS
  ovs-ofctl -O OpenFlow13 add-flows br-tun - <<'FLOWS'
table=0,priority=1,in_port=patch-int,actions=resubmit(,2)
table=0,priority=1,in_port=vxlan-0a000002,actions=resubmit(,4)
table=0,priority=1,in_port=vxlan-0a000003,actions=resubmit(,4)
table=0,priority=0,actions=drop
table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,20)
table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,22)
table=4,priority=1,tun_id=0x64,actions=mod_vlan_vid:1,resubmit(,10)
table=4,priority=1,tun_id=0xc8,actions=push_vlan:0x8100,set_field:4098->vlan_vid,resubmit(,10)
table=4,priority=0,actions=drop
table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,cookie=0x1,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:patch-int
table=20,priority=2,dl_vlan=1,dl_dst=fa:16:3e:00:00:22,actions=strip_vlan,load:0x64->NXM_NX_TUN_ID[],output:vxlan-0a000002
table=20,priority=2,dl_vlan=2,dl_dst=fa:16:3e:00:00:33,actions=strip_vlan,set_field:0xc8->tun_id,output:vxlan-0a000003
table=20,priority=1,hard_timeout=3600,dl_vlan=1,dl_dst=fa:16:3e:00:00:45,actions=strip_vlan,load:0x64->NXM_NX_TUN_ID[],output:vxlan-0a000003
table=20,priority=0,actions=resubmit(,22)
table=22,priority=1,dl_vlan=1,actions=strip_vlan,load:0x64->NXM_NX_TUN_ID[],output:vxlan-0a000002,output:vxlan-0a000003
table=22,priority=1,dl_vlan=2,actions=strip_vlan,set_field:0xc8->tun_id,output:vxlan-0a000003
table=22,priority=0,actions=drop
FLOWS
  ovs-ofctl add-flows br-ex - <<'FLOWS'
priority=4,in_port=phy-br-ex,dl_vlan=3,actions=mod_vlan_vid:100,NORMAL
priority=2,in_port=phy-br-ex,actions=drop
priority=0,actions=NORMAL
FLOWS
}
