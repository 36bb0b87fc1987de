# A Kubernetes node as kube-proxy's iptables mode (`--proxy-mode=iptables`, the default) programs it,
# with the iptables-legacy backend (x_tables; kube-proxy's iptables-wrapper picks legacy on hosts whose
# kubelet already uses it), written as the proxier writes it: `iptables-restore --noflush` of the
# filter and nat tables, the built-in chains' jumps first (EnsureRule).
#
# Written from what these upstream files show (github:kubernetes/kubernetes, pkg/proxy/iptables/), not
# copied from them:
#   proxier.go       iptablesJumpChains (filter INPUT / FORWARD / OUTPUT jumps to KUBE-PROXY-FIREWALL,
#                    KUBE-NODEPORTS, KUBE-EXTERNAL-SERVICES, KUBE-SERVICES, KUBE-FORWARD with
#                    `-m conntrack --ctstate NEW` where the proxier adds it; nat PREROUTING / OUTPUT to
#                    KUBE-SERVICES, POSTROUTING to KUBE-POSTROUTING), syncProxyRules (KUBE-MARK-MASQ
#                    `--or-mark 0x4000`, KUBE-POSTROUTING `! --mark 0x4000/0x4000 RETURN`, `--xor-mark`,
#                    MASQUERADE --random-fully; per service port the cluster IP rule to KUBE-SVC-*, the
#                    `! -s <cluster CIDR>` masquerade mark, KUBE-EXT-* for a NodePort with Cluster traffic
#                    policy, `-m statistic --mode random --probability 1/(n-i)` to each KUBE-SEP-*, the
#                    endpoint's hairpin mark and DNAT; filter KUBE-SERVICES REJECT of a service without
#                    endpoints; the last KUBE-SERVICES rule `-m addrtype --dst-type LOCAL -j
#                    KUBE-NODEPORTS`), servicePortChainName / servicePortEndpointChainName (chain names:
#                    "KUBE-SVC-" / "KUBE-SEP-" + the first 16 characters of base32(sha256(
#                    "ns/name:port" + protocol [+ "ip:port"])), computed for the names below),
#                    KUBE-FORWARD (ctstate INVALID drop, the 0x4000 mark accept, RELATED,ESTABLISHED accept)
#                    and kubelet's KUBE-FIREWALL localnet rule
#   proxier_test.go  TestOverallIPTablesRules (commit 2bb4b1042df816123e7d4ccbd4cebab411519465: the
#                    ruleset the proxier writes, the form iptables-save prints it in)
# Departures: no `-m nfacct` accounting matches (they need nfacct objects this sandbox does not make;
# they always match) and no localhost NodePort rules (--iptables-localhost-nodeports=false).
#
# The node and its pods are those of kube-proxy-nftables.sh: eth0 192.168.0.2/24 (the node IP),
# default route via 192.168.0.1 in `internet` (which routes the cluster CIDR 10.244.0.0/16 and the
# service CIDR 10.96.0.0/12 to the node), pods in CNI namespaces on cni0 (10.244.0.1/24, hairpin on),
# br_netfilter on. Services (cluster CIDR 10.244.0.0/16):
#   default/kubernetes    ClusterIP 10.96.0.1    tcp 443 -> 192.168.0.2:6443
#   kube-system/kube-dns  ClusterIP 10.96.0.10   udp 53 and tcp 53 -> coredns 10.244.0.2:53
#   shop/web              NodePort  10.96.120.15 tcp 80, node port 30080 -> 10.244.0.3:8080 and
#                                                10.244.0.4:8080 (statistic random 0.5)
#   shop/api              ClusterIP 10.96.45.3   tcp 9000, no ready endpoint: rejected
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

"${IPTABLES_RESTORE:-iptables-legacy-restore}" --noflush <<'RULES'
*filter
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-SERVICES -d 10.96.45.3/32 -p tcp -m comment --comment "shop/api:grpc has no endpoints" -m tcp --dport 9000 -j REJECT --reject-with icmp-port-unreachable
COMMIT
*nat
:KUBE-EXT-67NZLRHBNDSAWJRO - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-CQRAHCCC7XPEWYB2 - [0:0]
:KUBE-SEP-HI4GHS37SMGJFJWJ - [0:0]
:KUBE-SEP-IT2ZTR26TO4XFPTO - [0:0]
:KUBE-SEP-NIKZ6PCBEJFQLK7F - [0:0]
:KUBE-SEP-YIL6JZP7A3QYXJU2 - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-67NZLRHBNDSAWJRO - [0:0]
:KUBE-SVC-ERIFXISQEP7F7OF4 - [0:0]
:KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]
:KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-EXT-67NZLRHBNDSAWJRO -m comment --comment "masquerade traffic for shop/web:http external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-67NZLRHBNDSAWJRO -j KUBE-SVC-67NZLRHBNDSAWJRO
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-NODEPORTS -p tcp -m comment --comment "shop/web:http" -m tcp --dport 30080 -j KUBE-EXT-67NZLRHBNDSAWJRO
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SEP-CQRAHCCC7XPEWYB2 -s 192.168.0.2/32 -m comment --comment "default/kubernetes:https" -j KUBE-MARK-MASQ
-A KUBE-SEP-CQRAHCCC7XPEWYB2 -p tcp -m comment --comment "default/kubernetes:https" -m tcp -j DNAT --to-destination 192.168.0.2:6443
-A KUBE-SEP-HI4GHS37SMGJFJWJ -s 10.244.0.4/32 -m comment --comment "shop/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-HI4GHS37SMGJFJWJ -p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination 10.244.0.4:8080
-A KUBE-SEP-IT2ZTR26TO4XFPTO -s 10.244.0.2/32 -m comment --comment "kube-system/kube-dns:dns-tcp" -j KUBE-MARK-MASQ
-A KUBE-SEP-IT2ZTR26TO4XFPTO -p tcp -m comment --comment "kube-system/kube-dns:dns-tcp" -m tcp -j DNAT --to-destination 10.244.0.2:53
-A KUBE-SEP-NIKZ6PCBEJFQLK7F -s 10.244.0.3/32 -m comment --comment "shop/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-NIKZ6PCBEJFQLK7F -p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination 10.244.0.3:8080
-A KUBE-SEP-YIL6JZP7A3QYXJU2 -s 10.244.0.2/32 -m comment --comment "kube-system/kube-dns:dns" -j KUBE-MARK-MASQ
-A KUBE-SEP-YIL6JZP7A3QYXJU2 -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.244.0.2:53
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y
-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -m tcp --dport 53 -j KUBE-SVC-ERIFXISQEP7F7OF4
-A KUBE-SERVICES -d 10.96.120.15/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-67NZLRHBNDSAWJRO
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-67NZLRHBNDSAWJRO ! -s 10.244.0.0/16 -d 10.96.120.15/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-67NZLRHBNDSAWJRO -m comment --comment "shop/web:http -> 10.244.0.3:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-NIKZ6PCBEJFQLK7F
-A KUBE-SVC-67NZLRHBNDSAWJRO -m comment --comment "shop/web:http -> 10.244.0.4:8080" -j KUBE-SEP-HI4GHS37SMGJFJWJ
-A KUBE-SVC-ERIFXISQEP7F7OF4 ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -m tcp --dport 53 -j KUBE-MARK-MASQ
-A KUBE-SVC-ERIFXISQEP7F7OF4 -m comment --comment "kube-system/kube-dns:dns-tcp -> 10.244.0.2:53" -j KUBE-SEP-IT2ZTR26TO4XFPTO
-A KUBE-SVC-NPX46M4PTMTKRN6Y ! -s 10.244.0.0/16 -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-MARK-MASQ
-A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment "default/kubernetes:https -> 192.168.0.2:6443" -j KUBE-SEP-CQRAHCCC7XPEWYB2
-A KUBE-SVC-TCOU7JCQXEZGVUNU ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-MARK-MASQ
-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.2:53" -j KUBE-SEP-YIL6JZP7A3QYXJU2
COMMIT
RULES

mkdir -p /etc/cni/net.d /etc/containerd
mkdir -p /var/lib/kubelet /var/lib/kube-proxy
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
iptables:
  localhostNodePorts: false
YAML
printf 'version = 2\n' > /etc/containerd/config.toml
daemon containerd
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
