# A router with the reverse-path rules real hosts get from upstream tools (the rulesets written here
# from what their sources show, not copied):
# - firewalld's IPv6 rpfilter, applied here to both families: a prerouting chain at priority
#   raw + 10 with `fib saddr . mark . iif oif missing drop` (firewalld/firewalld src/firewall/core/
#   nftables.py, and its functional test src/tests/features/rpfilter.at, which lists the chain).
# - wg-quick's guard of the tunnel address: table `wg-quick-wg0` with `preraw` (prerouting priority
#   -300) `iifname != "wg0" ip daddr ADDR fib saddr type != local drop`, `premangle` (-150)
#   `meta l4proto udp meta mark set ct mark`, `postmangle` (postrouting -150) `meta l4proto udp mark
#   51820 ct mark set mark` (WireGuard/wireguard-tools src/wg-quick/linux.bash, add_default).
# wg0 is a TUN device standing in for wireguard's (this kernel has no wireguard module); nothing is
# routed into it, so no flow leaves the sandbox.
# A holds an extra address of B's subnet: what it sends from there arrives on the wrong interface.
ROLE="rp router"
hostname rp-01
ip netns add a
ip netns add b
veth_ns a eth0 eth0 10.1.0.2/24
veth_ns b eth0 eth1 10.2.0.2/24
ip addr add 10.1.0.1/24 dev eth0
ip addr add 10.2.0.1/24 dev eth1
ip -n a addr add 10.2.0.99/32 dev eth0
ip -n a addr add 2001:db8:1::2/64 dev eth0 nodad
ip -n a addr add 2001:db8:2::99/128 dev eth0 nodad
ip -n b addr add 2001:db8:2::2/64 dev eth0 nodad
ip addr add 2001:db8:1::1/64 dev eth0 nodad
ip addr add 2001:db8:2::1/64 dev eth1 nodad
ip -n a -6 route add default via 2001:db8:1::1
ip -n b -6 route add default via 2001:db8:2::1
sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n a route add default via 10.1.0.1
ip -n b route add default via 10.2.0.1
ip tuntap add dev wg0 mode tun
ip addr add 10.66.0.2/32 dev wg0
ip link set wg0 up
sysctl -qw net.ipv4.ip_forward=1
for d in all default eth0 eth1 wg0; do sysctl -qw "net.ipv4.conf.$d.rp_filter=0"; done
sysctl -qw net.ipv4.conf.all.src_valid_mark=1
nft -f - <<'NFT'
table inet firewalld {
	chain raw_PREROUTING {
		type filter hook prerouting priority raw + 10; policy accept;
		icmpv6 type { nd-router-advert, nd-neighbor-solicit } accept
		fib saddr . mark . iif oif missing drop
	}
}
table ip wg-quick-wg0 {
	chain preraw {
		type filter hook prerouting priority -300; policy accept;
		iifname != "wg0" ip daddr 10.66.0.2 fib saddr type != local drop
	}
	chain premangle {
		type filter hook prerouting priority -150; policy accept;
		meta l4proto udp meta mark set ct mark
	}
	chain postmangle {
		type filter hook postrouting priority -150; policy accept;
		meta l4proto udp mark 51820 ct mark set mark
	}
}
NFT
