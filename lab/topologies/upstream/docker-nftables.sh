# A Docker host as Docker Engine 29's nftables firewall backend (`"firewall-backend": "nftables"` in
# daemon.json) leaves it: the table `ip docker-bridges`, with the same two networks, containers and
# published ports as upstream/docker-iptables (so the two backends can be compared flow by flow).
#
# Written from what these upstream files show (github:moby/moby at
# b985e2313a8676e18072b442911fc8f64f17d440), not copied from them:
#   daemon/libnetwork/drivers/bridge/internal/nftabler/nftabler.go  the table and its base chains
#       (filter-FORWARD at filter, nat-PREROUTING / nat-OUTPUT at dstnat, nat-POSTROUTING at srcnat,
#       raw-PREROUTING at raw), the per-bridge verdict maps filter-forward-in-jumps (by oifname),
#       filter-forward-out-jumps (by iifname), nat-postrouting-in-jumps / -out-jumps, the jumps to
#       nat-prerouting-and-output for local destinations (`fib daddr type local`, OUTPUT skipping
#       127.0.0.0/8 with the userland proxy on)
#   daemon/libnetwork/drivers/bridge/internal/nftabler/network.go  per network: filter-forward-in__BR
#       (established,related accept; `iifname BR accept` with icc; published ports accepted; "UNPUBLISHED
#       PORT DROP"), filter-forward-out__BR (established,related accept; "OUTGOING" accept),
#       nat-postrouting-out__BR (`oifname != BR ip saddr SUBNET masquerade`), nat-postrouting-in__BR
#   daemon/libnetwork/drivers/bridge/internal/nftabler/port.go  published ports: `iifname != BR tcp dport
#       HOSTPORT dnat to CONTAINER:PORT` in nat-prerouting-and-output, the filter-forward-in__BR accept
#   daemon/libnetwork/drivers/bridge/internal/nftabler/endpoint.go  raw-PREROUTING "DROP DIRECT ACCESS"
#       (`ip daddr CONTAINER iifname != BR drop`)
#   daemon/libnetwork/drivers/bridge/internal/nftabler/testdata/TestNftabler/hairpin=false,internal=false,
#       icc=true,masq=true,snat=false,gwm=nat,bindlh=false__ip.golden  (one network's resulting ruleset)
# Departures: IPv4 only (the default bridge has no IPv6); nat-OUTPUT gets -100, the number `dstnat`
# stands for (this nft, 1.0.6, takes the name only on prerouting); br_netfilter off in this namespace
# (net.bridge.bridge-nf-call-iptables=0: Docker's default configuration does not load the module), so
# bridged traffic between containers does not run the IP hooks.
#
# The host: uplink eth0 203.0.113.2/24 (default via 203.0.113.1) to the namespace `internet`, which owns
# outside addresses and routes 172.16.0.0/12 to the host (a neighbour trying containers directly).
ROLE="container host"
hostname docker-nftables
sysctl -qw net.ipv4.ip_forward=1
ip netns add internet
veth_ns internet eth0 eth0 203.0.113.1/24
ip addr add 203.0.113.2/24 dev eth0
ip route add default via 203.0.113.1
ip -n internet addr add 198.51.100.10/32 dev lo
ip -n internet route add 172.16.0.0/12 via 203.0.113.2
mkdir -p /run/docker/netns

# container NETNS_ID BRIDGE HOST_VETH ADDR/LEN GATEWAY NAME IMAGE: a container's namespace bind-mounted
# where dockerd keeps it, a veth into the bridge, and the config.v2.json dockerd writes for it.
container() {
  cid=$1 br=$2 host_if=$3 addr=$4 gw=$5 name=$6 image=$7
  unshare --net sleep 3600 &
  pid=$!
  until [ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ]; do sleep 0.05; done
  touch "/run/docker/netns/$cid"
  mount --bind "/proc/$pid/ns/net" "/run/docker/netns/$cid"
  ip link add "$host_if" type veth peer name eth0 netns "$pid"
  in_ns "/run/docker/netns/$cid" ip link set lo up
  in_ns "/run/docker/netns/$cid" ip link set eth0 up
  in_ns "/run/docker/netns/$cid" ip addr add "$addr" dev eth0
  in_ns "/run/docker/netns/$cid" ip route add default via "$gw"
  ip link set "$host_if" master "$br" up
  mkdir -p /var/lib/docker
  mountpoint -q /var/lib/docker || mount -t tmpfs tmpfs /var/lib/docker
  id64=$(printf '%s%052d' "$cid" 0)
  mkdir -p "/var/lib/docker/containers/$id64"
  printf '{"ID": "%s", "Name": "/%s", "Config": {"Image": "%s"}, "NetworkSettings": {"SandboxKey": "/var/run/docker/netns/%s"}}\n' \
    "$id64" "$name" "$image" "$cid" > "/var/lib/docker/containers/$id64/config.v2.json"
}

# bridge_network NAME ADDR/LEN: a Docker bridge network's bridge device holding the gateway address.
bridge_network() {
  ip link add "$1" type bridge
  ip link set "$1" up
  ip addr add "$2" dev "$1"
}
bridge_network docker0 172.17.0.1/16
bridge_network br-3c1e5a7d9f20 172.18.0.1/16
sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null || true
container 5b7e2c9a1d3f docker0 veth6a1b2c3 172.17.0.2/16 172.17.0.1 web nginx:1.27
container 8d4f1e6b2a7c docker0 veth9d8e7f6 172.17.0.3/16 172.17.0.1 resolver coredns/coredns:1.11.1
container e2a9c7b5f1d4 br-3c1e5a7d9f20 veth4c5d6e7 172.18.0.2/16 172.18.0.1 db postgres:16

nft -f - <<'NFT'
table ip docker-bridges {
	map filter-forward-in-jumps {
		type ifname : verdict
		elements = { "docker0" : jump filter-forward-in__docker0, "br-3c1e5a7d9f20" : jump filter-forward-in__br-3c1e5a7d9f20 }
	}
	map filter-forward-out-jumps {
		type ifname : verdict
		elements = { "docker0" : jump filter-forward-out__docker0, "br-3c1e5a7d9f20" : jump filter-forward-out__br-3c1e5a7d9f20 }
	}
	map nat-postrouting-in-jumps {
		type ifname : verdict
		elements = { "docker0" : jump nat-postrouting-in__docker0, "br-3c1e5a7d9f20" : jump nat-postrouting-in__br-3c1e5a7d9f20 }
	}
	map nat-postrouting-out-jumps {
		type ifname : verdict
		elements = { "docker0" : jump nat-postrouting-out__docker0, "br-3c1e5a7d9f20" : jump nat-postrouting-out__br-3c1e5a7d9f20 }
	}
	chain filter-FORWARD {
		type filter hook forward priority filter; policy accept;
		oifname vmap @filter-forward-in-jumps
		iifname vmap @filter-forward-out-jumps
	}
	chain nat-OUTPUT {
		type nat hook output priority -100; policy accept;
		ip daddr != 127.0.0.0/8 fib daddr type local counter jump nat-prerouting-and-output
	}
	chain nat-POSTROUTING {
		type nat hook postrouting priority srcnat; policy accept;
		iifname vmap @nat-postrouting-out-jumps
		oifname vmap @nat-postrouting-in-jumps
	}
	chain nat-PREROUTING {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local counter jump nat-prerouting-and-output
	}
	chain nat-prerouting-and-output {
		iifname != "docker0" tcp dport 8080 counter dnat to 172.17.0.2:80 comment "DNAT"
		iifname != "docker0" udp dport 5353 counter dnat to 172.17.0.3:53 comment "DNAT"
	}
	chain raw-PREROUTING {
		type filter hook prerouting priority raw; policy accept;
		ip daddr 172.17.0.2 iifname != "docker0" counter drop comment "DROP DIRECT ACCESS"
		ip daddr 172.17.0.3 iifname != "docker0" counter drop comment "DROP DIRECT ACCESS"
		ip daddr 172.18.0.2 iifname != "br-3c1e5a7d9f20" counter drop comment "DROP DIRECT ACCESS"
	}
	chain filter-forward-in__docker0 {
		ct state established,related counter accept
		iifname "docker0" counter accept comment "ICC"
		ip daddr 172.17.0.2 tcp dport 80 counter accept
		ip daddr 172.17.0.3 udp dport 53 counter accept
		counter drop comment "UNPUBLISHED PORT DROP"
	}
	chain filter-forward-out__docker0 {
		ct state established,related counter accept
		counter accept comment "OUTGOING"
	}
	chain nat-postrouting-in__docker0 {
	}
	chain nat-postrouting-out__docker0 {
		oifname != "docker0" ip saddr 172.17.0.0/16 counter masquerade comment "MASQUERADE"
	}
	chain filter-forward-in__br-3c1e5a7d9f20 {
		ct state established,related counter accept
		iifname "br-3c1e5a7d9f20" counter accept comment "ICC"
		counter drop comment "UNPUBLISHED PORT DROP"
	}
	chain filter-forward-out__br-3c1e5a7d9f20 {
		ct state established,related counter accept
		counter accept comment "OUTGOING"
	}
	chain nat-postrouting-in__br-3c1e5a7d9f20 {
	}
	chain nat-postrouting-out__br-3c1e5a7d9f20 {
		oifname != "br-3c1e5a7d9f20" ip saddr 172.18.0.0/16 counter masquerade comment "MASQUERADE"
	}
}
NFT
mkdir -p /etc/docker
printf '{"firewall-backend": "nftables"}\n' > /etc/docker/daemon.json
daemon dockerd
daemon containerd
listener nginx tcp 0.0.0.0 80 /run/docker/netns/5b7e2c9a1d3f
listener coredns udp 0.0.0.0 53 /run/docker/netns/8d4f1e6b2a7c
listener postgres tcp 0.0.0.0 5432 /run/docker/netns/e2a9c7b5f1d4
listener docker-proxy tcp 0.0.0.0 8080
listener docker-proxy udp 0.0.0.0 5353
listener sshd tcp 0.0.0.0 22
listener www tcp 0.0.0.0 443 internet
listener dns udp 0.0.0.0 53 internet
wait_listening_in /run/docker/netns/5b7e2c9a1d3f 80
wait_listening_in /run/docker/netns/8d4f1e6b2a7c 53
wait_listening_in /run/docker/netns/e2a9c7b5f1d4 5432
wait_listening_in "" 8080 5353 22
wait_listening_in internet 443 53
