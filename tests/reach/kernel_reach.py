"""Run inside a sandbox: reach's regions proven by the kernel. For every region of the question (every
new TCP connection arriving on IF from outside, to the host's addresses and ports), packets drawn at
random inside it and on its edges are sent for real from the far namespace, which owns each source
address for the moment (`ip route add local SRC/32 dev lo`, so the answer comes back to it).

    python kernel_reach.py SNAPSHOT.json ENV HOST IF FAR_NETNS PER_REGION ASSUME [SOURCES]

SOURCES: comma-separated prefixes the far side sends from (default: a few outside ranges).
With KERNEL_REACH_EXPOSURE=1 in the environment, the regions are the exposure view's rows for IF (its
TCP sockets), as a site shows them, and the report says whether they were made from another port's;
KERNEL_REACH_DST (comma-separated prefixes) keeps to those destinations; KERNEL_REACH_SEED draws other
packets (two runs on one lab must not send the same connection twice).

Each packet's region must be what its trace says (reach and trace agree), and the kernel must do what
the region says: delivered (connect succeeds; the answer's own trace must come back, as in
tests/trace/kernel_driver.py), rejected (refused or unreachable), dropped (a timeout). Regions that
depend on an unknown are counted, not compared. Prints one JSON line; exits 1 on any disagreement.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trace"))

import kernel_driver  # noqa: E402
from kernel_driver import answer, ns_path, observe  # noqa: E402

from netstack_docs.analysis.reach import Space, reach  # noqa: E402
from netstack_docs.analysis.reach.engine import ReachAnswer, _packet, outcome, packet_fields  # noqa: E402
from netstack_docs.analysis.reach.exposure import _ingress, host_exposure  # noqa: E402
from netstack_docs.analysis.reach.ports import interchangeable_ports  # noqa: E402
from netstack_docs.analysis.trace import Fleet, trace  # noqa: E402

kernel_driver.TIMEOUT = 2.0  # a lab on one machine answers in milliseconds; a drop is a timeout
OUTSIDE = ["100.64.0.0/10", "192.0.2.0/24", "198.18.0.0/15", "203.0.113.128/25", "8.8.0.0/16"]


def _edges(space: Space, rng: random.Random) -> list[dict]:
    out = []
    for box in space.boxes[:12]:
        base = box.example(rng)
        for x in box.saddr.edges()[:4] + box.saddr.outside_edges()[:4]:
            out.append(dict(base, src=str(ipaddress.IPv4Address(x))))
        for x in box.dport.edges()[:4] + box.dport.outside_edges()[:4]:
            out.append(dict(base, dport=x))
    return out


def _exposure_rows(
    fleet: Fleet, doc: dict, env: str, host: str, iif: str, src: Space, assume: list[str]
) -> tuple[ReachAnswer, bool]:
    """The regions of the exposure view's rows for IF (the root namespace's TCP sockets), limited to the
    sources sent from; and whether they were made from another port's (a class of alike ports)."""
    root = fleet.host(env, host).namespace(None)
    rows = [r for r in host_exposure(fleet, env, host, None, assume=tuple(assume)).rows
            if r.netns == root.id and r.ifname == iif and r.socket.get("protocol") == "tcp"]
    regions = [replace(region, space=region.space & src) for row in rows for region in row.regions]
    ans = ReachAnswer(env, host, iif, None, Space([b for r in regions for b in r.space.boxes]))
    ans.regions = [r for r in regions if r.space]
    classes = interchangeable_ports(doc, root.id, _ingress(root), frozenset({4}), [*assume, *fleet.assume])
    return ans, iif in classes


def main() -> None:
    path, env, host, iif, far = sys.argv[1:6]
    per_region = int(sys.argv[6])
    assume = [a for a in (sys.argv[7] if len(sys.argv) > 7 else "").split(",") if a]
    outside = sys.argv[8].split(",") if len(sys.argv) > 8 else OUTSIDE
    doc = json.loads(Path(path).read_text())
    fleet = Fleet.from_docs({(env, host): doc}, assume)
    root = next(n for n in doc["namespaces"] if n["kind"] == "root")
    far_ns = next(n for n in doc["namespaces"] if far in (n.get("name"), n["id"]))
    own = [  # the far side reaches the address of the interface it is wired to (no other route there)
        a["address"] for a in root["addresses"] if a["family"] == "inet" and a["ifname"] == iif
    ]
    ports = sorted(
        {int(s["port"]) for s in root["sockets"]["listening"] if s["protocol"] == "tcp"} | {7, 8443}
    )
    # A subnet's network and broadcast address as a source: trace's rp_filter says dropped (the way back
    # is a broadcast route), the lab's kernel delivers; a trace question, left out here and reported.
    edges = []
    for a in root["addresses"]:
        net = ipaddress.ip_interface(f"{a['address']}/{a['prefixlen']}").network
        if a["family"] == "inet" and net.prefixlen < 31:
            edges += [str(net.network_address), str(net.broadcast_address)]
    # A static neighbour entry (the lab's 10.10.0.254 -> a MAC nobody has) sends the answer nowhere: trace
    # does not follow link-layer addresses; such sources are left out too.
    static = [n["address"] for n in root.get("neighbours", []) if n.get("state") == "PERMANENT"]
    src = Space.where(family=4, proto="tcp", state="new", saddr=outside) - Space.where(
        saddr=own + edges + static
    )
    dst = Space.where(family=4, proto="tcp", daddr=own, dport=ports)
    derived = None
    if os.environ.get("KERNEL_REACH_EXPOSURE"):  # the exposure view's rows for IF instead (ports.py)
        # a source another namespace holds (a pod's, the node's) is answered there, and one the sender
        # held for the moment would take that namespace's packets (the node's own: its answers to all)
        held = [a["address"] for n in doc["namespaces"] for a in n["addresses"] if a["family"] == "inet"]
        src = src - Space.where(saddr=held)
        if os.environ.get("KERNEL_REACH_DST"):  # only these destinations (comma-separated prefixes)
            src = src & Space.where(daddr=os.environ["KERNEL_REACH_DST"].split(","))
        ans, derived = _exposure_rows(fleet, doc, env, host, iif, src, assume)
    else:
        ans = reach(fleet, env, host, ingress=iif, proto="tcp", src=src, dst=dst)
    rng = random.Random(int(os.environ.get("KERNEL_REACH_SEED", "21")))
    plan = []
    skipped = 0
    used: set[tuple[str, int]] = set()  # one socket per (source, port) at a time: bind() refuses a second
    for region in ans.regions:
        picks = [region.space.example(rng) for _ in range(per_region)] + _edges(region.space, rng)
        for ex in picks:
            if not ex or not ans.query.contains({**ex, "iif": iif}) or ex["src"] == ex["dst"]:
                continue  # (a source that is its own destination never leaves the sender)
            p = _packet(ex)
            if (p.src, p.sport) in used:
                continue
            used.add((p.src, int(p.sport or 0)))
            inside = ans.region_of(packet_fields(p, iif))
            fwd = trace(fleet, env, host, p, ingress=iif)
            if inside is None or outcome(fwd, root["id"], False) != inside.key:
                plan.append((p, "reach and trace disagree", inside and inside.description, fwd))
                continue
            if inside.fate == "depends":
                skipped += 1
                continue
            if inside.fate not in ("delivered", "rejected", "dropped"):
                skipped += 1
                continue
            plan.append((p, inside.fate, inside.description, fwd))
    # The answer of a delivered SYN must come back to the far side, which owns each source for the test:
    # its trace runs on the snapshot with those addresses added to the far namespace, as the lab has them.
    sources = sorted({p.src for p, *_ in plan})
    owned = copy.deepcopy(doc)
    far_doc = next(n for n in owned["namespaces"] if n["id"] == far_ns["id"])
    # on its wired interface: trace looks for a neighbour's addresses there (the kernel answers ARP for
    # any local address, the lab's are on lo)
    wired = next(a["ifname"] for a in far_doc["addresses"] if a["family"] == "inet" and a["ifname"] != "lo")
    far_doc["addresses"] += [
        {"family": "inet", "address": s, "prefixlen": 32, "ifname": wired, "scope": "global"} for s in sources
    ]
    far_doc["routes"] += [  # and its local table, as `ip route add local SRC/32 dev lo` makes it
        {
            "family": "inet",
            "table": "local",
            "type": "local",
            "dst": s,
            "dev": "lo",
            "protocol": "boot",
            "scope": "host",
            "prefsrc": None,
            "gateway": None,
            "metric": None,
            "nexthops": [],
        }
        for s in sources
    ]
    with_sources = Fleet.from_docs({(env, host): owned}, assume)
    checked = []
    for p, expected, desc, fwd in plan:
        if expected == "delivered":
            back = trace(
                with_sources, env, host, answer(doc, fwd, "tcp"), from_local=True, netns=fwd.final.netns
            )
            if back.verdict == "undetermined":
                skipped += 1
                continue
            if back.verdict != "delivered":
                expected = "dropped"
        checked.append((p, expected, desc, fwd.verdict))
    plan = checked
    batch = "".join(f"route add local {s}/32 dev lo\n" for s in sources)
    name = far_ns.get("name") or far
    subprocess.run(["ip", "-force", "-n", name, "-batch", "-"], input=batch, text=True, check=False)
    observed: dict[int, str] = {}
    namespaces = [(n["id"], ns_path(n)) for n in doc["namespaces"]]

    def run(i: int) -> None:
        p = plan[i][0]
        observed[i], _ = observe(
            ns_path(far_ns), p.src, p.dst, "tcp", int(p.sport or 40000), int(p.dport or 0), namespaces
        )

    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(run, [i for i, item in enumerate(plan) if item[1] != "reach and trace disagree"]))
    disagree = []
    for i, (p, expected, desc, _) in enumerate(plan):
        got = observed.get(i, "not sent")
        if expected == "reach and trace disagree" or got != expected:
            disagree.append({"packet": p.describe(), "expected": expected, "kernel": got, "region": desc})
    report = {
        "derived": derived,
        "regions": len(ans.regions),
        "fates": sorted({f"{r.fate} {r.end}".strip() for r in ans.regions}),
        "paths": ans.paths,
        "packets": len(plan),
        "agree": len(plan) - len(disagree),
        "not_compared": skipped,
        "disagree": disagree[:20],
        "disagreements": len(disagree),
    }
    print(json.dumps(report))
    sys.exit(1 if disagree else 0)


if __name__ == "__main__":
    main()
