# An OpenWrt router as firewall4 (fw4, OpenWrt 22.03 and later) programs it from the default
# /etc/config/firewall: table `inet fw4`, zones lan (br-lan, accept) and wan (pppoe-wan, input
# reject, masquerade, MSS clamping), lan -> wan forwarding, syn_flood limiting, the stock rules
# (Allow-DHCP-Renew, Allow-Ping, Allow-IGMP, Allow-DHCPv6, Allow-MLD, Allow-ICMPv6-Input/-Forward,
# Allow-IPSec-ESP, Allow-ISAKMP), the conntrack helper assignments of the lan zone.
#
# Written from what these upstream files show (github:openwrt/firewall4 at
# b6e5157527d361f99ad52eaa6da273cb0f2dfd59), not copied from them:
#   tests/01_configuration/01_ruleset  the ruleset fw4 renders from the default configuration (its
#       chains input / forward / output / prerouting, handle_reject, syn_flood, input_/output_/
#       forward_/helper_lan, accept_from_/accept_to_lan, input_/output_/forward_wan, accept_to_wan,
#       reject_from_/reject_to_wan, dstnat / srcnat / srcnat_wan, raw_ and mangle_ chains, the
#       lan_subnets / wan_subnets defines)
#   root/etc/config/firewall  the default configuration that ruleset comes from
#   root/usr/share/firewall4/templates/ruleset.uc  how the ruleset is laid out
# Departures: no flowtable (the default configuration leaves flow_offloading off; the test's
# configuration turns it on); no `ct helper` objects and no helper_lan assignments (this kernel has no
# conntrack helper modules: `nft` refuses them), no user includes (/etc/nftables.d holds only comments).
# The wan device is a veth named pppoe-wan (no PPP here) to the namespace `internet`.
#
# The router: br-lan 10.0.0.1/24, 192.168.26.1/24 and 2001:db8:1000::1/64 with the LAN namespace `lan`
# on port lan1; pppoe-wan 10.11.12.2/24 and 2001:db8:54:321::2/64, default routes via `internet`
# (10.11.12.1; it owns 198.51.100.20 and 203.0.113.7 and routes the LAN's prefixes to the router).
ROLE="OpenWrt router"
hostname openwrt
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv6.conf.all.forwarding=1
ip netns add internet
ip netns add lan
ip link add br-lan type bridge
ip link set br-lan up
veth_ns lan eth0 lan1 10.0.0.100/24
ip link set lan1 master br-lan
ip addr add 10.0.0.1/24 dev br-lan
ip addr add 192.168.26.1/24 dev br-lan
ip addr add 2001:db8:1000::1/64 dev br-lan nodad
ip -n lan addr add 2001:db8:1000::100/64 dev eth0 nodad
ip -n lan route add default via 10.0.0.1
ip -n lan -6 route add default via 2001:db8:1000::1
veth_ns internet eth0 pppoe-wan 10.11.12.1/24
ip addr add 10.11.12.2/24 dev pppoe-wan
ip addr add 2001:db8:54:321::2/64 dev pppoe-wan nodad
ip -n internet addr add 2001:db8:54:321::1/64 dev eth0 nodad
ip route add default via 10.11.12.1
ip -6 route add default via 2001:db8:54:321::1
ip -n internet addr add 198.51.100.20/32 dev lo
ip -n internet addr add 203.0.113.7/32 dev lo
ip -n internet route add 10.0.0.0/24 via 10.11.12.2
ip -n internet -6 route add 2001:db8:1000::/60 via 2001:db8:54:321::2

nft -f - <<'NFT'
table inet fw4
flush table inet fw4

table inet fw4 {
	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept comment "!fw4: Accept traffic from loopback"
		ct state vmap { established : accept, related : accept } comment "!fw4: Handle inbound flows"
		tcp flags & (fin | syn | rst | ack) == syn jump syn_flood comment "!fw4: Rate limit TCP syn packets"
		iifname "br-lan" jump input_lan comment "!fw4: Handle lan IPv4/IPv6 input traffic"
		iifname "pppoe-wan" jump input_wan comment "!fw4: Handle wan IPv4/IPv6 input traffic"
		jump handle_reject
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state vmap { established : accept, related : accept } comment "!fw4: Handle forwarded flows"
		iifname "br-lan" jump forward_lan comment "!fw4: Handle lan IPv4/IPv6 forward traffic"
		iifname "pppoe-wan" jump forward_wan comment "!fw4: Handle wan IPv4/IPv6 forward traffic"
		jump handle_reject
	}
	chain output {
		type filter hook output priority filter; policy accept;
		oif "lo" accept comment "!fw4: Accept traffic towards loopback"
		ct state vmap { established : accept, related : accept } comment "!fw4: Handle outbound flows"
		oifname "br-lan" jump output_lan comment "!fw4: Handle lan IPv4/IPv6 output traffic"
		oifname "pppoe-wan" jump output_wan comment "!fw4: Handle wan IPv4/IPv6 output traffic"
	}
	chain handle_reject {
		meta l4proto tcp reject with tcp reset comment "!fw4: Reject TCP traffic"
		reject with icmpx type port-unreachable comment "!fw4: Reject any other traffic"
	}
	chain syn_flood {
		limit rate 25/second burst 50 packets return comment "!fw4: Accept SYN packets below rate-limit"
		drop comment "!fw4: Drop excess packets"
	}
	chain input_lan {
		jump accept_from_lan
	}
	chain output_lan {
		jump accept_to_lan
	}
	chain forward_lan {
		jump accept_to_wan comment "!fw4: Accept lan to wan forwarding"
		jump accept_to_lan
	}
	chain accept_from_lan {
		iifname "br-lan" counter accept comment "!fw4: accept lan IPv4/IPv6 traffic"
	}
	chain accept_to_lan {
		oifname "br-lan" counter accept comment "!fw4: accept lan IPv4/IPv6 traffic"
	}
	chain input_wan {
		meta nfproto ipv4 udp dport 68 counter accept comment "!fw4: Allow-DHCP-Renew"
		meta nfproto ipv4 icmp type 8 counter accept comment "!fw4: Allow-Ping"
		meta nfproto ipv4 meta l4proto igmp counter accept comment "!fw4: Allow-IGMP"
		ip6 saddr fc00::/6 ip6 daddr fc00::/6 udp dport 546 counter accept comment "!fw4: Allow-DHCPv6"
		ip6 saddr fe80::/10 icmpv6 type . icmpv6 code { 130 . 0, 131 . 0, 132 . 0, 143 . 0 } counter accept comment "!fw4: Allow-MLD"
		meta nfproto ipv6 icmpv6 type { 128, 129, 1, 3, 133, 134 } limit rate 1000/second counter accept comment "!fw4: Allow-ICMPv6-Input"
		meta nfproto ipv6 icmpv6 type . icmpv6 code { 2 . 0, 4 . 0, 4 . 1, 135 . 0, 136 . 0 } limit rate 1000/second counter accept comment "!fw4: Allow-ICMPv6-Input"
		jump reject_from_wan
	}
	chain output_wan {
		jump accept_to_wan
	}
	chain forward_wan {
		meta nfproto ipv6 icmpv6 type { 128, 129, 1, 3 } limit rate 1000/second counter accept comment "!fw4: Allow-ICMPv6-Forward"
		meta nfproto ipv6 icmpv6 type . icmpv6 code { 2 . 0, 4 . 0, 4 . 1 } limit rate 1000/second counter accept comment "!fw4: Allow-ICMPv6-Forward"
		meta l4proto esp counter jump accept_to_lan comment "!fw4: Allow-IPSec-ESP"
		udp dport 500 counter jump accept_to_lan comment "!fw4: Allow-ISAKMP"
		jump reject_to_wan
	}
	chain accept_to_wan {
		meta nfproto ipv4 oifname "pppoe-wan" ct state invalid counter drop comment "!fw4: Prevent NAT leakage"
		oifname "pppoe-wan" counter accept comment "!fw4: accept wan IPv4/IPv6 traffic"
	}
	chain reject_from_wan {
		iifname "pppoe-wan" counter jump handle_reject comment "!fw4: reject wan IPv4/IPv6 traffic"
	}
	chain reject_to_wan {
		oifname "pppoe-wan" counter jump handle_reject comment "!fw4: reject wan IPv4/IPv6 traffic"
	}
	chain dstnat {
		type nat hook prerouting priority dstnat; policy accept;
	}
	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "pppoe-wan" jump srcnat_wan comment "!fw4: Handle wan IPv4/IPv6 srcnat traffic"
	}
	chain srcnat_wan {
		meta nfproto ipv4 masquerade comment "!fw4: Masquerade IPv4 wan traffic"
	}
	chain raw_prerouting {
		type filter hook prerouting priority raw; policy accept;
	}
	chain raw_output {
		type filter hook output priority raw; policy accept;
	}
	chain mangle_prerouting {
		type filter hook prerouting priority mangle; policy accept;
	}
	chain mangle_postrouting {
		type filter hook postrouting priority mangle; policy accept;
		oifname "pppoe-wan" tcp flags syn / syn,fin,rst tcp option maxseg size set rt mtu comment "!fw4: Zone wan IPv4/IPv6 egress MTU fixing"
	}
	chain mangle_input {
		type filter hook input priority mangle; policy accept;
	}
	chain mangle_output {
		type route hook output priority mangle; policy accept;
	}
	chain mangle_forward {
		type filter hook forward priority mangle; policy accept;
		iifname "pppoe-wan" tcp flags syn / syn,fin,rst tcp option maxseg size set rt mtu comment "!fw4: Zone wan IPv4/IPv6 ingress MTU fixing"
	}
}
NFT
mkdir -p /etc/config
printf "config zone\n\toption name lan\nconfig zone\n\toption name wan\n\toption masq 1\n" > /etc/config/firewall
daemon netifd
listener dropbear tcp :: 22
listener uhttpd tcp :: 80
listener dnsmasq udp 0.0.0.0 53
listener odhcp6c udp :: 546
listener udhcpc udp 0.0.0.0 68
listener www tcp :: 443 internet
listener dns udp 0.0.0.0 53 internet
listener ike udp 0.0.0.0 500 lan
listener nas tcp :: 445 lan
wait_listening_in "" 22 80 53 546 68
wait_listening_in internet 443 53
wait_listening_in lan 500 445
