# A host whose whole traffic goes through WireGuard as `wg-quick up wg0` sets it up for a peer with
# `AllowedIPs = 0.0.0.0/0, ::/0` (the full tunnel), on a machine whose distribution sets strict
# reverse-path filtering on its uplink (rp_filter=1, as RHEL's and Fedora's defaults do).
#
# Written from what this upstream file shows (github:WireGuard/wireguard-tools, src/wg-quick/linux.bash
# at 025f00454fec8fd0816607a28c1ee6cd9a54b134), not copied from it:
#   add_if / set_mtu_up / add_addr  the device, its /32 and /128 addresses, mtu of the uplink - 80
#   add_default  (for each default route of AllowedIPs) the fwmark table 51820 (`wg set wg0 fwmark 51820`),
#                `ip rule add not fwmark 51820 table 51820`, `ip rule add table main
#                suppress_prefixlength 0`, `ip route add 0.0.0.0/0 dev wg0 table 51820`; the nft
#                transaction: table `ip wg-quick-wg0` (and `ip6 wg-quick-wg0`) with base chains preraw
#                (prerouting -300), premangle (prerouting -150), postmangle (postrouting -150), the rules
#                `iifname != "wg0" ip daddr ADDR fib saddr type != local drop` for each address of wg0,
#                `meta l4proto udp mark 51820 ct mark set mark`, `meta l4proto udp meta mark set ct mark`;
#                and, for IPv4, `sysctl -q net.ipv4.conf.all.src_valid_mark=1`.
# Departures: this kernel has no wireguard module, so wg0 is a TUN held by a process named
# wireguard-go (the userspace implementation wg-quick also drives; nothing reads it, so what is routed
# into the tunnel goes no further); the process's UDP socket on 51820 stands for wireguard's. The
# fwmark the kernel device would put on its own encrypted packets is the mark the stand-in sets with
# SO_MARK (see tests/trace/test_wg_quick_mark.py).
#
# The host: eth0 192.168.1.2/24 and 2001:db8:1::2/64 towards the namespace `internet` (its router
# 192.168.1.1, the peer's endpoint 203.0.113.1, a server 198.51.100.20); eth1 10.10.0.1/24 to a LAN
# namespace `lan` (the host routes it: forwarded LAN traffic takes the tunnel too).
ROLE="WireGuard client"
hostname wg-quick
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv6.conf.all.forwarding=1
ip netns add internet
ip netns add lan
veth_ns internet eth0 eth0 192.168.1.1/24
veth_ns lan eth0 eth1 10.10.0.5/24
ip addr add 192.168.1.2/24 dev eth0
ip addr add 10.10.0.1/24 dev eth1
ip -n internet addr add 2001:db8:1::1/64 dev eth0 nodad
ip addr add 2001:db8:1::2/64 dev eth0 nodad
ip route add default via 192.168.1.1
ip -6 route add default via 2001:db8:1::1
ip -n lan route add default via 10.10.0.1
ip -n internet addr add 203.0.113.1/32 dev lo
ip -n internet addr add 198.51.100.20/32 dev lo
ip -n internet route add 10.10.0.0/24 via 192.168.1.2
# a neighbour on the uplink's segment that routes to the tunnel address: what wg-quick's preraw guards
ip -n internet route add 10.66.0.0/24 via 192.168.1.2
# the distribution's strict reverse-path filter on the uplink
sysctl -qw net.ipv4.conf.all.rp_filter=0
sysctl -qw net.ipv4.conf.eth0.rp_filter=1

# wg-quick up wg0
tun_held wg0 wireguard-go
ip -4 address add 10.66.0.2/32 dev wg0
ip -6 address add fd00:66::2/128 dev wg0 nodad
ip link set mtu 1420 up dev wg0
for proto in -4 -6; do
  ip $proto rule add not fwmark 51820 table 51820
  ip $proto rule add table main suppress_prefixlength 0
done
ip -4 route add 0.0.0.0/0 dev wg0 table 51820
ip -6 route add ::/0 dev wg0 table 51820
sysctl -q net.ipv4.conf.all.src_valid_mark=1
nft -f - <<'NFT'
add table ip wg-quick-wg0
add chain ip wg-quick-wg0 preraw { type filter hook prerouting priority -300; }
add chain ip wg-quick-wg0 premangle { type filter hook prerouting priority -150; }
add chain ip wg-quick-wg0 postmangle { type filter hook postrouting priority -150; }
add rule ip wg-quick-wg0 preraw iifname != "wg0" ip daddr 10.66.0.2 fib saddr type != local drop
add rule ip wg-quick-wg0 postmangle meta l4proto udp mark 51820 ct mark set mark
add rule ip wg-quick-wg0 premangle meta l4proto udp meta mark set ct mark
add table ip6 wg-quick-wg0
add chain ip6 wg-quick-wg0 preraw { type filter hook prerouting priority -300; }
add chain ip6 wg-quick-wg0 premangle { type filter hook prerouting priority -150; }
add chain ip6 wg-quick-wg0 postmangle { type filter hook postrouting priority -150; }
add rule ip6 wg-quick-wg0 preraw iifname != "wg0" ip6 daddr fd00:66::2 fib saddr type != local drop
add rule ip6 wg-quick-wg0 postmangle meta l4proto udp mark 51820 ct mark set mark
add rule ip6 wg-quick-wg0 premangle meta l4proto udp meta mark set ct mark
NFT

# Listeners: wireguard's port (the stand-in), an sshd on the host, the peer's endpoint and a web server
# beyond, a service on the LAN.
listener wireguard-go udp 0.0.0.0 51820
listener sshd tcp :: 22
listener wireguard udp 0.0.0.0 51820 internet
listener www tcp :: 443 internet
listener nas tcp 0.0.0.0 445 lan
wait_listening_in "" 22 51820
wait_listening_in internet 443 51820
wait_listening_in lan 445
