"""The interfaces page's nftables stages: the netdev chains bound to a device (every rule), and on the
IP hooks, in the hook model's order, the base chains whose rules name it (`iifname`, `oifname`)."""

from __future__ import annotations

from netstack_docs.model.hookorder import Stage, ip_hook
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


class NftStages(DeviceBase):
    def _rule_item(self, rule: Obj) -> Item:
        return Item("rule", self.target("nftrule", rule), str(rule.get("text") or nft_rule_content(rule)))

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
        if not items:
            return None
        return StageView("chains", "regular chains (reached by jump or goto)", tuple(items))
