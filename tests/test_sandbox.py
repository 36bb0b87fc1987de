"""The sandbox itself must isolate: objects made inside never appear on the machine."""

import subprocess

from sandbox import run_in_sandbox


def test_sandbox_objects_do_not_leak_to_the_machine():
    proc = run_in_sandbox("ip link add nsdtestleak0 type veth peer name nsdtestleak1; ip -br link")
    assert "nsdtestleak0" in proc.stdout
    outside = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True, check=True).stdout
    assert "nsdtestleak0" not in outside


def test_sandbox_sees_only_its_own_processes_and_netns():
    proc = run_in_sandbox("ip netns add t1; ip netns list; ls /proc | grep -c '^[0-9]' ")
    assert "t1" in proc.stdout
    assert int(proc.stdout.split()[-1]) < 10


def test_sandbox_etc_writes_stay_inside():
    run_in_sandbox("echo '200 nsdtest' >> /etc/iproute2/rt_tables; grep -q nsdtest /etc/iproute2/rt_tables")
    with open("/etc/iproute2/rt_tables") as fh:
        assert "nsdtest" not in fh.read()
