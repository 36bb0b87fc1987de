# The Docker host of docker-iptables.sh (Docker Engine 28's iptables firewall backend, the same rules
# from the same upstream files: see that script's header), installed through iptables-legacy (the
# x_tables backend: `iptables -V` says "(legacy)", as on hosts whose distribution or admin chose it,
# e.g. `update-alternatives --set iptables /usr/sbin/iptables-legacy`). moby runs whichever `iptables`
# binary is on the PATH (libnetwork/iptables/iptables.go: detectIptables looks up "iptables"), so the
# ruleset is the same; only the kernel tables holding it differ: x_tables, captured with
# iptables-legacy-save, evaluated by trace at the legacy tables' own hook priorities.
iptables() { iptables-legacy "$@"; }
. "$LAB/topologies/upstream/docker-iptables.sh"
hostname docker-iptables-legacy
