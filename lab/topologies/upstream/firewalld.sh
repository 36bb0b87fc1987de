# A gateway whose firewall is firewalld's nftables backend (FirewallBackend=nftables): table
# `inet firewalld`, written out the way the daemon's transaction leaves it for this configuration:
#   - default zone `public` (services ssh, dhcpv6-client) on the LAN interface eth1;
#   - zone `external` (service ssh, masquerade) on the uplink eth0;
#   - a policy `lan-out` (ingress zone public, egress zone external, target ACCEPT) so the LAN reaches
#     the world, masqueraded behind the uplink.
#
# Written from what these upstream files show (github:firewalld/firewalld at
# 2745d6f0ab9e4a43abe97872ed52e62157996166), not copied from them:
#   src/firewall/core/nftables.py  build_default_rules (mangle_/nat_/filter_ base chains with their
#       `_dispatch` chains; filter_INPUT / filter_FORWARD / filter_OUTPUT: `ct state established,related
#       accept`, `ct status dnat accept`, `iifname "lo" accept`, `ct state invalid drop`, the dispatch
#       jump, the final `reject with icmpx admin-prohibited`; the RFC 3964 IPv6 reject set),
#       build_policy_masquerade_rules (`meta nfproto ipv4 oifname != "lo" masquerade` in the egress
#       zone's nat_POST_<zone>_allow), the IPv6 rpfilter chain (filter_PREROUTING at raw + 10);
#   src/tests/features/policy_dispatch_basic_layout.at, policy_dispatch_zone_to_zone.at (dispatch by
#       iifname / oifname to <zone>_to_HOST, HOST_to_<zone>, FWD_<zone>_dispatch_stage2 and
#       <zone>_to_<zone> chains, the default zone as the catch-all), nftables_counters.at (the public
#       zone's allow chain: `tcp dport 22 accept`, `ip6 daddr fe80::/64 udp dport 546 accept`),
#       firewall-cmd.at (`chain filter_IN_public { jump ..._pre; _log; _deny; _allow; _post; meta
#       l4proto { icmp, ipv6-icmp } accept }`), rpfilter.at.
# Departures: the chains of policies and zones nothing here uses (block, dmz, drop, home, internal,
# trusted, work, allow-host-ipv6's siblings) are left out; their dispatch would never reach them.
#
# The gateway: eth0 203.0.113.2/24 and 2001:db8:1::2/64 towards `internet` (router 203.0.113.1, a
# server 198.51.100.20); eth1 10.20.0.1/24 and 2001:db8:20::1/64 towards the LAN namespace `lan`.
ROLE="firewalld gateway"
hostname firewalld
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv6.conf.all.forwarding=1
ip netns add internet
ip netns add lan
veth_ns internet eth0 eth0 203.0.113.1/24
veth_ns lan eth0 eth1 10.20.0.5/24
ip addr add 203.0.113.2/24 dev eth0
ip addr add 10.20.0.1/24 dev eth1
ip addr add 2001:db8:1::2/64 dev eth0 nodad
ip addr add 2001:db8:20::1/64 dev eth1 nodad
ip -n internet addr add 2001:db8:1::1/64 dev eth0 nodad
ip -n lan addr add 2001:db8:20::5/64 dev eth0 nodad
ip route add default via 203.0.113.1
ip -6 route add default via 2001:db8:1::1
ip -n lan route add default via 10.20.0.1
ip -n lan -6 route add default via 2001:db8:20::1
ip -n internet addr add 198.51.100.20/32 dev lo
ip -n internet -6 route add 2001:db8:20::/64 via 2001:db8:1::2
# the uplink's router also routes the LAN's private prefix to the gateway (a neighbour trying it)
ip -n internet route add 10.20.0.0/24 via 203.0.113.2

nft -f - <<'NFT'
table inet firewalld {
	chain mangle_PREROUTING { type filter hook prerouting priority mangle + 10; policy accept;
		jump mangle_PREROUTING_POLICIES; }
	chain mangle_PREROUTING_POLICIES {
		iifname "eth0" jump mangle_PRE_policy_allow-host-ipv6
		iifname "eth0" jump mangle_PRE_external
		iifname "eth0" return
		iifname "eth1" jump mangle_PRE_policy_allow-host-ipv6
		iifname "eth1" jump mangle_PRE_public
		iifname "eth1" return
		jump mangle_PRE_policy_allow-host-ipv6
		jump mangle_PRE_public
		return
	}
	chain mangle_PRE_policy_allow-host-ipv6 { }
	chain mangle_PRE_external { jump mangle_PRE_external_pre; jump mangle_PRE_external_log; jump mangle_PRE_external_deny; jump mangle_PRE_external_allow; jump mangle_PRE_external_post; }
	chain mangle_PRE_external_pre { }
	chain mangle_PRE_external_log { }
	chain mangle_PRE_external_deny { }
	chain mangle_PRE_external_allow { }
	chain mangle_PRE_external_post { }
	chain mangle_PRE_public { jump mangle_PRE_public_pre; jump mangle_PRE_public_log; jump mangle_PRE_public_deny; jump mangle_PRE_public_allow; jump mangle_PRE_public_post; }
	chain mangle_PRE_public_pre { }
	chain mangle_PRE_public_log { }
	chain mangle_PRE_public_deny { }
	chain mangle_PRE_public_allow { }
	chain mangle_PRE_public_post { }

	chain nat_PREROUTING { type nat hook prerouting priority dstnat + 10; policy accept;
		jump nat_PREROUTING_POLICIES; }
	chain nat_PREROUTING_POLICIES {
		iifname "eth0" jump nat_PRE_policy_allow-host-ipv6
		iifname "eth0" jump nat_PRE_external
		iifname "eth0" return
		iifname "eth1" jump nat_PRE_policy_allow-host-ipv6
		iifname "eth1" jump nat_PRE_public
		iifname "eth1" return
		jump nat_PRE_policy_allow-host-ipv6
		jump nat_PRE_public
		return
	}
	chain nat_PRE_policy_allow-host-ipv6 { }
	chain nat_PRE_external { }
	chain nat_PRE_public { }
	chain nat_POSTROUTING { type nat hook postrouting priority srcnat + 10; policy accept;
		jump nat_POSTROUTING_POLICIES; }
	chain nat_POSTROUTING_POLICIES {
		iifname "eth1" oifname "eth0" jump nat_POST_policy_lan-out
		iifname "eth1" oifname "eth0" jump nat_POST_external
		iifname "eth1" oifname "eth0" return
		oifname "eth0" jump nat_POST_external
		oifname "eth0" return
		oifname "eth1" jump nat_POST_public
		oifname "eth1" return
		jump nat_POST_public
		return
	}
	chain nat_POST_policy_lan-out { }
	chain nat_POST_external { jump nat_POST_external_pre; jump nat_POST_external_log; jump nat_POST_external_deny; jump nat_POST_external_allow; jump nat_POST_external_post; }
	chain nat_POST_external_pre { }
	chain nat_POST_external_log { }
	chain nat_POST_external_deny { }
	chain nat_POST_external_allow { meta nfproto ipv4 oifname != "lo" masquerade; }
	chain nat_POST_external_post { }
	chain nat_POST_public { }
	chain nat_OUTPUT { type nat hook output priority -90; policy accept;
		jump nat_OUTPUT_POLICIES; }
	chain nat_OUTPUT_POLICIES { }

	chain filter_PREROUTING { type filter hook prerouting priority filter + 10; policy accept;
		icmpv6 type { nd-router-advert, nd-neighbor-solicit } accept
		meta nfproto ipv6 fib saddr . mark . iif oif missing drop
	}
	chain filter_INPUT { type filter hook input priority filter + 10; policy accept;
		ct state { established, related } accept
		ct status dnat accept
		iifname "lo" accept
		ct state invalid drop
		jump filter_INPUT_POLICIES
		reject with icmpx admin-prohibited
	}
	chain filter_FORWARD { type filter hook forward priority filter + 10; policy accept;
		ct state { established, related } accept
		ct status dnat accept
		iifname "lo" accept
		ct state invalid drop
		ip6 daddr { ::/96, ::ffff:0.0.0.0/96, 2002::/24, 2002:a00::/24, 2002:7f00::/24, 2002:a9fe::/32, 2002:ac10::/28, 2002:c0a8::/32, 2002:e000::/19 } reject with icmpv6 addr-unreachable
		jump filter_FORWARD_POLICIES
		reject with icmpx admin-prohibited
	}
	chain filter_OUTPUT { type filter hook output priority filter + 10; policy accept;
		ct state { established, related } accept
		oifname "lo" accept
		ip6 daddr { ::/96, ::ffff:0.0.0.0/96, 2002::/24, 2002:a00::/24, 2002:7f00::/24, 2002:a9fe::/32, 2002:ac10::/28, 2002:c0a8::/32, 2002:e000::/19 } reject with icmpv6 addr-unreachable
		jump filter_OUTPUT_POLICIES
	}
	chain filter_INPUT_POLICIES {
		iifname "eth0" jump filter_IN_policy_allow-host-ipv6
		iifname "eth0" jump filter_IN_external
		iifname "eth0" reject with icmpx admin-prohibited
		iifname "eth1" jump filter_IN_policy_allow-host-ipv6
		iifname "eth1" jump filter_IN_public
		iifname "eth1" reject with icmpx admin-prohibited
		jump filter_IN_policy_allow-host-ipv6
		jump filter_IN_public
		reject with icmpx admin-prohibited
	}
	chain filter_FORWARD_POLICIES {
		iifname "eth0" oifname "eth0" jump filter_FWD_external
		iifname "eth0" oifname "eth0" reject with icmpx admin-prohibited
		iifname "eth0" oifname "eth1" reject with icmpx admin-prohibited
		iifname "eth0" reject with icmpx admin-prohibited
		iifname "eth1" oifname "eth0" jump filter_FWD_policy_lan-out
		iifname "eth1" oifname "eth0" reject with icmpx admin-prohibited
		iifname "eth1" oifname "eth1" jump filter_FWD_public
		iifname "eth1" oifname "eth1" reject with icmpx admin-prohibited
		iifname "eth1" reject with icmpx admin-prohibited
		reject with icmpx admin-prohibited
	}
	chain filter_OUTPUT_POLICIES {
		oifname "eth0" return
		oifname "eth1" return
		return
	}
	chain filter_IN_policy_allow-host-ipv6 { jump filter_IN_policy_allow-host-ipv6_pre; jump filter_IN_policy_allow-host-ipv6_log; jump filter_IN_policy_allow-host-ipv6_deny; jump filter_IN_policy_allow-host-ipv6_allow; jump filter_IN_policy_allow-host-ipv6_post; }
	chain filter_IN_policy_allow-host-ipv6_pre { }
	chain filter_IN_policy_allow-host-ipv6_log { }
	chain filter_IN_policy_allow-host-ipv6_deny { }
	chain filter_IN_policy_allow-host-ipv6_allow {
		icmpv6 type nd-neighbor-advert accept
		icmpv6 type nd-neighbor-solicit accept
		icmpv6 type nd-router-advert accept
		icmpv6 type nd-redirect accept
	}
	chain filter_IN_policy_allow-host-ipv6_post { }
	chain filter_IN_external { jump filter_IN_external_pre; jump filter_IN_external_log; jump filter_IN_external_deny; jump filter_IN_external_allow; jump filter_IN_external_post; meta l4proto { icmp, ipv6-icmp } accept; }
	chain filter_IN_external_pre { }
	chain filter_IN_external_log { }
	chain filter_IN_external_deny { }
	chain filter_IN_external_allow { tcp dport 22 accept; }
	chain filter_IN_external_post { }
	chain filter_IN_public { jump filter_IN_public_pre; jump filter_IN_public_log; jump filter_IN_public_deny; jump filter_IN_public_allow; jump filter_IN_public_post; meta l4proto { icmp, ipv6-icmp } accept; }
	chain filter_IN_public_pre { }
	chain filter_IN_public_log { }
	chain filter_IN_public_deny { }
	chain filter_IN_public_allow {
		tcp dport 22 accept
		ip6 daddr fe80::/64 udp dport 546 accept
	}
	chain filter_IN_public_post { }
	chain filter_FWD_external { jump filter_FWD_external_pre; jump filter_FWD_external_log; jump filter_FWD_external_deny; jump filter_FWD_external_allow; jump filter_FWD_external_post; }
	chain filter_FWD_external_pre { }
	chain filter_FWD_external_log { }
	chain filter_FWD_external_deny { }
	chain filter_FWD_external_allow { oifname "eth0" accept; }
	chain filter_FWD_external_post { }
	chain filter_FWD_public { jump filter_FWD_public_pre; jump filter_FWD_public_log; jump filter_FWD_public_deny; jump filter_FWD_public_allow; jump filter_FWD_public_post; }
	chain filter_FWD_public_pre { }
	chain filter_FWD_public_log { }
	chain filter_FWD_public_deny { }
	chain filter_FWD_public_allow { oifname "eth1" accept; }
	chain filter_FWD_public_post { }
	chain filter_FWD_policy_lan-out { jump filter_FWD_policy_lan-out_pre; jump filter_FWD_policy_lan-out_log; jump filter_FWD_policy_lan-out_deny; jump filter_FWD_policy_lan-out_allow; jump filter_FWD_policy_lan-out_post; accept; }
	chain filter_FWD_policy_lan-out_pre { }
	chain filter_FWD_policy_lan-out_log { }
	chain filter_FWD_policy_lan-out_deny { }
	chain filter_FWD_policy_lan-out_allow { }
	chain filter_FWD_policy_lan-out_post { }
}
NFT
mkdir -p /etc/firewalld
printf 'DefaultZone=public\nFirewallBackend=nftables\n' > /etc/firewalld/firewalld.conf
daemon firewalld
listener sshd tcp :: 22
listener dhcpv6 udp :: 546
listener dns udp 0.0.0.0 53
listener www tcp :: 443 internet
listener dns udp 0.0.0.0 53 internet
listener nas tcp :: 445 lan
listener web tcp :: 80 lan
wait_listening_in "" 22 546 53
wait_listening_in internet 443 53
wait_listening_in lan 445 80
