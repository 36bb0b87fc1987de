"""The fleet files `netstack-docs new` writes: an Ansible playbook and role clean under ansible-lint's
production profile, and a capture workflow that proposes the fleet's changes as a pull request."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def docs_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fleet-files") / "docs"
    subprocess.run([str(BIN / "netstack-docs"), "new", str(root), "--env", "prod"], check=True,
                   capture_output=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _run(root: Path, *cmd: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(root.parent), ANSIBLE_NOCOLOR="1", NO_COLOR="1")
    return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_new_writes_the_playbook_and_its_role(docs_repo: Path) -> None:
    for rel in ("ansible/capture.yml", "ansible/roles/netstack/tasks/main.yml",
                "ansible/roles/netstack/defaults/main.yml",
                "ansible/roles/netstack/action_plugins/netstack_capture.py", ".github/workflows/capture.yml"):
        assert (docs_repo / rel).is_file(), rel
    assert not list(docs_repo.rglob("__pycache__")) and not list(docs_repo.rglob("*.pyc"))
    defaults = yaml.safe_load((docs_repo / "ansible/roles/netstack/defaults/main.yml").read_text())
    assert defaults["netstack_timeout"] == 120 and defaults["netstack_redact"] is False
    proc = _run(docs_repo, str(BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,",
                "ansible/capture.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ansible_lint_production_profile_is_clean(docs_repo: Path) -> None:
    proc = _run(docs_repo, str(BIN / "ansible-lint"), "--offline", "--profile", "production", "--nocolor",
                "ansible/")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Profile 'production' was required, and it passed" in proc.stdout + proc.stderr


def test_capture_workflow_runs_the_playbook_and_opens_a_pull_request(docs_repo: Path) -> None:
    text = (docs_repo / ".github/workflows/capture.yml").read_text()
    doc = yaml.safe_load(text)
    triggers = doc[True]  # YAML 1.1 reads the key `on` as True
    assert set(triggers) == {"schedule", "workflow_dispatch"} and triggers["schedule"][0]["cron"]
    [job] = doc["jobs"].values()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "ansible-playbook -i \"$INVENTORY\" ansible/capture.yml" in runs
    assert "secrets.NETSTACK_SSH_KEY" in text and "gh pr create" in runs
    assert runs.index("gh pr create") < runs.index("exit 1")  # failed hosts never hide the others' changes
    assert "netstack-docs[fleet]==" in runs and "@@" not in text


def test_the_action_plugin_says_what_to_install_when_ansible_runs_on_another_python(
        docs_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ansible from elsewhere (a distro package, pipx) cannot import netstack_docs: the task says so."""
    monkeypatch.setitem(sys.modules, "netstack_docs.fleet.ansible_action", None)  # import raises ImportError
    plugin = docs_repo / "ansible/roles/netstack/action_plugins/netstack_capture.py"
    spec = importlib.util.spec_from_file_location("netstack_capture_shim", plugin)
    assert spec is not None and spec.loader is not None
    shim = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shim)
    result = shim.ActionModule.run(object.__new__(shim.ActionModule), task_vars={})
    assert result["failed"] is True
    assert "cannot import netstack-docs" in result["msg"] and "netstack-docs[fleet]" in result["msg"]
