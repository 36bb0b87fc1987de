# A Linux subnet router running tailscaled with its nftables firewall mode (TS_DEBUG_FIREWALL_MODE=
# nftables): the tun tailscale0, the policy routing that sends tailnet traffic to table 52 unless the
# packet carries the bypass mark, and the netfilter rules of its nftables runner.
#
# Written from what these upstream files show (github:tailscale/tailscale at
# de9ec7ee25627e0e518f53c710a3fc3d947c86c1), not copied from them:
#   util/linuxfw/nftables_runner.go  AddChains (tables `filter` and `nat` of families ip and ip6, the
#       conventional base chains INPUT / FORWARD (filter priority, policy accept) and POSTROUTING (srcnat),
#       the regular chains ts-input, ts-forward, ts-postrouting), AddHooks (`jump ts-...` from each base
#       chain), addBase4 / addBase6 (ts-input: accept from the tun; ts-forward: set the subnet-route mark
#       on packets from the tun (`mark and 0xff00ffff xor 0x40000`), accept packets with it, drop packets
#       from the CGNAT range towards the tun (IPv4), accept packets towards the tun), AddExternalCGNATRules
#       in drop mode (ts-input: return for the ChromeOS VM range 100.115.92.0/23, drop the CGNAT range
#       100.64.0.0/10 arriving on any other interface), AddLoopbackRule (accept from lo with the node's
#       own tailnet address, inserted first), AddSNATRule (ts-postrouting: masquerade packets carrying
#       the subnet-route mark). Their interface matches compare the name's bytes without its
#       terminating NUL (`Data: []byte(tunname)`), which nft lists as a wildcard ("tailscale0*").
#   wgengine/router/osrouter/router_linux.go  baseIPRules at ipPolicyPrefBase 5200 (5210 fwmark
#       0x80000/0xff0000 lookup main, 5230 the same lookup default, 5250 the same unreachable, 5270
#       lookup 52), table 52 ("tailscale") holding the tailnet's routes through the tun
#   tsconst/linuxfw.go  the marks (bypass 0x80000, subnet route 0x40000, mask 0xff0000)
# Departures: the tun is held by a process named tailscaled that reads nothing (no peer is reachable
# through it); table 52 holds the routes a netmap with one peer (100.64.0.2, which advertises
# 10.50.0.0/24) and MagicDNS (100.100.100.100) gives.
#
# The node: eth0 192.168.1.2/24 towards `internet` (router 192.168.1.1, which also owns 198.51.100.20 and
# 100.70.0.9, an address of its ISP's carrier-grade NAT); eth1 10.10.0.1/24 towards the LAN namespace
# `lan` it advertises to the tailnet.
ROLE="Tailscale subnet router"
hostname tailscale
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

nft -f - <<'NFT'
add table ip filter
add chain ip filter INPUT { type filter hook input priority filter; policy accept; }
add chain ip filter FORWARD { type filter hook forward priority filter; policy accept; }
add chain ip filter ts-input
add chain ip filter ts-forward
add table ip nat
add chain ip nat POSTROUTING { type nat hook postrouting priority srcnat; policy accept; }
add chain ip nat ts-postrouting
add rule ip filter INPUT jump ts-input
add rule ip filter FORWARD jump ts-forward
add rule ip nat POSTROUTING jump ts-postrouting
add rule ip filter ts-input iifname "tailscale0*" counter accept
add rule ip filter ts-forward iifname "tailscale0*" counter meta mark set meta mark & 0xff00ffff | 0x00040000
add rule ip filter ts-forward meta mark & 0x00ff0000 == 0x00040000 counter accept
add rule ip filter ts-forward oifname "tailscale0*" ip saddr 100.64.0.0/10 counter drop
add rule ip filter ts-forward oifname "tailscale0*" counter accept
add rule ip filter ts-input iifname != "tailscale0*" ip saddr 100.115.92.0/23 counter return
add rule ip filter ts-input iifname != "tailscale0*" ip saddr 100.64.0.0/10 counter drop
insert rule ip filter ts-input iifname "lo*" ip saddr 100.101.102.103 counter accept
add rule ip nat ts-postrouting meta mark & 0x00ff0000 == 0x00040000 counter masquerade
add table ip6 filter
add chain ip6 filter INPUT { type filter hook input priority filter; policy accept; }
add chain ip6 filter FORWARD { type filter hook forward priority filter; policy accept; }
add chain ip6 filter ts-input
add chain ip6 filter ts-forward
add table ip6 nat
add chain ip6 nat POSTROUTING { type nat hook postrouting priority srcnat; policy accept; }
add chain ip6 nat ts-postrouting
add rule ip6 filter INPUT jump ts-input
add rule ip6 filter FORWARD jump ts-forward
add rule ip6 nat POSTROUTING jump ts-postrouting
add rule ip6 filter ts-input iifname "tailscale0*" counter accept
add rule ip6 filter ts-forward iifname "tailscale0*" counter meta mark set meta mark & 0xff00ffff | 0x00040000
add rule ip6 filter ts-forward meta mark & 0x00ff0000 == 0x00040000 counter accept
add rule ip6 filter ts-forward oifname "tailscale0*" counter accept
insert rule ip6 filter ts-input iifname "lo*" ip6 saddr fd7a:115c:a1e0::1 counter accept
add rule ip6 nat ts-postrouting meta mark & 0x00ff0000 == 0x00040000 counter masquerade
NFT
mkdir -p /var/lib/tailscale
listener tailscaled udp 0.0.0.0 41641
listener sshd tcp :: 22
listener www tcp :: 443 internet
listener dns udp 0.0.0.0 53 internet
listener nas tcp :: 445 lan
wait_listening_in "" 22 41641
wait_listening_in internet 443 53
wait_listening_in lan 445
