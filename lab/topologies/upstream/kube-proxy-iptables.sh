# A Kubernetes node as kube-proxy's iptables mode (the default `--proxy-mode=iptables`) programs it,
# through iptables-nft (`iptables -V`: "(nf_tables)", the default of current distributions): the same
# node, pods and services as upstream/kube-proxy-nftables, so the two modes can be compared.
#
# Written from what these upstream files show (github:kubernetes/kubernetes), not copied from them:
#   pkg/proxy/iptables/proxier.go  iptablesJumpChains (filter INPUT/FORWARD/OUTPUT `-m conntrack --ctstate
#       NEW` jumps to KUBE-EXTERNAL-SERVICES / KUBE-SERVICES / KUBE-PROXY-FIREWALL, INPUT to KUBE-NODEPORTS,
#       FORWARD to KUBE-FORWARD; nat PREROUTING/OUTPUT to KUBE-SERVICES, POSTROUTING to KUBE-POSTROUTING),
#       syncProxyRules (KUBE-SERVICES per service port `-d IP -p PROTO --dport PORT -j KUBE-SVC-...`,
#       the final `-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`, KUBE-NODEPORTS to KUBE-EXT-..., the
#       KUBE-SVC chains' `! -s CLUSTER_CIDR -j KUBE-MARK-MASQ` and `-m statistic --mode random
#       --probability` jumps to the KUBE-SEP chains, each KUBE-SEP's hairpin `-s POD -j KUBE-MARK-MASQ`
#       and `-j DNAT --to-destination`, a service without endpoints rejected in filter KUBE-SERVICES,
#       KUBE-MARK-MASQ `--or-mark 0x4000`, KUBE-POSTROUTING `! --mark 0x4000/0x4000 RETURN`,
#       `--xor-mark 0x4000`, `MASQUERADE --random-fully`, KUBE-FORWARD's INVALID drop, mark accept and
#       RELATED,ESTABLISHED accept)
#   pkg/proxy/iptables/proxier_test.go  (TestParseIPTablesData's ruleset and the expected dumps: the
#       same rules as iptables-save prints them)
# Chain name hashes (KUBE-SVC-..., KUBE-SEP-...) are written by hand in the upstream form (16 base32
# characters); the proxier derives them from a sha256 of the service port (and endpoint) name.
ROLE="Kubernetes node"
hostname kube-proxy-iptables
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

iptables-restore <<'IPT'
*filter
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-SERVICES -m comment --comment "shop/api:grpc has no endpoints" -m tcp -p tcp -d 10.96.45.3 --dport 9000 -j REJECT --reject-with icmp-port-unreachable
COMMIT
*nat
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]
:KUBE-SEP-7DX2KQ4LZB3WRF6N - [0:0]
:KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]
:KUBE-SEP-Q5DJ3XBV7KRN2HLA - [0:0]
:KUBE-SVC-ERIFXISQEP7F7OF4 - [0:0]
:KUBE-SEP-M2BFJ4WQ6YHZ3KPD - [0:0]
:KUBE-EXT-KHN6ECMTQP3SXJZL - [0:0]
:KUBE-SVC-KHN6ECMTQP3SXJZL - [0:0]
:KUBE-SEP-56O3LCUNE4RWJ2QX - [0:0]
:KUBE-SEP-MOFWPWZZT6QHK3VB - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -m comment --comment "default/kubernetes:https cluster IP" -m tcp -p tcp -d 10.96.0.1 --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y
-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp -p udp -d 10.96.0.10 --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU
-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 53 -j KUBE-SVC-ERIFXISQEP7F7OF4
-A KUBE-SERVICES -m comment --comment "shop/web:http cluster IP" -m tcp -p tcp -d 10.96.120.15 --dport 80 -j KUBE-SVC-KHN6ECMTQP3SXJZL
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-NODEPORTS -m comment --comment shop/web:http -m tcp -p tcp --dport 30080 -j KUBE-EXT-KHN6ECMTQP3SXJZL
-A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment "default/kubernetes:https cluster IP" -m tcp -p tcp -d 10.96.0.1 --dport 443 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
-A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment "default/kubernetes:https -> 192.168.0.2:6443" -j KUBE-SEP-7DX2KQ4LZB3WRF6N
-A KUBE-SEP-7DX2KQ4LZB3WRF6N -m comment --comment default/kubernetes:https -s 192.168.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-7DX2KQ4LZB3WRF6N -m comment --comment default/kubernetes:https -m tcp -p tcp -j DNAT --to-destination 192.168.0.2:6443
-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp -p udp -d 10.96.0.10 --dport 53 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.2:53" -j KUBE-SEP-Q5DJ3XBV7KRN2HLA
-A KUBE-SEP-Q5DJ3XBV7KRN2HLA -m comment --comment kube-system/kube-dns:dns -s 10.244.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-Q5DJ3XBV7KRN2HLA -m comment --comment kube-system/kube-dns:dns -m udp -p udp -j DNAT --to-destination 10.244.0.2:53
-A KUBE-SVC-ERIFXISQEP7F7OF4 -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 53 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
-A KUBE-SVC-ERIFXISQEP7F7OF4 -m comment --comment "kube-system/kube-dns:dns-tcp -> 10.244.0.2:53" -j KUBE-SEP-M2BFJ4WQ6YHZ3KPD
-A KUBE-SEP-M2BFJ4WQ6YHZ3KPD -m comment --comment kube-system/kube-dns:dns-tcp -s 10.244.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-M2BFJ4WQ6YHZ3KPD -m comment --comment kube-system/kube-dns:dns-tcp -m tcp -p tcp -j DNAT --to-destination 10.244.0.2:53
-A KUBE-EXT-KHN6ECMTQP3SXJZL -m comment --comment "masquerade traffic for shop/web:http external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-KHN6ECMTQP3SXJZL -j KUBE-SVC-KHN6ECMTQP3SXJZL
-A KUBE-SVC-KHN6ECMTQP3SXJZL -m comment --comment "shop/web:http cluster IP" -m tcp -p tcp -d 10.96.120.15 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
-A KUBE-SVC-KHN6ECMTQP3SXJZL -m comment --comment "shop/web:http -> 10.244.0.3:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-56O3LCUNE4RWJ2QX
-A KUBE-SVC-KHN6ECMTQP3SXJZL -m comment --comment "shop/web:http -> 10.244.0.4:8080" -j KUBE-SEP-MOFWPWZZT6QHK3VB
-A KUBE-SEP-56O3LCUNE4RWJ2QX -m comment --comment shop/web:http -s 10.244.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-56O3LCUNE4RWJ2QX -m comment --comment shop/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.3:8080
-A KUBE-SEP-MOFWPWZZT6QHK3VB -m comment --comment shop/web:http -s 10.244.0.4 -j KUBE-MARK-MASQ
-A KUBE-SEP-MOFWPWZZT6QHK3VB -m comment --comment shop/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.4:8080
COMMIT
IPT
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
mode: iptables
clusterCIDR: 10.244.0.0/16
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
