"""The Ansible action behind the docs repository's `ansible/capture.yml`: one task captures one host.

The role's `action_plugins/netstack_capture.py` (written by `netstack-docs new`) only imports this,
so the logic upgrades with the tool. Per host, one command on Ansible's own connection (SSH, become,
forks and timeouts are Ansible's), the single-file bundle on its standard input: as root, make a
private temporary directory, write the bundle there, run `capture --out -` under timeout(1), remove
the directory (also when stopped). On the controller, in the same process: the printed snapshot is
validated, redacted with the controller's key when asked, compared with the previous file and
written over it atomically (`netstack_docs.fleet.store`).

One task and one SSH command per host instead of a dozen (temporary directory, copy, command,
fetch, stat, diff, copy, clean-up) is what makes the fleet fast: Ansible's cost is per task and
host, on the controller's CPUs. A failure never raises: the result says `failed` with one line of
why (unreachable, capture error, timeout, invalid snapshot), and the previous snapshot stays.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.action import ActionBase

from netstack_docs.capture.redact import load_or_create_key, redact
from netstack_docs.errors import UserError
from netstack_docs.fleet.store import parse_capture, store_capture, target_path
from netstack_docs.snapshot import validate_document

ARGUMENTS: dict[str, dict[str, Any]] = {
    "bundle": {"type": "path", "required": True},
    "snapshots_dir": {"type": "path", "required": True},
    "env": {"type": "str"},
    "host": {"type": "str"},
    "role": {"type": "str"},
    "python": {"type": "str", "default": "python3"},
    "timeout": {"type": "int", "default": 120},
    "redact_key": {"type": "path"},
    "exclude_netns": {"type": "list", "elements": "str"},  # default: the docs repository's mkdocs.yml
}
TIMED_OUT = 124  # timeout(1)'s status when it had to stop the command


def default_env(groups: dict[str, list[str]], hostname: str) -> str:
    """The host's first inventory group other than all/ungrouped, in inventory order ('default': none)."""
    return next((g for g, members in groups.items() if hostname in members and g not in ("all", "ungrouped")),
                "default")


def default_host(hostname: str) -> str:
    """The inventory name as a slug: lowercase, every run of other characters one '-'."""
    return re.sub(r"[^a-z0-9-]+", "-", hostname.lower()).strip("-")


BUNDLE = "netstack-capture.pyz"


# What the host's shell says about itself goes to standard error behind these markers, so the reason
# for a failure is told apart from what ssh adds there (a known-hosts warning, a banner, a MOTD).
STEP = "netstack-step:"  # the step that failed
SAID = "netstack-said:"  # one line of what the capture itself wrote to standard error


def remote_command(args: dict[str, Any], env: str, host: str) -> str:
    """The shell command run as root on the host, the bundle arriving on its standard input.

    The capture's standard error is kept in the private directory and, when it fails, replayed behind
    SAID markers after a STEP line naming the step and its exit status."""
    capture = ["timeout", "-k", "5", str(args["timeout"]), args["python"], BUNDLE, "capture",
               "--env", env, "--host", host, "--out", "-", "--quiet"]
    capture += ["--role", args["role"]] if args["role"] else []
    for pattern in args.get("exclude_netns") or []:
        capture += ["--exclude-netns", pattern]
    return "; ".join([
        "umask 077",
        f"d=$(mktemp -d -t netstack-capture.XXXXXX) || {_fail('mktemp: could not make a private directory')}",
        "trap 'rm -rf \"$d\"' EXIT",
        "trap 'exit 129' HUP INT TERM",  # a signal ends the shell through its EXIT trap: nothing is left
        f"cd \"$d\" || {_fail('cd: could not enter the private directory')}",
        f"cat > {BUNDLE} || {_fail('receive: the bundle did not arrive on standard input')}",
        f"{shlex.join(capture)} 2> stderr; rc=$?",
        f"if [ $rc -ne 0 ]; then sed 's/^/{SAID} /' stderr >&2; echo \"{STEP} capture: exit $rc\" >&2; fi",
        "exit $rc",
    ])


def _fail(step: str) -> str:
    """Shell that names the failed step on standard error and stops (`step` holds no quote)."""
    return f"{{ echo '{STEP} {step}' >&2; exit 1; }}"


def repository_exclusions(snapshots_dir: Path) -> list[str]:
    """`extra.netstack.exclude_netns` of the mkdocs.yml beside snapshots/ (the docs repository), if any."""
    from netstack_docs.site.config import exclude_netns
    from netstack_docs.site.project import find_project

    return exclude_netns(find_project(snapshots_dir.resolve().parent).config)


def _last_line(text: str, fallback: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else fallback


def failure_reason(rc: int, stderr: str, timeout: int, python: str) -> str:
    """One line saying which step failed and what is known, from the host shell's own marked lines.

    Unmarked lines are ssh's (warnings, banners) or a become method's: they are never the reason."""
    said = [line.removeprefix(SAID).strip() for line in stderr.splitlines() if line.startswith(SAID)]
    steps = [line.removeprefix(STEP).strip() for line in stderr.splitlines() if line.startswith(STEP)]
    last_said = _last_line("\n".join(said), "")
    if rc == TIMED_OUT:
        return f"capture did not finish within {timeout} s"
    if steps and steps[-1].startswith("capture:"):
        if rc == 127:
            return (f"cannot run {python} on the host (Python 3.9 or later is needed): "
                    f"{last_said or 'command not found'}")
        if last_said:
            return f"capture: {python} exited with status {rc}: {last_said}"
        return f"capture: {python} exited with status {rc} and printed nothing"
    if steps:
        return steps[-1]
    return (f"the command on the host exited with status {rc} before the capture started "
            "(the connection or become step; run the play with -vvv to see ssh's messages)")


class ActionModule(ActionBase):  # type: ignore[misc]
    _supports_check_mode = True  # check mode captures and compares but writes nothing

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        super().run(tmp, task_vars)  # Ansible's own checks (check mode, async)
        task_vars = task_vars or {}
        _, args = self.validate_argument_spec(argument_spec=ARGUMENTS)
        name = str(task_vars.get("inventory_hostname", "host"))
        env = args["env"] or default_env(task_vars.get("groups", {}), name)
        host = args["host"] or default_host(name)
        result: dict[str, Any] = {"changed": False, "env": env, "host": host}
        try:
            target = target_path(Path(args["snapshots_dir"]), env, host)
            if args["exclude_netns"] is None:
                args["exclude_netns"] = repository_exclusions(Path(args["snapshots_dir"]))
            output = self._run_capture(args, env, host)
            doc = parse_capture(output, f"{name}: the capture's output", env)
            if args["redact_key"]:
                doc = validate_document(redact(doc, load_or_create_key(args["redact_key"])), target)
            stored = store_capture(doc, target, write=not self._task.check_mode)
        except (_Failed, UserError) as exc:
            return {**result, "failed": True, "msg": str(exc)}
        return {**result, "changed": stored.changed, "reason": stored.reason, "snapshot": str(target)}

    def _run_capture(self, args: dict[str, Any], env: str, host: str) -> str:
        """The capture's standard output; _Failed says why there is none."""
        if not self._connection.has_pipelining:
            raise _Failed(f"the {self._connection.transport} connection cannot send the bundle on standard "
                          "input (it has no pipelining): use ssh, paramiko or local")
        try:
            bundle = Path(args["bundle"]).read_bytes()
        except OSError as exc:
            raise _Failed(f"{args['bundle']}: cannot read the bundle: {exc.strerror or exc}") from None
        try:
            cmd = remote_command(args, env, host)
            done = self._low_level_execute_command(cmd, sudoable=True, in_data=bundle)
        except AnsibleConnectionFailure as exc:
            raise _Failed(f"unreachable: {_last_line(str(exc), 'no answer')}") from None
        except AnsibleError as exc:
            raise _Failed(_last_line(str(exc), type(exc).__name__)) from None
        if done["rc"] != 0:
            raise _Failed(failure_reason(done["rc"], done.get("stderr", ""), args["timeout"], args["python"]))
        return str(done["stdout"])


class _Failed(Exception):
    """The host could not be captured; the message is the summary's one line."""
