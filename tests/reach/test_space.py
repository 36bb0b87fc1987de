"""The packet-space algebra: intersection, difference, emptiness, examples and masks checked against
brute force on every value of small dimensions; descriptions as a reader wants them."""

from __future__ import annotations

import itertools
import random

from netstack_docs.analysis.reach.space import Box, Dim, Space, _first_masked


def _members(d: Dim) -> set[int]:
    return {x for x in range(1 << d.width) if d.contains(x)}


def _random_dim(rng: random.Random) -> Dim:
    intervals = []
    for _ in range(rng.randint(0, 3)):
        lo = rng.randrange(256)
        intervals.append((lo, min(255, lo + rng.randrange(40))))
    masks = []
    if rng.random() < 0.4:
        m = rng.randrange(256)
        masks.append((m, rng.randrange(256) & m, rng.random() < 0.7))
    return Dim(8, Dim.of(8, intervals).intervals, tuple(masks))


def test_dim_operations_agree_with_brute_force() -> None:
    rng = random.Random(3)
    for _ in range(300):
        a, b = _random_dim(rng), _random_dim(rng)
        assert _members(a & b) == _members(a) & _members(b)
        outside = set().union(*(_members(c) for c in a.complement())) if a.complement() else set()
        assert outside == set(range(256)) - _members(a)
        first = a.first()
        assert first == (min(_members(a)) if _members(a) else None)


def test_masked_first_member_is_the_smallest() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        m = rng.randrange(256)
        masks = ((m, rng.randrange(256) & m, True), (rng.randrange(256), rng.randrange(256), False))
        masks = tuple((mm, v & mm, e) for mm, v, e in masks)
        lo = rng.randrange(256)
        hi = rng.randrange(lo, 256)
        want = next((x for x in range(lo, hi + 1) if all((x & mm == v) == e for mm, v, e in masks)), None)
        assert _first_masked(lo, hi, masks, 8) == want


def test_box_difference_is_exact() -> None:
    """A \\ B and A & B partition A, on a box small enough to enumerate (ports of two protocols)."""
    rng = random.Random(9)
    universe = Space.universe(families=[4], protos=["tcp"])
    for _ in range(40):
        a = Space.where(
            family=4, proto="tcp", dport=[(rng.randrange(60), rng.randrange(60, 120))], saddr=["10.0.0.0/30"]
        )
        b = Space.where(
            family=4,
            proto="tcp",
            dport=[(rng.randrange(120), rng.randrange(120, 130))],
            saddr=[rng.choice(["10.0.0.0/31", "10.0.0.2/32", "10.0.0.0/30"])],
            state=rng.choice(["new", "established"]),
        )
        for addr, port, state in itertools.product(range(4), range(0, 130, 3), ("new", "established")):
            pkt = {
                "src": f"10.0.0.{addr}",
                "dst": "1.1.1.1",
                "proto": "tcp",
                "sport": 1,
                "dport": port,
                "state": state,
                "mark": 0,
                "iif": None,
            }
            assert (a - b).contains(pkt) == (a.contains(pkt) and not b.contains(pkt))
            assert (a & b).contains(pkt) == (a.contains(pkt) and b.contains(pkt))
            assert universe.contains(pkt)


def test_mask_on_an_address_is_exact_and_described_as_nft_writes_it() -> None:
    """`ip saddr & 0.0.0.255 == 7`: 2^24 addresses, kept as one condition, not listed."""
    seven = Space([Box.universe(4, "tcp")]) & Space(
        [
            Box(
                4,
                "tcp",
                frozenset({"new", "established"}),
                None,
                Dim.masked(32, 0xFF, 7),
                Dim.full(32),
                Dim.full(16),
                Dim.full(16),
                Dim.full(32),
            )
        ]
    )
    assert seven.contains({"src": "198.51.100.7", "dst": "1.1.1.1", "proto": "tcp", "sport": 1, "dport": 2})
    assert not seven.contains(
        {"src": "198.51.100.8", "dst": "1.1.1.1", "proto": "tcp", "sport": 1, "dport": 2}
    )
    rest = Space.universe(families=[4], protos=["tcp"]) - seven
    ex = rest.example()
    assert ex is not None and not seven.contains(ex)
    assert "& 0.0.0.255 == 0.0.0.7" in seven.describe()
    assert seven.example()["src"] == "0.0.0.7"


def test_description_says_any_except() -> None:
    s = Space.where(family=4, proto="tcp", dport=22) - Space.where(saddr=["198.51.100.0/24"])
    assert s.describe() == "tcp dport 22 from any except 198.51.100.0/24"
    ranged = Space.where(family=4, proto="tcp", dport=[(1000, 2000)], state="new")
    assert ranged.describe() == "tcp dport 1000-2000 from any source, new connections"


def _random_boxes(rng: random.Random, n: int, keys: bool = False) -> list[Box]:
    """Boxes of one cell, some wider; with `keys`, like a verdict map's keys (one address each, distinct)."""
    cell = Box.universe(4, "tcp")
    out = []
    addresses = rng.sample(range(21), min(n, 21))
    for i in range(n):
        ip, port = (addresses[i % len(addresses)] if keys else rng.randint(0, 20)), rng.randint(0, 5)
        dims = {
            "daddr": Dim.of(32, [(ip, ip + (0 if keys else rng.randint(0, 2)))]),
            "dport": Dim.of(16, [(port, port + rng.randint(0, 1))]),
        }
        if rng.random() < 0.3 and not keys:
            dims["saddr"] = Dim.of(32, [(0, rng.randint(0, 10))])
        out.append(cell.narrowed(dims))
    return out


def _random_packet(rng: random.Random) -> dict[str, object]:
    return {
        "src": f"0.0.0.{rng.randint(0, 12)}",
        "dst": f"0.0.0.{rng.randint(0, 25)}",
        "proto": "tcp",
        "sport": rng.randint(0, 2),
        "dport": rng.randint(0, 7),
        "state": rng.choice(["new", "established"]),
        "mark": 0,
    }


def test_complement_in_a_cell_is_exact_also_when_grouped() -> None:
    """A verdict map's miss is the complement of its keys: computed group by group when one dimension
    partitions them (linear), else by subtraction; both agree with membership on every packet."""
    rng = random.Random(5)
    cell = Box.universe(4, "tcp")
    grouped = 0
    for _ in range(150):
        n = rng.randint(0, 30)
        space = Space(_random_boxes(rng, n, keys=n <= 21 and rng.random() < 0.5))
        comp = space.complement_in(cell)
        from netstack_docs.analysis.reach.space import _complement_grouped

        grouped += _complement_grouped(space.boxes, cell) is not None
        for _ in range(200):
            p = _random_packet(rng)
            assert comp.contains(p) == (cell.contains(p) and not space.contains(p)), p
    assert grouped > 20  # the grouped way was taken (points on distinct addresses)


def test_apart_never_separates_boxes_that_share_a_packet() -> None:
    rng = random.Random(6)
    boxes = _random_boxes(rng, 30)
    grid = _grid()
    holds = [frozenset(i for i, p in enumerate(grid) if b.contains(p)) for b in boxes]
    for (a, ha), (b, hb) in itertools.combinations(zip(boxes, holds, strict=True), 2):
        if a.apart(b):
            assert a & b is None
        assert (a & b is None) == ha.isdisjoint(hb)


def _grid() -> list[dict[str, object]]:
    return [
        {"src": f"0.0.0.{s}", "dst": f"0.0.0.{d}", "proto": "tcp", "sport": 1, "dport": p, "state": "new"}
        for s in range(0, 12, 3)
        for d in range(24)
        for p in range(7)
    ]


def test_frontier_takes_out_what_a_plain_split_does_box_for_box() -> None:
    """The engine's indexed frontier gives the same first box and the same answered boxes, in the same
    order, as splitting the whole list, walk after walk."""
    from netstack_docs.analysis.reach.space import Frontier

    rng = random.Random(7)
    for _ in range(20):
        left = Space([Box.universe(4, "tcp")]) - Space(_random_boxes(rng, 8))
        frontier = Frontier(left)
        while left:
            assert frontier.first() == left.boxes[0]
            answer = Space(_random_boxes(rng, rng.choice([1, 1, 3])) + [left.boxes[0]])
            taken, left = left.split_by(answer)
            assert frontier.take(answer).boxes == taken.boxes
            assert frontier.rest().boxes == left.boxes
        assert not frontier


def test_a_box_keeps_its_hash_but_never_carries_it_into_another_process() -> None:
    import pickle

    box = Box.universe(4, "tcp", "eth0").narrowed({"saddr": Dim.of(32, [(1, 9), (20, 30)])})
    assert hash(box) == hash(box) and "_hash" in box.__dict__ and "_hash" in box.saddr.__dict__
    copy = pickle.loads(pickle.dumps(box))
    assert copy == box and "_hash" not in copy.__dict__ and "_hash" not in copy.saddr.__dict__
    assert {box: 1}[copy] == 1
