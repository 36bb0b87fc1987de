# A Docker host as Docker Engine 28's iptables firewall backend leaves it, with rules installed through
# the iptables-nft command (the nf_tables backend of iptables, Debian's default: `iptables -V` says
# "(nf_tables)"), so they are nftables rules whose matches and targets are partly `xt` expressions.
#
# Written from what these upstream files show (github:moby/moby, tag v28.5.2), not copied from them:
#   libnetwork/drivers/bridge/internal/iptabler/iptabler.go   setupIPChains: chains DOCKER (nat and
#       filter), DOCKER-FORWARD, DOCKER-BRIDGE, DOCKER-CT, DOCKER-ISOLATION-STAGE-1/-2; jumps
#       FORWARD -> DOCKER-FORWARD -> DOCKER-CT, DOCKER-ISOLATION-STAGE-1, DOCKER-BRIDGE (each
#       EnsureJumpRule inserts at the top, so they end up in that order)
#   libnetwork/drivers/bridge/internal/iptabler/network.go    addNATJumpRules (addrtype LOCAL jumps to
#       nat DOCKER, OUTPUT skipping 127.0.0.0/8 without hairpin), setDefaultForwardRule
#       (! -i br -o br DROP), the DOCKER-CT conntrack accept, DOCKER-BRIDGE -o br -> DOCKER, MASQUERADE
#       of the subnet ! -o br, "-i br -j ACCEPT" (icc on), the nat "-i br -j RETURN" with the userland
#       proxy on, setINC (isolation between networks)
#   libnetwork/drivers/bridge/internal/iptabler/port.go       setPerPortNAT (DNAT ! -i br for a
#       published port), setPerPortForwarding (filter DOCKER accept, inserted above the DROP)
#   libnetwork/drivers/bridge/internal/iptabler/endpoint.go   filterDirectAccess (raw PREROUTING drop
#       of packets to a container address that do not come from its bridge)
#   libnetwork/firewall_linux.go                              setupUserChain (DOCKER-USER, empty, jumped
#       to first from FORWARD), and its goldens libnetwork/testdata/TestUserChain_iptables-true_append-
#       false_{fwdafter4,usrafter4,dockerfwdafter4}
#   libnetwork/drivers/bridge/setup_ip_forwarding.go          dockerd turning ip_forward on sets FORWARD's
#       policy to DROP
#   libnetwork/drivers/bridge/bridge_linux.go                 br_netfilter only for icc=false or without
#       the userland proxy (so the default config does not ask for it)
#   libnetwork/drivers/bridge/internal/iptabler/testdata/TestIptabler_hairpin=false,internal=false,
#       icc=true,masq=true,snat=false,gwm=nat,bindlh=false__iptables.golden   (the resulting ruleset)
#
# Two networks: the default bridge docker0 (172.17.0.0/16) with `web` (nginx, -p 8080:80) and
# `resolver` (coredns, -p 5353:53/udp), and a user-defined network `backend` (br-3c1e5a7d9f20,
# 172.18.0.0/16) with `db` (postgres, nothing published). The host's uplink eth0 (203.0.113.2/24,
# default route via 203.0.113.1) leads to the namespace `internet`, which owns outside addresses and
# routes 172.16.0.0/12 to the host (a neighbour that tries to reach containers directly, what the raw
# rules stop). docker-proxy (the userland proxy, on by default) listens on the published host ports.
# br_netfilter is loaded on this kernel, so bridged traffic runs the IP hooks
# (net.bridge.bridge-nf-call-iptables=1), as on a host where anything (kubelet, an earlier dockerd
# with icc=false) has loaded the module; Docker's default config would not load it itself.
ROLE="container host"
hostname docker-iptables
sysctl -qw net.ipv4.ip_forward=1

# The uplink and the far side.
ip netns add internet
veth_ns internet eth0 eth0 203.0.113.1/24
ip addr add 203.0.113.2/24 dev eth0
ip route add default via 203.0.113.1
ip -n internet addr add 198.51.100.10/32 dev lo
ip -n internet addr add 192.0.2.53/32 dev lo
ip -n internet route add 172.16.0.0/12 via 203.0.113.2

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
sysctl -qw net.bridge.bridge-nf-call-iptables=1
container 5b7e2c9a1d3f docker0 veth6a1b2c3 172.17.0.2/16 172.17.0.1 web nginx:1.27
container 8d4f1e6b2a7c docker0 veth9d8e7f6 172.17.0.3/16 172.17.0.1 resolver coredns/coredns:1.11.1
container e2a9c7b5f1d4 br-3c1e5a7d9f20 veth4c5d6e7 172.18.0.2/16 172.18.0.1 db postgres:16

# The rules, in the order `iptables-save` lists what dockerd leaves (networks docker0 then backend,
# then the containers' endpoints and published ports).
iptables -t raw -A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP
iptables -t raw -A PREROUTING -d 172.17.0.3/32 ! -i docker0 -j DROP
iptables -t raw -A PREROUTING -d 172.18.0.2/32 ! -i br-3c1e5a7d9f20 -j DROP

iptables -t filter -P FORWARD DROP
for chain in DOCKER DOCKER-BRIDGE DOCKER-CT DOCKER-FORWARD DOCKER-ISOLATION-STAGE-1 \
  DOCKER-ISOLATION-STAGE-2 DOCKER-USER; do
  iptables -t filter -N "$chain"
done
iptables -t filter -A FORWARD -j DOCKER-USER
iptables -t filter -A FORWARD -j DOCKER-FORWARD
iptables -t filter -A DOCKER -d 172.17.0.3/32 ! -i docker0 -o docker0 -p udp -m udp --dport 53 -j ACCEPT
iptables -t filter -A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
iptables -t filter -A DOCKER ! -i docker0 -o docker0 -j DROP
iptables -t filter -A DOCKER ! -i br-3c1e5a7d9f20 -o br-3c1e5a7d9f20 -j DROP
iptables -t filter -A DOCKER-BRIDGE -o docker0 -j DOCKER
iptables -t filter -A DOCKER-BRIDGE -o br-3c1e5a7d9f20 -j DOCKER
iptables -t filter -A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -t filter -A DOCKER-CT -o br-3c1e5a7d9f20 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -t filter -A DOCKER-FORWARD -j DOCKER-CT
iptables -t filter -A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1
iptables -t filter -A DOCKER-FORWARD -j DOCKER-BRIDGE
iptables -t filter -A DOCKER-FORWARD -i docker0 -j ACCEPT
iptables -t filter -A DOCKER-FORWARD -i br-3c1e5a7d9f20 -j ACCEPT
iptables -t filter -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
iptables -t filter -A DOCKER-ISOLATION-STAGE-1 -i br-3c1e5a7d9f20 ! -o br-3c1e5a7d9f20 -j DOCKER-ISOLATION-STAGE-2
iptables -t filter -A DOCKER-ISOLATION-STAGE-2 -o br-3c1e5a7d9f20 -j DROP
iptables -t filter -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP

iptables -t nat -N DOCKER
iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
iptables -t nat -A POSTROUTING -s 172.18.0.0/16 ! -o br-3c1e5a7d9f20 -j MASQUERADE
iptables -t nat -A DOCKER -i docker0 -j RETURN
iptables -t nat -A DOCKER -i br-3c1e5a7d9f20 -j RETURN
iptables -t nat -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
iptables -t nat -A DOCKER ! -i docker0 -p udp -m udp --dport 5353 -j DNAT --to-destination 172.17.0.3:53

mkdir -p /etc/docker
printf '{"log-driver": "journald"}\n' > /etc/docker/daemon.json
daemon containerd
daemon dockerd
# The services: in the containers, docker-proxy on the published host ports, sshd on the host, and
# servers on the far side.
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
