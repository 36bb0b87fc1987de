# ruff: noqa: E501  (shell lines of rules, kept whole so that each reads as the project writes it)
"""The iptables rules that Docker, kube-proxy (iptables mode), Tailscale, Calico, firewalld's iptables
backend and fail2ban install, as shell commands for a sandbox (iptables-nft or iptables-legacy).

Written from what those projects' sources and documentation show they install (Docker's
libnetwork iptables driver, kube-proxy's proxier golden rules, Tailscale's linuxfw, Calico's
felix rule renderer, firewalld's ipXtables backend, fail2ban's iptables actions), reduced to one or
two rules per match/target option so that each option of issue 20 point 1 appears at least once.
`{ipt}` and `{ip6t}` are the iptables and ip6tables commands to use.
"""

from __future__ import annotations

IPSETS = """
ipset create f2b-sshd hash:ip
ipset add f2b-sshd 192.0.2.7
ipset add f2b-sshd 192.0.2.8
ipset create cali40all-ipam-pools hash:net
ipset add cali40all-ipam-pools 10.244.0.0/16
ipset add cali40all-ipam-pools 10.245.1.0/24
ipset create kube-ports hash:ip,port
ipset add kube-ports 10.96.0.10,udp:53
ipset add kube-ports 10.96.0.10,tcp:53
ipset create v6-blocked hash:ip family inet6
ipset add v6-blocked 2001:db8::7
ipset create some-ports bitmap:port range 1-1024
ipset add some-ports 22
ipset create all-sets list:set
ipset add all-sets f2b-sshd
"""

RULES = r"""
# Docker (bridge network, published port 8080 -> 172.17.0.2:80)
{ipt} -t nat -N DOCKER
{ipt} -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
{ipt} -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
{ipt} -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
{ipt} -t nat -A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
{ipt} -t nat -A DOCKER -i docker0 -j RETURN
{ipt} -t nat -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
{ipt} -N DOCKER
{ipt} -N DOCKER-USER
{ipt} -A FORWARD -j DOCKER-USER
{ipt} -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
{ipt} -A FORWARD -o docker0 -j DOCKER
{ipt} -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
{ipt} -A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
{ipt} -A DOCKER-USER -j RETURN
# kube-proxy, iptables mode
{ipt} -t nat -N KUBE-SERVICES
{ipt} -t nat -N KUBE-SVC-TCOU7JCQXEZGVUNU
{ipt} -t nat -N KUBE-SEP-AAAA
{ipt} -t nat -N KUBE-SEP-BBBB
{ipt} -t nat -N KUBE-MARK-MASQ
{ipt} -t nat -N KUBE-POSTROUTING
{ipt} -t nat -N KUBE-NODEPORTS
{ipt} -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
{ipt} -t nat -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
{ipt} -t nat -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
{ipt} -t nat -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
{ipt} -t nat -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
{ipt} -t nat -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
{ipt} -t nat -A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU
{ipt} -t nat -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
{ipt} -t nat -A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.5:53" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-AAAA
{ipt} -t nat -A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.6:53" -j KUBE-SEP-BBBB
{ipt} -t nat -A KUBE-SEP-AAAA -s 10.244.0.5/32 -m comment --comment "kube-system/kube-dns:dns" -j KUBE-MARK-MASQ
{ipt} -t nat -A KUBE-SEP-AAAA -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.244.0.5:53
{ipt} -t nat -A KUBE-SEP-BBBB -p tcp -m recent --set --name KUBE-SEP-BBBB --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.0.6:53
{ipt} -t nat -A KUBE-SEP-BBBB -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-BBBB --mask 255.255.255.255 --rsource -j KUBE-MARK-MASQ
{ipt} -N KUBE-FIREWALL
{ipt} -N KUBE-FORWARD
{ipt} -N KUBE-EXTERNAL-SERVICES
{ipt} -A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
{ipt} -A INPUT -j KUBE-FIREWALL
{ipt} -A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
{ipt} -A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
{ipt} -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
{ipt} -A KUBE-EXTERNAL-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/web has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
# Tailscale (linuxfw)
{ipt} -N ts-input
{ipt} -N ts-forward
{ipt} -t nat -N ts-postrouting
{ipt} -A ts-input -s 100.100.1.1/32 -i lo -j ACCEPT
{ipt} -A ts-input -s 100.64.0.0/10 ! -i tailscale0 -j DROP
{ipt} -A ts-input -i tailscale0 -p udp -m udp --dport 41641 -j ACCEPT
{ipt} -A ts-forward -i tailscale0 -j MARK --set-xmark 0x40000/0xff0000
{ipt} -A ts-forward -m mark --mark 0x40000/0xff0000 -j ACCEPT
{ipt} -A ts-forward -s 100.64.0.0/10 -o tailscale0 -j DROP
{ipt} -t nat -A ts-postrouting -m mark --mark 0x40000/0xff0000 -j MASQUERADE
# Calico (felix)
{ipt} -N cali-INPUT
{ipt} -N cali-from-wl
{ipt} -A cali-INPUT -m comment --comment "cali:msRIDfJRWnYwzW4g" -m mark --mark 0x10000/0x10000 -j ACCEPT
{ipt} -A cali-INPUT -i cali+ -m comment --comment "cali:FwjZ8rC" -g cali-from-wl
{ipt} -A cali-from-wl -m comment --comment "cali:x1" -j MARK --set-xmark 0x0/0xf0000
{ipt} -A cali-from-wl -m comment --comment "cali:x2" -m conntrack --ctstate UNTRACKED -j ACCEPT
{ipt} -A cali-from-wl -m set --match-set cali40all-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j ACCEPT
{ipt} -A cali-from-wl -m addrtype ! --src-type LOCAL --limit-iface-in -j DROP
{ipt} -t raw -A PREROUTING -p udp -m udp --dport 4789 -j CT --notrack
{ipt} -t raw -A PREROUTING -p udp -m udp --dport 4790 -j CT --zone 7
{ipt} -t raw -A OUTPUT -p udp -m udp --sport 4789 -j NOTRACK
{ipt} -t mangle -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff
{ipt} -t mangle -A PREROUTING -m connmark --mark 0x1/0x1 -j ACCEPT
{ipt} -t mangle -A POSTROUTING -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff
{ipt} -t mangle -A POSTROUTING -j CONNMARK --set-xmark 0x2/0x2
{ipt} -A FORWARD -m physdev --physdev-is-bridged --physdev-in veth0 -j ACCEPT
{ipt} -A FORWARD -m physdev ! --physdev-out veth1 -j ACCEPT
{ipt} -A OUTPUT -m owner --uid-owner 0 -j ACCEPT
{ipt} -A OUTPUT -m owner --socket-exists --gid-owner 10-20 -j ACCEPT
# firewalld, iptables backend
{ipt} -N IN_public_allow
{ipt} -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT
{ipt} -A INPUT -i lo -j ACCEPT
{ipt} -A INPUT -m conntrack --ctstate INVALID -j DROP
{ipt} -A INPUT -j IN_public_allow
{ipt} -A IN_public_allow -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW,UNTRACKED -j ACCEPT
{ipt} -A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
{ipt} -A INPUT -p icmp -m icmp --icmp-type 3/4 -j ACCEPT
{ipt} -A INPUT -m limit --limit 3/min -j LOG --log-prefix "FINAL_REJECT: "
{ipt} -A INPUT -m limit --limit 5/sec --limit-burst 10 -j NFLOG --nflog-group 5 --nflog-prefix fw
{ipt} -A INPUT -j REJECT --reject-with icmp-host-prohibited
# fail2ban
{ipt} -N f2b-sshd
{ipt} -A INPUT -p tcp -m multiport --dports 22,80:90 -j f2b-sshd
{ipt} -A INPUT -p tcp -m multiport --dports 22 -m set --match-set f2b-sshd src -j REJECT --reject-with icmp-port-unreachable
{ipt} -A f2b-sshd -s 192.0.2.7/32 -j REJECT --reject-with icmp-port-unreachable
{ipt} -A f2b-sshd -j RETURN
# the rest of the vocabulary
{ipt} -A INPUT -m state --state NEW -p tcp -m tcp --sport 1024:65535 --dport 443 -j ACCEPT
{ipt} -A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 -j ACCEPT
{ipt} -A INPUT -p tcp -m tcp ! --dport 25 --tcp-flags SYN,RST,ACK SYN -j ACCEPT
{ipt} -A INPUT -p tcp -m tcpmss --mss 1000:1500 -j ACCEPT
{ipt} -A INPUT -m statistic --mode nth --every 3 --packet 0 -j ACCEPT
{ipt} -A INPUT -m pkttype --pkt-type broadcast -j DROP
{ipt} -A INPUT -m comment --comment 'with "quotes", a \back\slash and $(x)' -j ACCEPT
{ipt} -A INPUT -i eth+ -p udp -m udp --sport 1:1024 -j ACCEPT
{ipt} -A INPUT -m mark --mark 0x1 -j ACCEPT
{ipt} -A INPUT -m length --length 100:200 -j ACCEPT
{ipt} -A INPUT -m mac --mac-source 00:11:22:aa:bb:cc -j ACCEPT
{ipt} -A INPUT -m set --match-set kube-ports dst,dst -j ACCEPT
{ipt} -A INPUT -p tcp -m conntrack --ctstate NEW --ctproto 6 --ctorigdstport 80 --ctstatus ASSURED -j ACCEPT
{ipt} -t mangle -A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
{ipt} -t mangle -A OUTPUT -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1400
{ipt} -t mangle -A OUTPUT -j MARK --set-mark 5
{ipt} -t nat -A POSTROUTING -o eth1 -p tcp -j SNAT --to-source 192.0.2.1:1024-2000
{ipt} -t nat -A POSTROUTING -o eth2 -j SNAT --to-source 192.0.2.1-192.0.2.5 --persistent
{ipt} -t nat -A POSTROUTING -o eth3 -p udp -j MASQUERADE --to-ports 1024-65535 --random
{ipt} -t nat -A PREROUTING -p tcp -m tcp --dport 81 -j REDIRECT --to-ports 8080
{ipt} -t nat -A PREROUTING -p tcp -m tcp --dport 82 -j DNAT --to-destination 10.0.0.1-10.0.0.3
# a match the capture does not decode (hashlimit), in a chain of its own
{ipt} -N undecodable
{ipt} -A undecodable -m hashlimit --hashlimit-upto 5/sec --hashlimit-name hl -j ACCEPT
# IPv6
{ip6t} -A INPUT -s fd00::/8 -j ACCEPT
{ip6t} -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
{ip6t} -A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT
{ip6t} -A INPUT -m set --match-set v6-blocked src -j REJECT --reject-with icmp6-adm-prohibited
{ip6t} -A INPUT -d 2001:db8::1/128 -p tcp -m tcp --dport 22 -j REJECT --reject-with tcp-reset
{ip6t} -t nat -A POSTROUTING -o eth0 -j MASQUERADE
{ip6t} -t nat -A POSTROUTING -o eth1 -j SNAT --to-source fd00::1
{ip6t} -t nat -A PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00::2]:80
"""


# A rule nft itself adds to an iptables-nft table, with nft's own comment (rule userdata), which
# iptables-nft-save prints as `-m comment`.
NFT_COMMENT = """nft add rule ip filter INPUT ip saddr 10.9.9.9 counter accept comment '"hand written"'
"""


def rules(ipt: str, ip6t: str) -> str:
    return RULES.replace("{ipt}", ipt).replace("{ip6t}", ip6t)
