# A container host: Docker-style namespaces (bind-mounted under /run/docker/netns, invisible to
# `ip netns`) on docker0, a container reachable only through /proc, a VM tap on its own bridge, and
# Docker's nftables NAT for a published port.
ROLE="container host"
hostname docker-01
ip netns add upstream
veth_ns upstream eth0 eth0 192.168.60.1/24
ip addr add 192.168.60.5/24 dev eth0
ip route add default via 192.168.60.1
ip link add docker0 type bridge
ip link set docker0 up
ip addr add 172.17.0.1/16 dev docker0
sysctl -qw net.ipv4.ip_forward=1
n=2
for cid in 3f2a1b9c8d7e 9a8b7c6d5e4f c0ffee123456; do
  unshare --net sleep 3600 &
  pid=$!
  sleep 0.2
  touch "/run/docker/netns/$cid"
  mount --bind "/proc/$pid/ns/net" "/run/docker/netns/$cid"
  host_if="veth$(printf '%s' "$cid" | cut -c1-7)"
  ip link add "$host_if" type veth peer name eth0 netns "$pid"
  nsenter --net="/proc/$pid/ns/net" ip link set lo up
  nsenter --net="/proc/$pid/ns/net" ip link set eth0 up
  nsenter --net="/proc/$pid/ns/net" ip addr add "172.17.0.$n/16" dev eth0
  nsenter --net="/proc/$pid/ns/net" ip route add default via 172.17.0.1
  ip link set "$host_if" master docker0 up
  # what dockerd writes for the container: its name, image and the namespace's bind mount (SandboxKey)
  mkdir -p /var/lib/docker
  mountpoint -q /var/lib/docker || mount -t tmpfs tmpfs /var/lib/docker
  id64=$(printf '%s%052d' "$cid" 0)
  case $n in 2) name=web image=nginx:1.27 ;; 3) name=api image=registry.example/shop/api:4.2 ;;
    *) name=redis image=redis:7 ;; esac
  mkdir -p "/var/lib/docker/containers/$id64"
  printf '{"ID": "%s", "Name": "/%s", "Config": {"Image": "%s"}, "NetworkSettings": {"SandboxKey": "/var/run/docker/netns/%s"}}\n' \
    "$id64" "$name" "$image" "$cid" > "/var/lib/docker/containers/$id64/config.v2.json"
  n=$((n + 1))
done
# A sidecar whose namespace nobody bind-mounted: found only through /proc/<pid>/ns/net.
mkdir -p /mnt/bin; ln -sf "$(readlink -f "$(command -v sleep)")" /mnt/bin/log-shipper
unshare --net /mnt/bin/log-shipper 3600 &
# A VM's tap device on its own STP bridge (this kernel has no bridge VLAN filtering).
ip link add br-vm type bridge stp_state 1 forward_delay 400
ip link set br-vm up
ip addr add 192.168.122.1/24 dev br-vm
ip tuntap add dev tap-vm1 mode tap
ip link set tap-vm1 master br-vm up
nft -f - <<'NFT'
table ip nat {
  chain DOCKER {
    iifname != "docker0" tcp dport 8080 dnat to 172.17.0.2:80 comment "published: web 8080->80"
  }
  chain PREROUTING {
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local jump DOCKER
  }
  chain OUTPUT {
    type nat hook output priority -100; policy accept;
    ip daddr != 127.0.0.0/8 fib daddr type local jump DOCKER
  }
  chain POSTROUTING {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 172.17.0.0/16 oifname != "docker0" masquerade
  }
}
table ip filter {
  chain DOCKER-USER {
    return
  }
  chain FORWARD {
    type filter hook forward priority filter; policy drop;
    jump DOCKER-USER
    oifname "docker0" ct state related,established accept
    iifname "docker0" accept
  }
}
NFT
mkdir -p /etc/docker
printf '{"log-driver": "journald"}\n' > /etc/docker/daemon.json
daemon containerd
daemon dockerd
listener docker-proxy tcp 0.0.0.0 8080
wait_listening 8080
