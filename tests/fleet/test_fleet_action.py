"""The pieces of the fleet capture's Ansible action that need no host: names, the remote command, why.

The remote command is run here by a real shell with a stand-in bundle on its standard input (a
zipapp that prints its arguments, or sleeps): what a host's shell would do with it, minus SSH.
tests/fleet/test_ansible_capture.py runs the whole action against real sshd hosts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from netstack_docs.fleet.ansible_action import default_env, default_host, failure_reason, remote_command

# Shell syntax that would create $HOME/PWNED if the role reached a shell unquoted.
ODD_ROLE = "edge <router> | 1 ' \" $(touch ~/PWNED) `touch ~/PWNED` ; touch ~/PWNED"


def _zipapp(main: str) -> bytes:
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("__main__.py", main)
    return buf.getvalue()


def _run(bundle: bytes, tmp_path: Path, **args: object) -> subprocess.CompletedProcess[bytes]:
    options = {"timeout": 30, "python": sys.executable, "role": None, **args}
    cmd = remote_command(options, "prod", "web-01")
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(scratch), "HOME": str(tmp_path)}
    return subprocess.run(["sh", "-c", cmd], input=bundle, capture_output=True, cwd=tmp_path, env=env,
                          timeout=60)


def test_the_bundle_arrives_whole_runs_with_exact_arguments_and_nothing_is_left(tmp_path: Path) -> None:
    echo = _zipapp("import json, os, sys\nprint(json.dumps({'argv': sys.argv[1:], 'cwd': os.getcwd()}))\n")
    proc = _run(echo, tmp_path, role=ODD_ROLE)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["argv"] == ["capture", "--env", "prod", "--host", "web-01", "--out", "-", "--quiet",
                            "--role", ODD_ROLE]
    workdir = Path(seen["cwd"])
    assert workdir.parent == tmp_path / "tmp" and workdir.name.startswith("netstack-capture.")
    assert not list((tmp_path / "tmp").iterdir()), "the temporary directory was left behind"
    assert not (tmp_path / "PWNED").exists(), "the role reached a shell unquoted"


def test_a_capture_past_its_timeout_is_stopped_named_and_cleaned_up(tmp_path: Path) -> None:
    proc = _run(_zipapp("import time\ntime.sleep(60)\n"), tmp_path, timeout=1)
    assert proc.returncode == 124
    reason = failure_reason(proc.returncode, proc.stderr.decode(), 1, "python3")
    assert reason == "capture did not finish within 1 s"
    assert not list((tmp_path / "tmp").iterdir())


def test_a_failing_capture_says_its_last_line_and_a_missing_python_says_so(tmp_path: Path) -> None:
    proc = _run(_zipapp("import sys\nsys.exit('netstack-capture.pyz: error: --env: not a slug')\n"), tmp_path)
    reason = failure_reason(proc.returncode, proc.stderr.decode(), 30, "python3")
    assert (proc.returncode, reason) == (
        1, "capture: python3 exited with status 1: netstack-capture.pyz: error: --env: not a slug")
    proc = _run(_zipapp(""), tmp_path, python="python3.999")
    assert proc.returncode == 127
    assert failure_reason(127, proc.stderr.decode(), 30, "python3.999").startswith(
        "cannot run python3.999 on the host (Python 3.9 or later is needed): ")


SSH_NOISE = ("Warning: Permanently added '10.250.3.2' (ED25519) to the list of known hosts.\r\n"
             "Welcome to fleet-h3 (a banner)\n")


def test_a_python_that_fails_silently_is_named_never_an_ssh_warning(tmp_path: Path) -> None:
    silent = tmp_path / "python3"
    silent.write_text("#!/bin/sh\nexit 1\n")
    silent.chmod(0o755)
    proc = _run(_zipapp(""), tmp_path, python=str(silent))
    assert proc.returncode == 1
    # ssh writes its own warnings on the same standard error, before and after the host's lines
    stderr = SSH_NOISE + proc.stderr.decode() + "Connection to 10.250.3.2 closed.\r\n"
    reason = failure_reason(1, stderr, 30, "python3")
    assert reason == "capture: python3 exited with status 1 and printed nothing"
    # nothing from the host's shell at all (become or the connection failed first): still not ssh's line
    reason = failure_reason(1, SSH_NOISE, 30, "python3")
    assert "Warning" not in reason and "banner" not in reason
    assert reason.startswith("the command on the host exited with status 1 before the capture started")


def test_a_bundle_that_does_not_arrive_names_that_step(tmp_path: Path) -> None:
    options = {"timeout": 30, "python": sys.executable, "role": None}
    cmd = remote_command(options, "prod", "web-01").replace("cat > ", "false > ")
    proc = subprocess.run(["sh", "-c", cmd], capture_output=True, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)}, timeout=60)
    assert failure_reason(proc.returncode, SSH_NOISE + proc.stderr.decode(), 30, "python3") == (
        "receive: the bundle did not arrive on standard input")


def test_excluded_namespaces_reach_the_capture_as_arguments(tmp_path: Path) -> None:
    echo = _zipapp("import json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    proc = _run(echo, tmp_path, exclude_netns=["proc/chrom*", "pod/ci-*"])
    assert json.loads(proc.stdout)[-4:] == ["--exclude-netns", "proc/chrom*", "--exclude-netns", "pod/ci-*"]


@pytest.mark.parametrize(("groups", "env"), [
    ({"all": ["a"], "ungrouped": [], "web": ["a"], "prod": ["a"]}, "web"),  # the first, in inventory order
    ({"all": ["a"], "ungrouped": ["a"]}, "default"),
    ({"all": ["a", "b"], "db": ["b"], "lab": ["a"]}, "lab"),
])
def test_the_environment_is_the_first_inventory_group(groups: dict[str, list[str]], env: str) -> None:
    assert default_env(groups, "a") == env


def test_the_host_name_is_the_inventory_name_made_a_slug() -> None:
    assert default_host("Edge-01.example.org") == "edge-01-example-org"
    assert default_host("web_02 (old)") == "web-02-old"
