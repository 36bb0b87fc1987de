# A router running firewalld with its iptables backend (FirewallBackend=iptables in firewalld.conf),
# through iptables-legacy: zone public (the default zone, on the uplink eth0) with the services ssh and
# cockpit, masquerading and a forward port (tcp 2222 -> 10.0.0.2:22), zone trusted on the LAN (eth1);
# IPv6 with firewalld's rpfilter rules (IPv6_rpfilter=yes).
#
# Written from what this upstream file shows (github:firewalld/firewalld, src/firewall/core/ipXtables.py
# at 00dd943068ac0bdc2878cdc3bcc24740c17feb71), not copied from it:
#   build_default_rules        the built-in chains' jumps to <CHAIN>_direct and <CHAIN>_dispatch in raw,
#                              mangle, nat, security and filter; filter INPUT / FORWARD / OUTPUT:
#                              `--ctstate RELATED,ESTABLISHED,DNAT` accept, loopback accept, INVALID drop,
#                              the final %%REJECT%% (icmp-host-prohibited, icmp6-adm-prohibited)
#   build_dispatch_stage1/2_rules, build_zone_target_rules, build_policy_dispatch_rules
#                              INPUT_dispatch `-i IFACE -j IN_<zone>_to_HOST` (the default zone last,
#                              without -i), the zone's target after its policy chain (default: REJECT,
#                              trusted: ACCEPT), FORWARD_dispatch to FWD_<zone>_dispatch_stage2 by input
#                              and FWD_<in>_to_<out> by output device
#   build_policy_chain_rules   the policy chain's _pre, _log, _deny, _allow, _post chains, in order
#   build_policy_icmp_block_inversion_rules   `-p icmp -j ACCEPT` after them (no inversion)
#   build_policy_ports_rules, build_policy_masquerade_rules, build_policy_forward_port_rules
#                              `-p tcp --dport 22 -j ACCEPT` in IN_public_allow, `! -o lo -j MASQUERADE`
#                              in POST_public_allow, `-p tcp --dport 2222 -j DNAT --to-destination
#                              10.0.0.2:22` in PRE_public_allow
#   ip6tables.build_rpfilter_rules   mangle PREROUTING `-m rpfilter --invert --validmark -j DROP` after
#                              accepting neighbour solicitations and router advertisements
# Departures: firewalld names the nat policy chains after its policy objects (PRE_public, POST_public
# here), and uniquifies names longer than 28 characters (none here); a zone bound to an interface is
# dispatched to by goto (`-g`), as the iptables backend did before policy objects (INPUT_ZONES,
# POSTROUTING_ZONES), so that the default zone's chains do not see that interface's traffic too.
ROLE="router"
hostname firewalld-iptables
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv6.conf.all.forwarding=1

ip netns add internet
veth_ns internet eth0 eth0 203.0.113.1/24
ip -n internet addr add 2001:db8:1::1/64 dev eth0 nodad
ip addr add 203.0.113.2/24 dev eth0
ip addr add 2001:db8:1::2/64 dev eth0 nodad
ip route add default via 203.0.113.1
ip -6 route add default via 2001:db8:1::1
ip -n internet addr add 198.51.100.10/32 dev lo
ip -n internet route add 10.0.0.0/24 via 203.0.113.2
ip -n internet -6 route add 2001:db8:2::/64 via 2001:db8:1::2

ip netns add lan
veth_ns lan eth0 eth1 10.0.0.2/24
ip -n lan addr add 2001:db8:2::2/64 dev eth0 nodad
ip addr add 10.0.0.1/24 dev eth1
ip addr add 2001:db8:2::1/64 dev eth1 nodad
ip -n lan route add default via 10.0.0.1
ip -n lan -6 route add default via 2001:db8:2::1

for family in 4 6; do
  if [ $family = 4 ]; then restore=iptables-legacy-restore; reject="--reject-with icmp-host-prohibited"
    icmp="-p icmp"; else restore=ip6tables-legacy-restore; reject="--reject-with icmp6-adm-prohibited"
    icmp="-p ipv6-icmp"; fi
  {
    echo "*raw"
    echo ":PREROUTING_direct - [0:0]"; echo ":PREROUTING_dispatch - [0:0]"; echo ":OUTPUT_direct - [0:0]"
    echo "-A PREROUTING -j PREROUTING_direct"; echo "-A PREROUTING -j PREROUTING_dispatch"
    echo "-A OUTPUT -j OUTPUT_direct"
    echo "COMMIT"
    echo "*mangle"
    for c in PREROUTING INPUT FORWARD OUTPUT POSTROUTING; do echo ":${c}_direct - [0:0]"; done
    echo ":PREROUTING_dispatch - [0:0]"
    if [ $family = 6 ]; then
      echo "-A PREROUTING -p ipv6-icmp -m icmp6 --icmpv6-type 134 -j ACCEPT"
      echo "-A PREROUTING -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT"
      echo "-A PREROUTING -m rpfilter --validmark --invert -j DROP"
    fi
    for c in PREROUTING INPUT FORWARD OUTPUT POSTROUTING; do echo "-A $c -j ${c}_direct"; done
    echo "-A PREROUTING -j PREROUTING_dispatch"
    echo "COMMIT"
    echo "*nat"
    for c in PREROUTING INPUT OUTPUT POSTROUTING; do echo ":${c}_direct - [0:0]"; echo ":${c}_dispatch - [0:0]"; done
    for z in PRE_public PRE_trusted POST_public POST_trusted; do
      echo ":$z - [0:0]"; for s in pre log deny allow post; do echo ":${z}_$s - [0:0]"; done
    done
    for c in PREROUTING INPUT OUTPUT POSTROUTING; do echo "-A $c -j ${c}_direct"; echo "-A $c -j ${c}_dispatch"; done
    echo "-A PREROUTING_dispatch -i eth1 -g PRE_trusted"
    echo "-A PREROUTING_dispatch -j PRE_public"
    echo "-A POSTROUTING_dispatch -o eth1 -g POST_trusted"
    echo "-A POSTROUTING_dispatch -j POST_public"
    for z in PRE_public PRE_trusted POST_public POST_trusted; do
      for s in pre log deny allow post; do echo "-A $z -j ${z}_$s"; done
    done
    if [ $family = 4 ]; then
      echo "-A PRE_public_allow -p tcp -m tcp --dport 2222 -j DNAT --to-destination 10.0.0.2:22"
      echo "-A POST_public_allow ! -o lo -j MASQUERADE"
    fi
    echo "COMMIT"
    echo "*filter"
    for c in INPUT FORWARD OUTPUT; do echo ":${c}_direct - [0:0]"; echo ":${c}_dispatch - [0:0]"; done
    echo ":IN_public_to_HOST - [0:0]"; echo ":IN_trusted_to_HOST - [0:0]"
    echo ":FWD_public_dispatch_stage2 - [0:0]"; echo ":FWD_trusted_dispatch_stage2 - [0:0]"
    echo ":FWD_trusted_to_public - [0:0]"
    for z in IN_public IN_trusted FWD_trusted; do
      echo ":$z - [0:0]"; for s in pre log deny allow post; do echo ":${z}_$s - [0:0]"; done
    done
    for c in INPUT FORWARD; do
      echo "-A $c -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT"
      echo "-A $c -i lo -j ACCEPT"
      echo "-A $c -m conntrack --ctstate INVALID -j DROP"
      echo "-A $c -j ${c}_direct"
      echo "-A $c -j ${c}_dispatch"
      echo "-A $c -j REJECT $reject"
    done
    echo "-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT"
    echo "-A OUTPUT -o lo -j ACCEPT"
    echo "-A OUTPUT -j OUTPUT_direct"
    echo "-A OUTPUT -j OUTPUT_dispatch"
    echo "-A INPUT_dispatch -i eth1 -g IN_trusted_to_HOST"
    echo "-A INPUT_dispatch -j IN_public_to_HOST"
    echo "-A IN_trusted_to_HOST -j IN_trusted"
    echo "-A IN_trusted_to_HOST -j ACCEPT"
    echo "-A IN_public_to_HOST -j IN_public"
    echo "-A IN_public_to_HOST -j REJECT"
    echo "-A FORWARD_dispatch -i eth1 -g FWD_trusted_dispatch_stage2"
    echo "-A FORWARD_dispatch -j FWD_public_dispatch_stage2"
    echo "-A FWD_trusted_dispatch_stage2 -o eth0 -j FWD_trusted_to_public"
    echo "-A FWD_trusted_to_public -j FWD_trusted"
    echo "-A FWD_trusted_to_public -j ACCEPT"
    for z in IN_public IN_trusted FWD_trusted; do
      for s in pre log deny allow post; do echo "-A $z -j ${z}_$s"; done
      echo "-A $z $icmp -j ACCEPT"
    done
    echo "-A IN_public_allow -p tcp -m tcp --dport 22 -j ACCEPT"
    echo "-A IN_public_allow -p tcp -m tcp --dport 9090 -j ACCEPT"
    if [ $family = 6 ]; then echo "-A IN_public_allow -d fe80::/64 -p udp -m udp --dport 546 -j ACCEPT"; fi
    echo "COMMIT"
  } | $restore
done

mkdir -p /etc/firewalld
printf 'DefaultZone=public\nFirewallBackend=iptables\nIPv6_rpfilter=yes\n' > /etc/firewalld/firewalld.conf
daemon firewalld
listener sshd tcp 0.0.0.0 22
listener sshd6 tcp :: 2200
listener cockpit tcp 0.0.0.0 9090
listener web tcp 0.0.0.0 80
listener sshd tcp 0.0.0.0 22 lan
listener web tcp 0.0.0.0 8080 lan
listener www tcp 0.0.0.0 443 internet
listener dns udp 0.0.0.0 53 internet
wait_listening_in "" 22 2200 9090 80
wait_listening_in lan 22 8080
wait_listening_in internet 443 53
