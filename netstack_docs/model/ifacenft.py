"""The interfaces page's netfilter stages: the netdev chains bound to a device (every rule), and on the
IP hooks, in the hook model's order, the chains whose rules name it: nftables base chains
(`iifname`, `oifname`, `iif`, `oif`) and iptables-legacy built-in chains (`-i`, `-o`)."""

from __future__ import annotations

import re

from netstack_docs.model.hookorder import HookEntry, Stage, ip_hook
from netstack_docs.model.ifaceview import (
    IN_KEYS,
    OUT_KEYS,
    DeviceBase,
    Item,
    Obj,
    StageView,
    capped,
    names_device,
)
from netstack_docs.snapshot.content import nft_rule_content

# iptables-save's interface options; `+` ends a wildcard (`eth+`), `!` negates
_IPT_DEVICE = re.compile(r"(?:^|\s)(-i|--in-interface|-o|--out-interface)\s+(\S+)")
_IPT_IN = ("-i", "--in-interface")


def ipt_names(rule: str, ifname: str, incoming: bool) -> bool:
    """Whether an iptables-save rule line names `ifname` with -i (incoming) or -o."""
    for flag, name in _IPT_DEVICE.findall(rule):
        if (flag in _IPT_IN) == incoming and (
            name == ifname or name.endswith("+") and ifname.startswith(name[:-1])
        ):
            return True
    return False


class NftStages(DeviceBase):
    def _rule_item(self, rule: Obj) -> Item:
        # a rule of an iptables-nft table reads as iptables-nft-save prints it (nft's text may be cut)
        text = rule.get("iptables") or rule.get("text") or nft_rule_content(rule)
        return Item("rule", self.target("nftrule", rule), str(text))

    def _netdev(self, stage: Stage) -> StageView:
        items = []
        for slot in stage.slots:
            for entry in slot.entries:
                chain = entry.obj
                rules = [self._rule_item(r) for r in self.host.chain_rules(self.ns_id, chain)]
                tie = "" if slot.known or len(slot.entries) < 2 else "; order among equal priority unknown"
                note = f"priority {entry.priority}, policy {chain.get('policy') or 'accept'}{tie}"
                items.append(
                    Item(
                        f"{chain['family']} {chain['table']} {chain['name']}",
                        self.target("nftchain", chain),
                        note=note,
                        children=capped(rules, "rules", self.target("nftchain", chain)),
                    )
                )
        hook = "ingress" if stage.name == "netdev-ingress" else "egress"
        return StageView(stage.name, f"nftables {hook} (netdev)", tuple(items), stage.note)

    def _ip_hook(self, hook: str, keys: tuple[str, ...], branch: str = "") -> StageView | None:
        items = []
        for slot in ip_hook(self.ns, hook, None):
            for entry in slot.entries:
                if entry.source != "nftables":
                    items += self._legacy(entry, keys == IN_KEYS)
                    continue
                chain = entry.obj
                rules = [
                    self._rule_item(r)
                    for r in self.host.chain_rules(self.ns_id, chain)
                    if self._names_me(r, keys)
                ]
                if rules:
                    note = (
                        f"{chain.get('type') or 'filter'}, priority {entry.priority}, policy "
                        f"{chain.get('policy') or 'accept'}; its rules that name {self.ifname}:"
                    )
                    items.append(
                        Item(
                            f"{chain['family']} {chain['table']} {chain['name']}",
                            self.target("nftchain", chain),
                            note=note,
                            children=capped(rules, "rules", self.target("nftchain", chain)),
                        )
                    )
        if not items:
            return None
        return StageView(hook, hook, tuple(items), branch=branch)

    def _legacy(self, entry: HookEntry, incoming: bool) -> list[Item]:
        """An iptables-legacy built-in chain on this hook, when its rules name the device."""
        view = entry.obj
        builtin = (view.get("chains") or {}).get(view.get("chain")) or {}
        target = self.host.targets.iptables(self.ns_id, str(view.get("key")))
        rules = [
            Item("rule", target, str(r))
            for r in builtin.get("rules") or []
            if ipt_names(str(r), self.ifname, incoming)
        ]
        if not rules:
            return []
        note = (
            f"iptables-legacy, priority {entry.priority}, policy {builtin.get('policy') or 'ACCEPT'}; "
            f"its rules that name {self.ifname}:"
        )
        return [
            Item(f"{view.get('key')} {view.get('chain')}", target, note=note, children=capped(rules, "rules"))
        ]

    def _names_me(self, rule: Obj, keys: tuple[str, ...]) -> bool:
        named = self.host.rule_devices(rule)
        return any(names_device(self.ifname, named.get(k, ())) for k in keys)

    def _other_chains(self) -> StageView | None:
        """Rules naming the device in chains no hook calls directly (reached by jump or goto)."""
        items = []
        for chain in self.host.regular_chains(self.ns_id):
            rules = [
                self._rule_item(r)
                for r in self.host.chain_rules(self.ns_id, chain)
                if self._names_me(r, IN_KEYS + OUT_KEYS)
            ]
            if rules:
                items.append(
                    Item(
                        f"{chain['family']} {chain['table']} {chain['name']}",
                        self.target("nftchain", chain),
                        children=capped(rules, "rules"),
                    )
                )
        for key, chains in sorted((self.ns.get("iptables") or {}).items()):
            target = self.host.targets.iptables(self.ns_id, key)
            for name, chain in sorted((chains or {}).items()):
                rules = [
                    Item("rule", target, str(r))
                    for r in (chain or {}).get("rules") or []
                    if not (chain or {}).get("policy")  # built-in chains are on their hooks
                    and (ipt_names(str(r), self.ifname, True) or ipt_names(str(r), self.ifname, False))
                ]
                if rules:
                    items.append(
                        Item(f"iptables-legacy {key} {name}", target, children=capped(rules, "rules"))
                    )
        if not items:
            return None
        return StageView("chains", "regular chains (reached by jump or goto)", tuple(items))
