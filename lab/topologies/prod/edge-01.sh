# Edge router: an uplink with shaping, XDP and ingress policing through ifb, a LAN, policy routing
# for a backup uplink, and an nftables firewall with NAT. Namespaces isp/lan/backup play the peers.
ROLE="edge router"
hostname edge-01
ip netns add isp; ip netns add isp-backup; ip netns add lan
veth_ns isp eth0 wan0 203.0.113.1/30
veth_ns isp-backup eth0 wan1 198.51.100.1/30
veth_ns lan eth0 lan0 10.10.0.10/24
ip addr add 203.0.113.2/30 dev wan0
ip addr add 2001:db8:0:1::2/64 dev wan0 nodad
ip addr add 198.51.100.2/30 dev wan1
ip addr add 10.10.0.1/24 dev lan0
ip addr add 2001:db8:10::1/64 dev lan0 nodad
ip link set wan0 alias "Uplink to ISP A (circuit 4411)"
ip link set lan0 alias "Office LAN"
ip route add default via 203.0.113.1 dev wan0
ip -n lan route add default via 10.10.0.1
ip -6 route add default via 2001:db8:0:1::1 dev wan0
printf '100\tbackup\n' >> /etc/iproute2/rt_tables
ip route add default via 198.51.100.1 dev wan1 table backup
ip route add 10.10.0.0/24 dev lan0 table backup
ip rule add from 10.10.5.0/24 lookup backup priority 1000
ip rule add fwmark 0x2 lookup backup priority 1001
# wg-quick's policy routing (no wireguard module here, so table 51820 stays empty and lookups fall
# through): packets WITHOUT the tunnel's mark go to 51820; main is tried first without its default.
ip rule add not fwmark 0xca6c lookup 51820 priority 32764
ip rule add table main suppress_prefixlength 0 priority 32763
ip neigh add 10.10.0.254 lladdr 02:00:00:00:10:fe dev lan0 nud permanent
sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=2
# Egress shaping on the uplink: htb with two classes, pfifo and bfifo leaves (fq_codel is not built into the lab kernel).
tc qdisc add dev wan0 root handle 1: htb default 20
tc class add dev wan0 parent 1: classid 1:1 htb rate 100mbit
tc class add dev wan0 parent 1:1 classid 1:10 htb rate 60mbit ceil 100mbit prio 0
tc class add dev wan0 parent 1:1 classid 1:20 htb rate 40mbit ceil 100mbit prio 1
tc qdisc add dev wan0 parent 1:10 handle 10: pfifo limit 1000
tc qdisc add dev wan0 parent 1:20 handle 20: bfifo limit 256kb
tc filter add dev wan0 parent 1: protocol ip prio 1 u32 match ip dport 22 0xffff flowid 1:10
# Ingress policing: redirect uplink ingress to ifb0 and shape it with tbf (the lab kernel has no
# matchall classifier: a classic BPF program that accepts every packet does the same job).
ip link add ifb0 type ifb; ip link set ifb0 up
tc qdisc add dev wan0 handle ffff: ingress
tc filter add dev wan0 parent ffff: protocol all prio 10 bpf bytecode '1,6 0 0 4294967295' action mirred egress redirect dev ifb0
tc qdisc add dev ifb0 root tbf rate 80mbit burst 64kb latency 50ms
# The backup uplink is a plain tbf.
tc qdisc add dev wan1 root tbf rate 20mbit burst 32kb latency 100ms
# An XDP program (generic mode) on the uplink and a tc BPF classifier on the LAN side.
"$PYTHON" "$REPO/tests/bpfload.py" xdp wan0 --name xdp_edge_pass >/dev/null
"$PYTHON" "$REPO/tests/bpfload.py" tc lan0 --name tc_lan_mark >/dev/null
nft -f - <<'NFT'
table inet filter {
  comment "edge firewall, managed by ansible role edge-fw"
  set blocklist {
    type ipv4_addr; flags interval; comment "abuse sources"
    elements = { 192.0.2.0/24, 198.18.0.0/15 }
  }
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept comment "return traffic"
    iifname "lo" accept
    ip saddr @blocklist drop comment "drop known abuse"
    iifname "lan0" tcp dport 22 accept comment "ssh from the office only"
    meta l4proto { icmp, ipv6-icmp } accept
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan0" oifname { "wan0", "wan1" } accept comment "office to internet"
  }
  chain output {
    type filter hook output priority filter; policy accept;
  }
}
table ip nat {
  map port_forwards {
    type inet_service : ipv4_addr
    elements = { 8443 : 10.10.0.10 }
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "wan0" dnat to tcp dport map @port_forwards comment "published services"
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname { "wan0", "wan1" } masquerade
  }
}
table netdev ingress_guard {
  chain wan0_ingress {
    type filter hook ingress device "wan0" priority -500; policy accept;
    ip frag-off & 0x1fff != 0 counter drop comment "drop fragments at the edge"
  }
  chain uplinks_ingress {
    type filter hook ingress devices = { wan0, wan1 } priority -400; policy accept;
  }
}
NFT
mkdir -p /etc/systemd/network
printf '[Match]\nName=wan0\n[Network]\nAddress=203.0.113.2/30\n' > /etc/systemd/network/10-wan0.network
printf '[Match]\nName=lan0\n[Network]\nAddress=10.10.0.1/24\n' > /etc/systemd/network/20-lan0.network
daemon systemd-networkd
listener sshd tcp 10.10.0.1 22
listener unbound udp 10.10.0.1 53
listener node_exporter tcp 0.0.0.0 9100
wait_listening 22 53 9100
