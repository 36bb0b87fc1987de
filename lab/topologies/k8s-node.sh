# A Kubernetes-style node (flannel VXLAN backend): pod namespaces named by CNI (cni-<id>), each with
# eth0 -> a veth on the cni0 bridge; flannel.1 (VXLAN VNI 1, port 8472) over the node's eth0 to the
# other nodes; kube-proxy style nftables service NAT; kubelet and containerd stand-ins.
# Needs NODE (1 or 2) and PODS (number of pods).
ROLE="Kubernetes node"
hostname "k8s-node-0$NODE"
other=$((3 - NODE))
ip netns add underlay
veth_ns underlay "uplink$NODE" eth0 "192.168.50.2$NODE/24"
ip addr add "192.168.50.1$NODE/24" dev eth0
ip route add default via 192.168.50.1 dev eth0 2>/dev/null || ip route add default dev eth0
ip link add cni0 type bridge
ip link set cni0 mtu 1450 up  # what the bridge plugin sets from flannel's FLANNEL_MTU (VXLAN: 1500 - 50)
ip addr add "10.244.$NODE.1/24" dev cni0
ip link add flannel.1 type vxlan id 1 local "192.168.50.1$NODE" dev eth0 dstport 8472 nolearning
ip link set flannel.1 mtu 1450 up
ip addr add "10.244.$NODE.0/32" dev flannel.1
ip neigh add "10.244.$other.0" lladdr "0a:58:0a:f4:0$other:00" dev flannel.1 nud permanent
bridge fdb append "0a:58:0a:f4:0$other:00" dev flannel.1 dst "192.168.50.1$other" self permanent
ip route add "10.244.$other.0/24" via "10.244.$other.0" dev flannel.1 onlink
sysctl -qw net.ipv4.ip_forward=1
i=1
while [ "$i" -le "$PODS" ]; do
  id=$(printf '%08x-%04x-4000-8000-%012x' "$((0x5eed0000 + NODE * 256 + i))" "$i" "$i")
  ns="cni-$id"
  host_if=$(printf 'veth%08x' "$((0x1a2b0000 + NODE * 256 + i))")
  ip netns add "$ns"
  veth_ns "$ns" eth0 "$host_if" "10.244.$NODE.$((i + 1))/24"
  ip link set "$host_if" master cni0
  bridge link set dev "$host_if" hairpin on  # the conflist's hairpinMode: true, as the bridge plugin does
  ip -n "$ns" route add default via "10.244.$NODE.1"
  # what containerd's CRI plugin writes for the pod sandbox: its OCI config names the pod and the netns
  case $i in 1) pod=kube-system/coredns-5d78c9869d-x$NODE ;; 2) pod=shop/web-7d9f8b6c5-$NODE ;;
    *) pod=shop/worker-$NODE-$i ;; esac
  mkdir -p /run/containerd
  mountpoint -q /run/containerd || mount -t tmpfs tmpfs /run/containerd
  task="/run/containerd/io.containerd.runtime.v2.task/k8s.io/$(printf '%064x' "$((NODE * 256 + i))")"
  mkdir -p "$task"
  printf '{"annotations": {"io.kubernetes.cri.sandbox-name": "%s", "io.kubernetes.cri.sandbox-namespace": "%s", "io.kubernetes.cri.container-type": "sandbox"}, "linux": {"namespaces": [{"type": "network", "path": "/var/run/netns/%s"}]}}\n' \
    "${pod#*/}" "${pod%%/*}" "$ns" > "$task/config.json"
  i=$((i + 1))
done
nft -f - <<'NFT'
table ip kube-proxy {
  comment "rules for kube-proxy"
  set cluster-ips {
    type ipv4_addr; comment "service cluster IPs"
    elements = { 10.96.0.1, 10.96.0.10 }
  }
  map service-ips {
    type ipv4_addr : verdict
    elements = { 10.96.0.1 : goto svc-default-kubernetes, 10.96.0.10 : goto svc-kube-system-kube-dns }
  }
  chain services {
    ip daddr vmap @service-ips
  }
  chain svc-default-kubernetes {
    tcp dport 443 dnat to 192.168.50.10:6443
  }
  chain svc-kube-system-kube-dns {
    udp dport 53 dnat to 10.244.1.2:53
  }
  chain nat-prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr @cluster-ips jump services
  }
  chain nat-output {
    type nat hook output priority -100; policy accept;
    ip daddr @cluster-ips jump services
  }
  chain nat-postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 10.244.0.0/16 ip daddr != 10.244.0.0/16 masquerade comment "pod egress"
  }
  chain filter-forward {
    type filter hook forward priority filter; policy accept;
    ct state invalid drop comment "kube-proxy: drop invalid"
  }
}
NFT
mkdir -p /etc/cni/net.d /etc/containerd
mkdir -p /var/lib/kubelet  # /var/lib is the sandbox's throwaway overlay (sandbox-prelude.sh)
cat > /etc/cni/net.d/10-flannel.conflist <<'JSON'
{"name": "cbr0", "cniVersion": "1.0.0", "plugins": [
  {"type": "flannel", "delegate": {"bridge": "cni0", "hairpinMode": true, "isDefaultGateway": true}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
JSON
printf 'version = 2\n' > /etc/containerd/config.toml
# what flanneld writes for the flannel CNI plugin (pod subnet, MTU, whether flanneld masquerades);
# /run/flannel gets a tmpfs of its own, like /run/containerd above
mkdir -p /run/flannel
mountpoint -q /run/flannel || mount -t tmpfs tmpfs /run/flannel
printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.%s.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' \
  "$NODE" > /run/flannel/subnet.env
daemon containerd
daemon flanneld
listener kubelet tcp 0.0.0.0 10250
listener kubelet tcp 127.0.0.1 10248
listener kube-proxy tcp 127.0.0.1 10249
wait_listening 10250 10248 10249
