# A Kubernetes node as kube-proxy's nftables mode (`--proxy-mode=nftables`) programs it: the table
# `ip kube-proxy`, written as the proxier's transaction (`nft -f` of add table / chain / rule /
# element commands, the form knftables hands to nft).
#
# Written from what these upstream files show (github:kubernetes/kubernetes, pkg/proxy/nftables/,
# proxier.go at b0f823e6ccd8a10b3893fc75011b9981af39285c, proxier_test.go at
# 030880a5dc5449403c6d1f0aa146a7dc21d6c6dc), not copied from them:
#   proxier.go  nftablesBaseChains (filter-prerouting / -input / -forward / -output at dstnat - 10,
#               filter-output-post-dnat at dstnat + 10, nat-prerouting / nat-output at dstnat,
#               nat-postrouting at srcnat), nftablesJumpChains (the "ct state new" jumps to
#               nodeport-endpoints-check, service-endpoints-check, firewall-check, cluster-ips-check;
#               services from the nat chains; masquerading from nat-postrouting), setupNFTables
#               (mark-for-masquerade `mark set mark or 0x4000`, masquerading `mark and 0x4000 == 0
#               return`, `mark set mark xor 0x4000`, `masquerade fully-random`; the sets and verdict maps
#               cluster-ips, nodeport-ips, service-ips, service-nodeports, no-endpoint-services,
#               no-endpoint-nodeports, firewall-ips; reject-chain; cluster-ips-check reject / drop),
#               syncProxyRules (per service port: the service- chain masquerading traffic from outside the
#               cluster CIDR, the external- chain of a NodePort with Cluster traffic policy, one
#               endpoint- chain per endpoint with its hairpin masquerade and `dnat to`, a service without
#               endpoints as a no-endpoint-services element going to reject-chain),
#               writeServiceToEndpointRules (`numgen random mod N vmap { i : goto endpoint-... }`),
#               hashAndTruncate / servicePortChainNameBase / servicePortEndpointChainNameBase (chain
#               names: the first 8 characters of base32(sha256(name)), "-", then
#               namespace/service/protocol/port[__ip/port])
#   proxier_test.go  baseRules and TestOverallNFTablesRules (the ruleset the proxier writes, with the
#               masquerade mark 0x4000 and nodeport-ips holding the node IP)
#
# The node: eth0 192.168.0.2/24 (the node IP and its only NodePort address), default route via
# 192.168.0.1 in the namespace `internet` (the network beyond: it owns outside addresses and routes
# the cluster CIDR 10.244.0.0/16 and the service CIDR 10.96.0.0/12 to this node, as cloud routes do).
# Pods in CNI namespaces (cni-<uuid>) on the bridge cni0 (10.244.0.1/24, hairpin on every port as the
# bridge plugin's hairpinMode sets it), br_netfilter on (net.bridge.bridge-nf-call-iptables=1, which
# kubeadm's preflight requires). Services:
#   default/kubernetes    ClusterIP 10.96.0.1    tcp 443 -> 192.168.0.2:6443 (kube-apiserver on the node)
#   kube-system/kube-dns  ClusterIP 10.96.0.10   udp 53 and tcp 53 -> coredns 10.244.0.2:53
#   shop/web              NodePort  10.96.120.15 tcp 80, node port 30080 -> web-a 10.244.0.3:8080 and
#                                                web-b 10.244.0.4:8080 (numgen random mod 2)
#   shop/api              ClusterIP 10.96.45.3   tcp 9000, no ready endpoint (its pod listens, unready):
#                                                rejected
ROLE="Kubernetes node"
hostname kube-proxy-nftables
sysctl -qw net.ipv4.ip_forward=1

ip netns add internet
veth_ns internet eth0 eth0 192.168.0.1/24
ip addr add 192.168.0.2/24 dev eth0
ip route add default via 192.168.0.1
ip -n internet addr add 203.0.113.2/32 dev lo
ip -n internet addr add 198.51.100.20/32 dev lo
ip -n internet route add 10.244.0.0/16 via 192.168.0.2
ip -n internet route add 10.96.0.0/12 via 192.168.0.2

ip link add cni0 type bridge
ip link set cni0 up
ip addr add 10.244.0.1/24 dev cni0
sysctl -qw net.bridge.bridge-nf-call-iptables=1

# pod N NAMESPACE/NAME ADDR: a pod sandbox's namespace (named by CNI), its veth on cni0, and the OCI
# config containerd's CRI plugin writes for it (which names the pod).
pod() {
  n=$1 pod=$2 addr=$3
  id=$(printf '%08x-%04x-4000-8000-%012x' "$((0x7c0d0000 + n))" "$n" "$n")
  ns="cni-$id"
  ip netns add "$ns"
  host_if=$(printf 'veth%08x' "$((0x2f4a0000 + n))")
  veth_ns "$ns" eth0 "$host_if" "$addr/24"
  ip link set "$host_if" master cni0
  # the bridge plugin's hairpinMode: a pod reaching itself through its service gets its frame back
  ip link set "$host_if" type bridge_slave hairpin on
  ip -n "$ns" route add default via 10.244.0.1
  mkdir -p /run/containerd
  mountpoint -q /run/containerd || mount -t tmpfs tmpfs /run/containerd
  task="/run/containerd/io.containerd.runtime.v2.task/k8s.io/$(printf '%064x' "$((0x100 + n))")"
  mkdir -p "$task"
  printf '{"annotations": {"io.kubernetes.cri.sandbox-name": "%s", "io.kubernetes.cri.sandbox-namespace": "%s", "io.kubernetes.cri.container-type": "sandbox"}, "linux": {"namespaces": [{"type": "network", "path": "/var/run/netns/%s"}]}}\n' \
    "${pod#*/}" "${pod%%/*}" "$ns" > "$task/config.json"
}
pod 1 kube-system/coredns-7db6d8ff4d-q2x9z 10.244.0.2
pod 2 shop/web-6f9c7b8d5-a1b2c 10.244.0.3
pod 3 shop/web-6f9c7b8d5-d3e4f 10.244.0.4
pod 4 shop/api-0 10.244.0.5
COREDNS=cni-7c0d0001-0001-4000-8000-000000000001
WEB_A=cni-7c0d0002-0002-4000-8000-000000000002
WEB_B=cni-7c0d0003-0003-4000-8000-000000000003
API=cni-7c0d0004-0004-4000-8000-000000000004

# The proxier's transaction: its setup (base chains, jumps, sets, maps, helper chains), then the
# services (kube-proxy --cluster-cidr=10.244.0.0/16, service CIDR 10.96.0.0/12,
# --nodeport-addresses=192.168.0.2/32, masquerade bit 14). One departure: the proxier asks for the
# filter chains at "dstnat - 10" / "dstnat + 10" and nat-output at "dstnat"; the nft here (1.0.6)
# accepts priority names only on the hooks they belong to, so those chains get the numbers the names
# stand for (-110, -90, -100), which is what the kernel holds either way.
nft -f - <<'NFT'
add table ip kube-proxy { comment "rules for kube-proxy" ; }

add chain ip kube-proxy filter-prerouting { type filter hook prerouting priority -110 ; }
add chain ip kube-proxy filter-input { type filter hook input priority -110 ; }
add chain ip kube-proxy filter-forward { type filter hook forward priority -110 ; }
add chain ip kube-proxy filter-output { type filter hook output priority -110 ; }
add chain ip kube-proxy filter-output-post-dnat { type filter hook output priority -90 ; }
add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority dstnat ; }
add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }
add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority srcnat ; }

add chain ip kube-proxy nodeport-endpoints-check
add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check
add chain ip kube-proxy service-endpoints-check
add rule ip kube-proxy filter-input ct state new jump service-endpoints-check
add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
add chain ip kube-proxy firewall-check
add rule ip kube-proxy filter-prerouting ct state new jump firewall-check
add rule ip kube-proxy filter-output ct state new jump firewall-check
add chain ip kube-proxy services
add rule ip kube-proxy nat-output jump services
add rule ip kube-proxy nat-prerouting jump services
add chain ip kube-proxy masquerading
add rule ip kube-proxy nat-postrouting jump masquerading
add chain ip kube-proxy cluster-ips-check
add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
add rule ip kube-proxy filter-output-post-dnat ct state new jump cluster-ips-check
add chain ip kube-proxy mark-for-masquerade

add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
add rule ip kube-proxy masquerading mark set mark xor 0x4000
add rule ip kube-proxy masquerading masquerade fully-random

add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
add rule ip kube-proxy cluster-ips-check ip daddr { 10.96.0.0/12 } drop comment "Drop traffic to unallocated ClusterIPs"

add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }
add element ip kube-proxy nodeport-ips { 192.168.0.2 }

add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }
add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }
add rule ip kube-proxy reject-chain reject
add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports

add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }
add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips

add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }
add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports

# default/kubernetes:https
add chain ip kube-proxy endpoint-6ZNVLG73-default/kubernetes/tcp/https__192.168.0.2/6443
add chain ip kube-proxy service-2QRHZV4L-default/kubernetes/tcp/https
add element ip kube-proxy cluster-ips { 10.96.0.1 }
add element ip kube-proxy service-ips { 10.96.0.1 . tcp . 443 : goto service-2QRHZV4L-default/kubernetes/tcp/https }
add rule ip kube-proxy service-2QRHZV4L-default/kubernetes/tcp/https ip daddr 10.96.0.1 tcp dport 443 ip saddr != 10.244.0.0/16 jump mark-for-masquerade
add rule ip kube-proxy service-2QRHZV4L-default/kubernetes/tcp/https numgen random mod 1 vmap { 0 : goto endpoint-6ZNVLG73-default/kubernetes/tcp/https__192.168.0.2/6443 }
add rule ip kube-proxy endpoint-6ZNVLG73-default/kubernetes/tcp/https__192.168.0.2/6443 ip saddr 192.168.0.2 jump mark-for-masquerade
add rule ip kube-proxy endpoint-6ZNVLG73-default/kubernetes/tcp/https__192.168.0.2/6443 meta l4proto tcp dnat to 192.168.0.2:6443

# kube-system/kube-dns:dns
add chain ip kube-proxy endpoint-2GKX576Q-kube-system/kube-dns/udp/dns__10.244.0.2/53
add chain ip kube-proxy service-FY5PMXPG-kube-system/kube-dns/udp/dns
add element ip kube-proxy cluster-ips { 10.96.0.10 }
add element ip kube-proxy service-ips { 10.96.0.10 . udp . 53 : goto service-FY5PMXPG-kube-system/kube-dns/udp/dns }
add rule ip kube-proxy service-FY5PMXPG-kube-system/kube-dns/udp/dns ip daddr 10.96.0.10 udp dport 53 ip saddr != 10.244.0.0/16 jump mark-for-masquerade
add rule ip kube-proxy service-FY5PMXPG-kube-system/kube-dns/udp/dns numgen random mod 1 vmap { 0 : goto endpoint-2GKX576Q-kube-system/kube-dns/udp/dns__10.244.0.2/53 }
add rule ip kube-proxy endpoint-2GKX576Q-kube-system/kube-dns/udp/dns__10.244.0.2/53 ip saddr 10.244.0.2 jump mark-for-masquerade
add rule ip kube-proxy endpoint-2GKX576Q-kube-system/kube-dns/udp/dns__10.244.0.2/53 meta l4proto udp dnat to 10.244.0.2:53

# kube-system/kube-dns:dns-tcp
add chain ip kube-proxy endpoint-BFW5VCWB-kube-system/kube-dns/tcp/dns-tcp__10.244.0.2/53
add chain ip kube-proxy service-NWBZK7IH-kube-system/kube-dns/tcp/dns-tcp
add element ip kube-proxy service-ips { 10.96.0.10 . tcp . 53 : goto service-NWBZK7IH-kube-system/kube-dns/tcp/dns-tcp }
add rule ip kube-proxy service-NWBZK7IH-kube-system/kube-dns/tcp/dns-tcp ip daddr 10.96.0.10 tcp dport 53 ip saddr != 10.244.0.0/16 jump mark-for-masquerade
add rule ip kube-proxy service-NWBZK7IH-kube-system/kube-dns/tcp/dns-tcp numgen random mod 1 vmap { 0 : goto endpoint-BFW5VCWB-kube-system/kube-dns/tcp/dns-tcp__10.244.0.2/53 }
add rule ip kube-proxy endpoint-BFW5VCWB-kube-system/kube-dns/tcp/dns-tcp__10.244.0.2/53 ip saddr 10.244.0.2 jump mark-for-masquerade
add rule ip kube-proxy endpoint-BFW5VCWB-kube-system/kube-dns/tcp/dns-tcp__10.244.0.2/53 meta l4proto tcp dnat to 10.244.0.2:53

# shop/web:http (NodePort 30080, externalTrafficPolicy Cluster)
add chain ip kube-proxy endpoint-56O3LCUN-shop/web/tcp/http__10.244.0.3/8080
add chain ip kube-proxy endpoint-MOFWPWZZ-shop/web/tcp/http__10.244.0.4/8080
add chain ip kube-proxy service-KHN6ECMT-shop/web/tcp/http
add chain ip kube-proxy external-KHN6ECMT-shop/web/tcp/http
add element ip kube-proxy cluster-ips { 10.96.120.15 }
add element ip kube-proxy service-ips { 10.96.120.15 . tcp . 80 : goto service-KHN6ECMT-shop/web/tcp/http }
add element ip kube-proxy service-nodeports { tcp . 30080 : goto external-KHN6ECMT-shop/web/tcp/http }
add rule ip kube-proxy service-KHN6ECMT-shop/web/tcp/http ip daddr 10.96.120.15 tcp dport 80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade
add rule ip kube-proxy external-KHN6ECMT-shop/web/tcp/http jump mark-for-masquerade
add rule ip kube-proxy external-KHN6ECMT-shop/web/tcp/http goto service-KHN6ECMT-shop/web/tcp/http
add rule ip kube-proxy service-KHN6ECMT-shop/web/tcp/http numgen random mod 2 vmap { 0 : goto endpoint-56O3LCUN-shop/web/tcp/http__10.244.0.3/8080 , 1 : goto endpoint-MOFWPWZZ-shop/web/tcp/http__10.244.0.4/8080 }
add rule ip kube-proxy endpoint-56O3LCUN-shop/web/tcp/http__10.244.0.3/8080 ip saddr 10.244.0.3 jump mark-for-masquerade
add rule ip kube-proxy endpoint-56O3LCUN-shop/web/tcp/http__10.244.0.3/8080 meta l4proto tcp dnat to 10.244.0.3:8080
add rule ip kube-proxy endpoint-MOFWPWZZ-shop/web/tcp/http__10.244.0.4/8080 ip saddr 10.244.0.4 jump mark-for-masquerade
add rule ip kube-proxy endpoint-MOFWPWZZ-shop/web/tcp/http__10.244.0.4/8080 meta l4proto tcp dnat to 10.244.0.4:8080

# shop/api:grpc (no ready endpoint)
add element ip kube-proxy cluster-ips { 10.96.45.3 }
add element ip kube-proxy no-endpoint-services { 10.96.45.3 . tcp . 9000 comment "shop/api:grpc" : goto reject-chain }
NFT

mkdir -p /etc/cni/net.d /etc/containerd
mkdir -p /var/lib/kubelet /var/lib/kube-proxy  # /etc and /var/lib: the sandbox's overlays (prelude)
cat > /etc/cni/net.d/10-bridge.conflist <<'JSON'
{"name": "k8s-pod-network", "cniVersion": "1.0.0", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
JSON
cat > /var/lib/kube-proxy/config.conf <<'YAML'
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clusterCIDR: 10.244.0.0/16
nodePortAddresses: ["192.168.0.2/32"]
YAML
printf 'version = 2\n' > /etc/containerd/config.toml
daemon containerd
# Listeners: the pods (api-0 listens but is not ready), the control plane and kubelet on the node,
# and servers beyond.
listener coredns udp 0.0.0.0 53 "$COREDNS"
listener coredns tcp 0.0.0.0 53 "$COREDNS"
listener web tcp 0.0.0.0 8080 "$WEB_A"
listener web tcp 0.0.0.0 8080 "$WEB_B"
listener api tcp 0.0.0.0 9000 "$API"
listener kube-apiserver tcp 0.0.0.0 6443
listener kubelet tcp 0.0.0.0 10250
listener kube-proxy tcp 127.0.0.1 10249
listener www tcp 0.0.0.0 443 internet
listener dns udp 0.0.0.0 53 internet
wait_listening_in "$COREDNS" 53
wait_listening_in "$WEB_A" 8080
wait_listening_in "$WEB_B" 8080
wait_listening_in "$API" 9000
wait_listening_in "" 6443 10250 10249
wait_listening_in internet 443 53
