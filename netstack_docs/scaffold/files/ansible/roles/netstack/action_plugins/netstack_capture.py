"""The role's one task per host: capture over Ansible's connection, store the snapshot on this machine.

The logic ships with netstack-docs (netstack_docs/fleet/ansible_action.py), so upgrading the tool
upgrades it; this file only finds it. Ansible must run on the Python where netstack-docs is
installed: `pip install 'netstack-docs[fleet]'` puts both in the same environment.
"""

try:
    from netstack_docs.fleet.ansible_action import ActionModule  # noqa: F401
except ImportError as exc:
    from ansible.plugins.action import ActionBase

    _PROBLEM = str(exc)

    class ActionModule(ActionBase):  # type: ignore[no-redef]
        def run(self, tmp=None, task_vars=None):
            import sys

            return {"failed": True, "msg": f"the Python running Ansible ({sys.executable}) cannot import "
                                           f"netstack-docs ({_PROBLEM}): install 'netstack-docs[fleet]' "
                                           "and run that environment's ansible-playbook"}
