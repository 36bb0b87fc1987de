# The Docker host of docker-iptables-legacy.sh (Docker's iptables rules through iptables-legacy), whose
# admin also loaded the nftables wiki's "Simple ruleset for a server" (wiki.nftables.org,
# Simple_rule_set_for_a_server): an inet table whose input chain (priority 0, policy drop) accepts
# established and related traffic, loopback, ICMP echo under a rate limit, and ssh/http/https, and
# whose forward chain (priority 0) has policy drop. Both run on the same hooks: the x_tables filter
# table at priority 0 too, so the order between them is the kernel's (unknown to the snapshot), which
# cannot change a fate here (verdicts only); nat and raw run at their own priorities. A well-known
# clash: the nftables forward chain drops what Docker's FORWARD accepts.
. "$LAB/topologies/upstream/docker-iptables-legacy.sh"
hostname docker-legacy-nft-server
nft -f - <<'NFT'
table inet firewall {
    chain inbound_ipv4 {
        icmp type echo-request limit rate 5/second accept
    }
    chain inbound_ipv6 {
        icmpv6 type { nd-neighbor-solicit, nd-router-advert, nd-neighbor-advert } accept
        icmpv6 type echo-request limit rate 5/second accept
    }
    chain inbound {
        type filter hook input priority 0; policy drop;
        ct state vmap { established : accept, related : accept, invalid : drop }
        iifname lo accept
        meta protocol vmap { ip : jump inbound_ipv4, ip6 : jump inbound_ipv6 }
        tcp dport { 22, 80, 443 } accept
    }
    chain forward {
        type filter hook forward priority 0; policy drop;
    }
}
NFT
