# ovs_start: Open vSwitch inside this sandbox (sourced; tests and lab topologies share it).
# Its own database, run, log and state directories on tmpfs; ovsdb-server and ovs-vswitchd detach,
# and die with the sandbox's pid namespace. This kernel has no openvswitch module, so bridges must use
# the userspace datapath: `ovs-vsctl add-br BR -- set bridge BR datapath_type=netdev`.
ovs_start() {
  for d in /run/openvswitch /etc/openvswitch /var/log/openvswitch /var/lib/openvswitch; do
    mkdir -p "$d"; mount -t tmpfs tmpfs "$d"
  done
  ovsdb-tool create /etc/openvswitch/conf.db /usr/share/openvswitch/vswitch.ovsschema
  ovsdb-server --remote=punix:/run/openvswitch/db.sock --pidfile=/run/openvswitch/ovsdb-server.pid \
    --detach --log-file=/var/log/openvswitch/ovsdb-server.log /etc/openvswitch/conf.db 2>/dev/null
  ovs-vsctl --no-wait init
  ovs-vswitchd --pidfile=/run/openvswitch/ovs-vswitchd.pid --detach \
    --log-file=/var/log/openvswitch/ovs-vswitchd.log 2>/dev/null
}
