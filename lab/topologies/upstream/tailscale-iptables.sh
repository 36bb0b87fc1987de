# The upstream/tailscale subnet router with tailscaled's iptables firewall mode instead of its nftables
# one (the mode it picks where iptables-nft or iptables-legacy holds rules already), through iptables-nft:
# the same tun, policy routing and table 52, the same netfilter intentions as xt matches and targets.
#
# Written from what these upstream files show (github:tailscale/tailscale at
# de9ec7ee25627e0e518f53c710a3fc3d947c86c1), not copied from them:
#   util/linuxfw/iptables_runner.go  AddChains (ts-input and ts-forward in filter, ts-postrouting in
#       nat), AddHooks (`-I INPUT 1 -j ts-input`, FORWARD, POSTROUTING likewise), AddBase (ts-input
#       `-i tailscale0 -j ACCEPT`; ts-forward `-i tailscale0 -j MARK --set-mark 0x40000/0xff0000`, `-m
#       mark --mark 0x40000/0xff0000 -j ACCEPT`, `-o tailscale0 -s 100.64.0.0/10 -j DROP` (IPv4),
#       `-o tailscale0 -j ACCEPT`), AddLoopbackRule (`-I ts-input 1 -i lo -s ADDR -j ACCEPT`),
#       buildExternalCGNATRules in drop mode (`! -i tailscale0 -s 100.115.92.0/23 -j RETURN`, `! -i
#       tailscale0 -s 100.64.0.0/10 -j DROP`), AddSNATRule (ts-postrouting `-m mark --mark
#       0x40000/0xff0000 -j MASQUERADE`)
#   wgengine/router/osrouter/router_linux.go, tsconst/linuxfw.go  as for upstream/tailscale
ROLE="Tailscale subnet router"
hostname tailscale-iptables
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv6.conf.all.forwarding=1
ip netns add internet
ip netns add lan
veth_ns internet eth0 eth0 192.168.1.1/24
veth_ns lan eth0 eth1 10.10.0.5/24
ip addr add 192.168.1.2/24 dev eth0
ip addr add 10.10.0.1/24 dev eth1
ip route add default via 192.168.1.1
ip -n lan route add default via 10.10.0.1
ip -n internet addr add 198.51.100.20/32 dev lo
ip -n internet addr add 100.70.0.9/32 dev lo
ip -n internet route add 10.10.0.0/24 via 192.168.1.2
# a neighbour that routes the tailnet's range at this node
ip -n internet route add 100.64.0.0/10 via 192.168.1.2

tun_held tailscale0 tailscaled
ip addr add 100.101.102.103/32 dev tailscale0
ip addr add fd7a:115c:a1e0::1/128 dev tailscale0 nodad
ip link set tailscale0 mtu 1280 up
for fam in -4 -6; do
  ip $fam rule add pref 5210 fwmark 0x80000/0xff0000 table main
  ip $fam rule add pref 5230 fwmark 0x80000/0xff0000 table default
  ip $fam rule add pref 5250 fwmark 0x80000/0xff0000 unreachable
  ip $fam rule add pref 5270 table 52
done
ip route add 100.64.0.2/32 dev tailscale0 table 52
ip route add 100.100.100.100/32 dev tailscale0 table 52
ip route add 10.50.0.0/24 dev tailscale0 table 52
ip -6 route add fd7a:115c:a1e0::/48 dev tailscale0 table 52

for cmd in iptables-restore ip6tables-restore; do
  $cmd --noflush <<'IPT'
*filter
:ts-input - [0:0]
:ts-forward - [0:0]
-I INPUT 1 -j ts-input
-I FORWARD 1 -j ts-forward
-A ts-input -i tailscale0 -j ACCEPT
-A ts-forward -i tailscale0 -j MARK --set-mark 0x40000/0xff0000
-A ts-forward -m mark --mark 0x40000/0xff0000 -j ACCEPT
-A ts-forward -o tailscale0 -j ACCEPT
COMMIT
*nat
:ts-postrouting - [0:0]
-I POSTROUTING 1 -j ts-postrouting
-A ts-postrouting -m mark --mark 0x40000/0xff0000 -j MASQUERADE
COMMIT
IPT
done
iptables -I ts-forward 3 -o tailscale0 -s 100.64.0.0/10 -j DROP
iptables -A ts-input ! -i tailscale0 -s 100.115.92.0/23 -j RETURN
iptables -A ts-input ! -i tailscale0 -s 100.64.0.0/10 -j DROP
iptables -I ts-input 1 -i lo -s 100.101.102.103 -j ACCEPT
ip6tables -I ts-input 1 -i lo -s fd7a:115c:a1e0::1 -j ACCEPT
mkdir -p /var/lib/tailscale
listener tailscaled udp 0.0.0.0 41641
listener sshd tcp :: 22
listener www tcp :: 443 internet
listener dns udp 0.0.0.0 53 internet
listener nas tcp :: 445 lan
wait_listening_in "" 22 41641
wait_listening_in internet 443 53
wait_listening_in lan 445
