# A server whose fail2ban bans through its iptables actions (banaction = iptables-multiport, the
# default of Debian's jail.conf), with `iptables` being iptables-nft (Debian's default): jails sshd
# (port ssh) and nginx-http-auth (ports http,https), each an f2b-<jail> chain that INPUT jumps to for
# its ports, holding one REJECT per banned address above the final RETURN; one IPv6 ban too.
#
# Written from what this upstream file shows (github:fail2ban/fail2ban, config/action.d/iptables.conf
# at 06d2623c5e243e11fd45bcc98cbd099c3973e597), not copied from it: actionstart (`-N f2b-<name>`,
# `-A f2b-<name> -j RETURN`, then `-I INPUT -p tcp -m multiport --dports <port> -j f2b-<name>`, the
# [ipt_multiport] _chain_rule), actionban (`-I f2b-<name> 1 -s <ip> -j REJECT --reject-with
# icmp-port-unreachable`; icmp6-port-unreachable through ip6tables for inet6).
ROLE="web server"
hostname fail2ban-iptables

ip netns add internet
veth_ns internet eth0 eth0 203.0.113.1/24
ip -n internet addr add 2001:db8:1::1/64 dev eth0 nodad
ip addr add 203.0.113.2/24 dev eth0
ip addr add 2001:db8:1::2/64 dev eth0 nodad
ip route add default via 203.0.113.1
ip -6 route add default via 2001:db8:1::1
for a in 203.0.113.66 203.0.113.77 198.51.100.5; do ip -n internet addr add "$a/32" dev lo; done
ip -n internet addr add 2001:db8:66::1/128 dev lo
ip -6 route add 2001:db8:66::/64 via 2001:db8:1::1

# jail NAME PORTS: fail2ban's actionstart for one jail (both families); ban FAMILY NAME ADDR: actionban.
jail() {
  for ipt in iptables ip6tables; do
    $ipt -w -N "f2b-$1"
    $ipt -w -A "f2b-$1" -j RETURN
    $ipt -w -I INPUT -p tcp -m multiport --dports "$2" -j "f2b-$1"
  done
}
ban() {
  if [ "$1" = 4 ]; then iptables -w -I "f2b-$2" 1 -s "$3" -j REJECT --reject-with icmp-port-unreachable
  else ip6tables -w -I "f2b-$2" 1 -s "$3" -j REJECT --reject-with icmp6-port-unreachable; fi
}
jail sshd 22
jail nginx-http-auth 80,443
ban 4 sshd 203.0.113.66
ban 4 nginx-http-auth 203.0.113.77
ban 4 nginx-http-auth 203.0.113.66
ban 6 sshd 2001:db8:66::1

mkdir -p /etc/fail2ban
printf '[DEFAULT]\nbanaction = iptables-multiport\n[sshd]\nenabled = true\n[nginx-http-auth]\nenabled = true\n' \
  > /etc/fail2ban/jail.local
daemon fail2ban-server
listener sshd tcp 0.0.0.0 22
listener sshd6 tcp :: 2222
listener nginx tcp 0.0.0.0 80
listener nginx tcp 0.0.0.0 443
listener www tcp 0.0.0.0 443 internet
wait_listening_in "" 22 2222 80 443
wait_listening_in internet 443
