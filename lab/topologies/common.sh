# Helpers for lab topologies (sourced inside a sandbox). Every object made here dies with the sandbox.

# veth_ns NS IFNAME_IN_NS HOST_IFNAME [ADDR/LEN]: a namespace joined to this one by a veth pair.
veth_ns() {
  ns=$1; inner=$2; outer=$3
  ip link add "$outer" type veth peer name "$inner" netns "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$inner" up
  ip link set "$outer" up
  if [ $# -ge 4 ]; then ip -n "$ns" addr add "$4" dev "$inner"; fi
}

# listener COMM PROTO ADDR PORT [NETNS]: a process named COMM listening on ADDR:PORT.
# The lab has no real daemons, so python3 under the daemon's name holds the socket.
listener() {
  comm=$1; proto=$2; addr=$3; port=$4; ns=${5:-}
  mkdir -p /mnt/bin
  # A symlink gives the process the command name; python still finds its prefix through it.
  [ -e "/mnt/bin/$comm" ] || ln -s "$(readlink -f "$PYTHON")" "/mnt/bin/$comm"
  code="import socket,time
fam = socket.AF_INET6 if ':' in '$addr' else socket.AF_INET
kind = socket.SOCK_STREAM if '$proto' == 'tcp' else socket.SOCK_DGRAM
s = socket.socket(fam, kind); s.bind(('$addr', $port))
if kind == socket.SOCK_STREAM: s.listen()
time.sleep(3600)"
  if [ -n "$ns" ]; then
    ip netns exec "$ns" "/mnt/bin/$comm" -c "$code" &
  else
    "/mnt/bin/$comm" -c "$code" &
  fi
}

# daemon NAME: a stand-in process whose command name is NAME (the lab has no real daemons).
daemon() {
  mkdir -p /mnt/bin
  ln -sf "$(readlink -f "$(command -v sleep)")" "/mnt/bin/$1"
  "/mnt/bin/$1" 3600 &
}

# wait_listening PORT...: block until the listeners are up, so the capture sees them.
wait_listening() {
  for port in "$@"; do
    i=0
    until ss -Hltnu "sport = :$port" | grep -q . || [ $i -ge 50 ]; do sleep 0.1; i=$((i+1)); done
  done
}
