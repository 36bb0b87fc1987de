"""The interfaces page's tc stages: a device's ingress filters (and where a mirred redirect sends the
packet, such as an ifb and its qdisc) and its egress tree (clsact filters, the root qdisc, its
filters, classes by parent and their leaf qdiscs), each filter spelled as tc is written."""

from __future__ import annotations

from netstack_docs.model.hookorder import Stage
from netstack_docs.model.ifaceview import DeviceBase, Item, Obj, StageView, Target, device_anchor
from netstack_docs.model.tcfacts import tc_options
from netstack_docs.model.tcmatch import filter_text


class TcStages(DeviceBase):
    def _filter(self, flt: Obj) -> Item:
        children = []
        for action in flt.get("actions") or []:
            dev = action.get("dev")
            if action.get("kind") == "mirred" and isinstance(dev, str):
                children.append(self._mirred(flt, action, dev))
        return Item("filter", self.target("filter", flt), filter_text(flt), children=tuple(children))

    def _mirred(self, flt: Obj, action: Obj, dev: str) -> Item:
        verb = str(action.get("action") or "redirect")
        ifb = next((x for x in self.ns.get("links", []) if x.get("ifname") == dev), None)
        target = Target(None, device_anchor(self.ns_id, dev)) if ifb is not None else None
        if ifb is not None and ifb.get("kind") == "ifb" and "redirect" in verb:
            roots = [self._qdisc(q) for q in self.host.qdiscs(self.ns_id, dev) if q.get("parent") == "root"]
            note = (
                f"{verb} to {dev}: shaped by its root qdisc, then handed back to {self.ifname} with "
                "tc classification skipped"
            )
            return Item(dev, target, note=note, children=tuple(roots))
        return Item(dev, target, note=f"{verb} to {dev}" + ("" if ifb is not None else " (not captured)"))

    def _qdisc(self, q: Obj) -> Item:
        """A qdisc and what hangs under it: its filters, its classes (by parent), their leaf qdiscs."""
        dev, handle = str(q.get("ifname")), str(q.get("handle") or "")
        major = handle.split(":")[0]
        classes = self.host.classes(self.ns_id, dev)
        known = {str(c.get("classid")) for c in classes}
        top = [
            c
            for c in classes
            if str(c.get("classid")).split(":")[0] == major
            and (c.get("parent") in ("root", handle) or c.get("parent") not in known)
        ]
        # qdiscs of classes the kernel does not list (mq's per-queue classes)
        orphans = [
            x
            for x in self.host.qdiscs(self.ns_id, dev)
            if str(x.get("parent")).split(":")[0] == major
            and x.get("parent") not in known
            and x.get("parent") not in ("root", handle)
            and x is not q
        ]
        children = [
            *self._filters_at(dev, handle),
            *(self._class(c) for c in top),
            *(self._qdisc(x) for x in orphans),
        ]
        text = f"qdisc {q.get('kind')} {handle}"
        return Item(
            text, self.target("qdisc", q), tc_options(q.get("options") or {}), children=tuple(children)
        )

    def _class(self, c: Obj) -> Item:
        dev, classid = str(c.get("ifname")), str(c.get("classid"))
        subs = [x for x in self.host.classes(self.ns_id, dev) if x.get("parent") == classid]
        leaves = [q for q in self.host.qdiscs(self.ns_id, dev) if q.get("parent") == classid]
        children = [
            *self._filters_at(dev, classid),
            *(self._class(x) for x in subs),
            *(self._qdisc(q) for q in leaves),
        ]
        options = {k: v for k, v in (c.get("options") or {}).items() if k != "level"}
        return Item(
            f"class {c.get('kind')} {classid}",
            self.target("class", c),
            tc_options(options),
            children=tuple(children),
        )

    def _filters_at(self, dev: str, parent: str) -> list[Item]:
        found = [
            f
            for f in self.host.filters(self.ns_id, dev)
            if f.get("parent") == parent
            and not ("divisor" in (f.get("options") or {}) and "keys" not in (f.get("options") or {}))
        ]
        return [
            self._filter(f) for f in sorted(found, key=lambda f: (f.get("pref") or 0, str(f.get("handle"))))
        ]

    def _tc_ingress(self, stage: Stage) -> StageView:
        qdisc = next(
            (q for q in self.host.qdiscs(self.ns_id, self.ifname) if q.get("kind") in ("clsact", "ingress")),
            None,
        )
        items = tuple(self._filter(f) for f in stage.objects)
        if qdisc is not None:
            items = (
                Item(
                    f"qdisc {qdisc.get('kind')} {qdisc.get('handle')}",
                    self.target("qdisc", qdisc),
                    children=items,
                ),
            )
        return StageView(stage.name, "tc ingress", items, "filters by preference; the first verdict decides")

    def _tc_egress(self, stage: Stage) -> StageView:
        own = {id(q) for q in self.host.qdiscs(self.ns_id, self.ifname)}
        qdiscs = [o for o in stage.objects if id(o) in own]
        filters = [o for o in stage.objects if id(o) not in own]
        items: list[Item] = []
        clsact = next(
            (q for q in self.host.qdiscs(self.ns_id, self.ifname) if q.get("kind") == "clsact"), None
        )
        if filters:
            flts = tuple(self._filter(f) for f in filters)
            items.append(
                Item(
                    f"qdisc clsact {clsact.get('handle')} (egress filters)",
                    self.target("qdisc", clsact),
                    children=flts,
                )
                if clsact
                else Item("egress filters", children=flts)
            )
        items += [self._qdisc(q) for q in qdiscs]
        return StageView(
            stage.name,
            "tc egress",
            tuple(items),
            "clsact egress filters, then the root qdisc queues the packet (its filters choose the class)",
        )
