# The Kubernetes node of kube-proxy-iptables.sh (kube-proxy's iptables mode, the same rules from the
# same upstream files: see that script's header), written through iptables-nft-restore (the nf_tables
# backend of iptables, which kube-proxy's iptables-wrapper picks on hosts whose kubelet uses it, as on
# current distributions): the rules are nftables rules in tables ip filter / ip nat, their matches and
# targets partly `xt` expressions that the capture decodes into iptables-save text.
IPTABLES_RESTORE=iptables-nft-restore
. "$LAB/topologies/upstream/kube-proxy-iptables.sh"
hostname kube-proxy-iptables-nft
