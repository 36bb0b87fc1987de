"""What `ovs-appctl ofproto/trace` says a frame becomes, read from its "Datapath actions:" lines, and the same
question put to trace's OpenFlow walk (netstack_docs.analysis.trace.ofproto), in one comparable shape:
a set of (port, VLAN) for plain ports and ("tunnel", remote_ip, tunnel id, VLAN) for encapsulated copies."""

from __future__ import annotations

import re

from netstack_docs.analysis.trace import ofproto
from netstack_docs.analysis.trace.ofactions import split
from netstack_docs.analysis.trace.ofmatch import parse_match

End = tuple[object, ...]


def datapath_ports(dpif_show: str) -> dict[int, str]:
    """`ovs-appctl dpif/show`: datapath port number -> interface name (`    tap1 2/5: (tap)`)."""
    out = {}
    for line in dpif_show.splitlines():
        m = re.match(r"^\s+(\S+) \d+/(\d+): ", line)
        if m:
            out[int(m.group(2))] = m.group(1)
    return out


def _read(
    actions: list[str], names: dict[int, str], vlans: list[int], eth: dict[str, str], ends: set[End]
) -> None:
    for action in actions:
        macs = (eth["src"], eth["dst"])
        if action.isdigit():
            ends.add((names[int(action)], vlans[-1] if vlans else None, *macs))
        elif action.startswith("set(eth("):
            eth.update(re.findall(r"(src|dst)=([0-9a-f:]{17})", action))
        elif action.startswith("push_vlan("):
            vlans.append(int(re.search(r"vid=(\d+)", action).group(1)))  # type: ignore[union-attr]
        elif action == "pop_vlan":
            vlans.pop()
        elif action.startswith("clone(") and "tnl_push(" in action:
            dst = re.search(r"ipv4\(src=[^,]+,dst=([^,]+)", action).group(1)  # type: ignore[union-attr]
            vni = int(re.search(r"vni=(0x[0-9a-f]+)", action).group(1), 16)  # type: ignore[union-attr]
            ends.add(("tunnel", dst, vni, vlans[-1] if vlans else None, *macs))
        elif action.startswith("clone("):
            _read(split(action[6:-1]), names, list(vlans), dict(eth), ends)
        elif action.startswith(("ct(", "recirc(", "drop", "userspace(")):
            continue
        else:
            raise AssertionError(f"datapath action not read by the test: {action}")


def oracle_ends(trace_text: str, names: dict[int, str], spec: str) -> set[End]:
    """The ends of every "Datapath actions:" line (a conntrack recirculation adds one), with the frame's
    MACs as the datapath rewrites them (`set(eth(...))`)."""
    ends: set[End] = set()
    start = dict(re.findall(r"dl_(src|dst)=([0-9a-f:]{17})", spec))
    tag = re.search(r"dl_vlan=(\d+)", spec)
    vlans = [int(tag.group(1))] if tag else []
    for line in trace_text.splitlines():
        if line.startswith("Datapath actions: "):
            _read(split(line[len("Datapath actions: ") :]), names, list(vlans), dict(start), ends)
    return ends


def frame_of(spec: str) -> dict[str, object]:
    """The frame ofproto/trace is given as `in_port=tap1,dl_vlan=1,tcp,...` (every value exact)."""
    frame: dict[str, object] = {"vlan_tci": 0}
    for test in parse_match(spec):
        frame[test.field] = test.value
    return frame


def walk_ends(switch: ofproto.Switch, bridge: str, spec: str, ct_next: str = "new") -> set[End]:
    def first(key: str, what: str, outcomes: tuple[str, ...], random: bool = False) -> str:
        return outcomes[0]

    _, outputs = ofproto.run(switch, bridge, frame_of(spec), first, ct_next)
    ends: set[End] = set()
    for out in outputs:
        assert out.kind != "undetermined", out.why
        macs = tuple(format(int(out.frame[k]), "012x") for k in ("dl_src", "dl_dst"))  # type: ignore[call-overload]
        macs = tuple(":".join(m[i : i + 2] for i in range(0, 12, 2)) for m in macs)
        if out.kind == "tunnel":
            ends.add(
                ("tunnel", out.iface["options"]["remote_ip"], out.frame.get("tun_id", 0), out.vlan, *macs)
            )
        else:
            ends.add((out.port, out.vlan, *macs))
    return ends
