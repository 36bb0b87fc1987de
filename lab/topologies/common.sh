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

# in_ns NS CMD...: run CMD in namespace NS: "" (this one), a name from `ip netns`, or a path
# (a bind mount such as /run/docker/netns/<id>, or /proc/<pid>/ns/net).
in_ns() {
  _ns=$1; shift
  case "$_ns" in
    "") "$@" ;;
    /*) nsenter --net="$_ns" "$@" ;;
    *) ip netns exec "$_ns" "$@" ;;
  esac
}

# listener COMM PROTO ADDR PORT [NETNS]: a process named COMM listening on ADDR:PORT.
# NETNS is a name from `ip netns` or a namespace path (see in_ns).
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
  # Started here, not through in_ns, so that $! is the listener itself (callers kill it by $!).
  case "$ns" in
    "") "/mnt/bin/$comm" -c "$code" & ;;
    /*) nsenter --net="$ns" "/mnt/bin/$comm" -c "$code" & ;;
    *) ip netns exec "$ns" "/mnt/bin/$comm" -c "$code" & ;;
  esac
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

# wait_listening_in NS PORT...: like wait_listening, in namespace NS (see in_ns); fails after 5 s,
# naming the port, so a lab whose listener did not come up stops before its capture.
wait_listening_in() {
  _ns=$1; shift
  for port in "$@"; do
    i=0
    until in_ns "$_ns" ss -Hltnu "sport = :$port" | grep -q .; do
      i=$((i+1))
      if [ $i -ge 50 ]; then echo "wait_listening_in: nothing listens on $port in ${_ns:-this namespace}" >&2; return 1; fi
      sleep 0.1
    done
  done
}

# tun_held NAME COMM [NETNS]: a TUN device NAME that a process named COMM holds open (as wireguard-go or
# tailscaled hold theirs): not persistent, it lives as long as the process; nobody reads it, so what
# is routed into it goes no further. Waits until the device exists.
tun_held() {
  name=$1; comm=$2; ns=${3:-}
  mkdir -p /mnt/bin
  [ -e "/mnt/bin/$comm" ] || ln -s "$(readlink -f "$PYTHON")" "/mnt/bin/$comm"
  code="import fcntl,struct,time
fd = open('/dev/net/tun', 'r+b', buffering=0)
fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', b'$name', 0x0001 | 0x1000))  # TUNSETIFF, IFF_TUN|IFF_NO_PI
time.sleep(3600)"
  case "$ns" in
    "") "/mnt/bin/$comm" -c "$code" & ;;
    /*) nsenter --net="$ns" "/mnt/bin/$comm" -c "$code" & ;;
    *) ip netns exec "$ns" "/mnt/bin/$comm" -c "$code" & ;;
  esac
  i=0
  until in_ns "$ns" ip link show "$name" >/dev/null 2>&1; do
    i=$((i+1))
    if [ $i -ge 50 ]; then echo "tun_held: $name did not appear" >&2; return 1; fi
    sleep 0.1
  done
}
