"""A fleet on one machine: sandbox hosts running Debian's sshd, and a controller that reaches them.

The controller is itself a sandbox (tests/sandbox.py) holding one end of a veth per host on a
bridge (10.77.0.254/24); each host is `unshare --net=/run/netns/<name> --mount --uts --pid --fork`
with its own hostname, its own netns topology, its own /root, /etc overlay and sshd (fresh host
key, config on tmpfs, key-based root login, listening only on its veth address). All traffic
stays on those veths; everything dies with the controller sandbox.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

SUBNET = "10.77.0"

HOST_SCRIPT = r"""
N=$1; NAME=$2; WORK=$3; SSHD=$4
. "$REPO/lab/sandbox-prelude.sh"
mount -t tmpfs -o mode=0700 tmpfs /root
mkdir -p /run/sshd && mount -t tmpfs -o mode=0755 tmpfs /run/sshd
hostname "$NAME"
for i in $(seq 400); do ip link show eth0 >/dev/null 2>&1 && break; sleep 0.05; done
ip addr add SUBNET.$N/24 dev eth0; ip link set eth0 up
sh "$WORK/topology-$N.sh"
[ "$SSHD" = yes ] || exec sleep infinity
D=/mnt/ssh; mkdir -p $D; chmod 700 $D
ssh-keygen -q -t ed25519 -N '' -f $D/host_key
cp "$WORK/id.pub" $D/authorized_keys
cat > $D/sshd_config <<CFG
ListenAddress SUBNET.$N
HostKey $D/host_key
AuthorizedKeysFile $D/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 100
Subsystem sftp internal-sftp
PidFile $D/sshd.pid
CFG
exec "$SYSTEM_PYTHON" "$WORK/nobpf.py" /usr/sbin/sshd -D -e -f $D/sshd_config
""".replace("SUBNET", SUBNET)

# BPF programs are machine-wide: every sandbox host shares this kernel, and other tests load and
# unload programs at any time. A real host sees only its own, so each host's sshd (and everything
# it starts) gets bpf(2) refused with EPERM by a seccomp filter: the capture records BPF as a gap,
# the same on every run, like a host where BPF is locked down. Then it execs the given command.
NO_BPF = r"""
import ctypes, os, struct, sys
sys.path.insert(0, os.environ["REPO"])  # the venv's interpreter lives under /root, hidden on the hosts
from netstack_docs.capture.bpfsys import SYS_BPF
nr = SYS_BPF[os.uname().machine]
RET_ERRNO, RET_ALLOW, EPERM = 0x00050000, 0x7FFF0000, 1
code = [(0x20, 0, 0, 0),            # A = seccomp_data.nr
        (0x15, 0, 1, nr),           # A == bpf ? next : skip one
        (0x06, 0, 0, RET_ERRNO | EPERM),
        (0x06, 0, 0, RET_ALLOW)]
raw = b"".join(struct.pack("HBBI", *ins) for ins in code)
buf = ctypes.create_string_buffer(raw)
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
prog = Prog(len(code), ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) or libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                                                             ctypes.byref(prog), 0, 0):
    sys.exit(f"seccomp: {os.strerror(ctypes.get_errno())}")
os.execv(sys.argv[1], sys.argv[1:])
"""


WAIT = """
import socket, sys, time
deadline = time.monotonic() + 30
for address in sys.argv[1:]:
    while True:
        try:
            socket.create_connection((address, 22), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"sshd on {address} did not start")
            time.sleep(0.1)
"""


@dataclass(frozen=True)
class Host:
    """One sandbox host: its inventory name, the shell that builds its topology, whether sshd runs."""

    name: str
    topology: str = "true"
    sshd: bool = True


def start_hosts(hosts: list[Host], work: str) -> str:
    """Shell (for the controller sandbox) that starts every host and waits until its sshd answers.

    $WORK must be a directory every sandbox can read; the controller's key is $WORK/id."""
    lines = [
        f"WORK={shlex.quote(work)}",
        "ssh-keygen -q -t ed25519 -N '' -f \"$WORK/id\"",
        f"cat > \"$WORK/host.sh\" <<'HOST'\n{HOST_SCRIPT}\nHOST",
        f"cat > \"$WORK/nobpf.py\" <<'NOBPF'\n{NO_BPF}\nNOBPF",
        f"ip link add br0 type bridge; ip addr add {SUBNET}.254/24 dev br0; ip link set br0 up",
    ]
    for n, host in enumerate(hosts, start=1):
        lines += [
            f"cat > \"$WORK/topology-{n}.sh\" <<'TOPO'\nset -eu\n{host.topology}\nTOPO",
            f"touch /run/netns/h{n}",
            f"unshare --net=/run/netns/h{n} --mount --uts --pid --fork --mount-proc --propagation private "
            f"sh -eu \"$WORK/host.sh\" {n} {shlex.quote(host.name)} \"$WORK\" {'yes' if host.sshd else 'no'} "
            f"> \"$WORK/h{n}.log\" 2>&1 &",
            f"for i in $(seq 200); do ip netns exec h{n} true 2>/dev/null && break; sleep 0.05; done",
            f"ip link add c{n} type veth peer name eth0 netns h{n}; ip link set c{n} master br0 up",
        ]
    waits = [address(n) for n, host in enumerate(hosts, start=1) if host.sshd]
    fail = '{ cat "$WORK"/h*.log >&2; exit 1; }'
    lines.append(f"$PYTHON - {' '.join(waits)} <<'WAIT' || {fail}\n{WAIT}\nWAIT")
    return "\n".join(lines) + "\n"


def address(index: int) -> str:
    """The veth address of the index-th host (1-based, in the order given to start_hosts)."""
    return f"{SUBNET}.{index}"


def inventory_vars(work: str) -> dict[str, object]:
    """Connection settings for the sandbox hosts (root over SSH with the controller's key)."""
    return {
        "ansible_user": "root",
        "ansible_ssh_private_key_file": f"{work}/id",
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        "ansible_python_interpreter": "/usr/bin/python3",
        "ansible_become_method": "su",  # root becoming root; there is no sudo here
    }
