# Sourced at the start of every sandbox (tests and lab): runs inside
# `unshare --net --mount --uts --pid --fork --mount-proc --propagation private`.
# Private tmpfs on /run/netns and /run/docker, a fresh sysfs for this netns, and /etc and /var/lib
# behind throwaway overlays so a topology may write rt_tables, daemon config or state files (kubelet,
# kube-proxy, docker) without touching the machine.
set -eu
mkdir -p /run/netns /run/docker
mount -t tmpfs tmpfs /run/netns
mount -t tmpfs tmpfs /run/docker
mkdir -p /run/docker/netns
mount -t sysfs sysfs /sys 2>/dev/null || true
mount -t tmpfs tmpfs /mnt
mkdir -p /mnt/etc-upper /mnt/etc-work /mnt/varlib-upper /mnt/varlib-work
mount -t overlay overlay -o lowerdir=/etc,upperdir=/mnt/etc-upper,workdir=/mnt/etc-work /etc
mount -t overlay overlay -o lowerdir=/var/lib,upperdir=/mnt/varlib-upper,workdir=/mnt/varlib-work /var/lib
ip link set lo up

# settle: wait until what a script built has settled in every namespace of this sandbox: no IPv6
# address still `tentative` (duplicate address detection runs for a second or more after a link
# comes up, longer on a busy machine, and the kernel adds the address's local and link-local routes
# only when it ends). Call it before a capture whose result must not depend on timing. Fails after
# SETTLE_TIMEOUT seconds (default 30), naming what is still tentative.
settle() {
  _deadline=$(( $(date +%s) + ${SETTLE_TIMEOUT:-30} ))
  while :; do
    _busy=$(ip -6 -o addr show tentative 2>/dev/null || true)
    for _ns in /run/netns/* /run/docker/netns/*; do
      [ -e "$_ns" ] || continue
      _busy="$_busy$(nsenter --net="$_ns" ip -6 -o addr show tentative 2>/dev/null || true)"
    done
    for _pid in $(lsns -t net -n -o PID 2>/dev/null); do
      _busy="$_busy$(nsenter --net=/proc/"$_pid"/ns/net ip -6 -o addr show tentative 2>/dev/null || true)"
    done
    [ -z "$_busy" ] && return 0
    if [ "$(date +%s)" -ge "$_deadline" ]; then
      echo "settle: still tentative after ${SETTLE_TIMEOUT:-30} s: $_busy" >&2
      return 1
    fi
    sleep 0.1
  done
}
