# Sourced at the start of every sandbox (tests and lab): runs inside
# `unshare --net --mount --uts --pid --fork --mount-proc --propagation private`.
# Private tmpfs on /run/netns and /run/docker, a fresh sysfs for this netns, and /etc behind a
# throwaway overlay so a topology may write rt_tables or daemon config files without touching the machine.
set -eu
mkdir -p /run/netns /run/docker
mount -t tmpfs tmpfs /run/netns
mount -t tmpfs tmpfs /run/docker
mkdir -p /run/docker/netns
mount -t sysfs sysfs /sys 2>/dev/null || true
mount -t tmpfs tmpfs /mnt
mkdir -p /mnt/etc-upper /mnt/etc-work
mount -t overlay overlay -o lowerdir=/etc,upperdir=/mnt/etc-upper,workdir=/mnt/etc-work /etc
ip link set lo up
