"""iptables rules (iptables-save syntax) compiled into the operations trace runs for nftables rules.

Whatever nftables' own expressions say the same (addresses, devices, protocol, ports, conntrack
state, marks) is written as the nft JSON statement iptables-nft itself would emit and compiled by
nftrules, so one evaluator (and any reader of `Op.expr`) handles both; the rest (addrtype,
multiport, ipset, statistic, iprange, icmp types, MARK/CONNMARK arithmetic) are closures here,
their `expr` an `{"xt": ...}` naming the match. A match trace cannot evaluate from a snapshot
(a limit, a socket owner, a bridge port) is an `unknown` op: the walk forks on it exactly as on an
unknown nftables expression. A target trace cannot follow ends its fork undetermined.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from netstack_docs.analysis.trace.iptparse import Module, Option, ParsedRule, RuleSyntaxError, parse
from netstack_docs.analysis.trace.nftexpr import ABSENT, EvalContext, Undetermined
from netstack_docs.analysis.trace.nftrules import Effect, Op, Run, compile_op, notrack
from netstack_docs.analysis.trace.packet import TCP_FLAGS

IpsetLookup = Callable[[str], "dict[str, Any] | None"]
MASK32 = 0xFFFFFFFF
PROTO_NAMES = {
    "tcp": 6,
    "udp": 17,
    "icmp": 1,
    "icmpv6": 58,
    "ipv6-icmp": 58,
    "sctp": 132,
    "udplite": 136,
    "gre": 47,
    "esp": 50,
    "ah": 51,
    "igmp": 2,
    "ipip": 4,
    "ipencap": 4,
    "ipv6": 41,
    "dccp": 33,
    "ospf": 89,
    "vrrp": 112,
    "pim": 103,
    "mh": 135,
    "ipv6-mh": 135,
}
VERDICT_TARGETS = {"ACCEPT": "accept", "DROP": "drop", "REJECT": "reject", "RETURN": "return"}
NO_EFFECT_TARGETS = {
    "LOG",
    "NFLOG",
    "ULOG",
    "TRACE",
    "CT",
    "TCPMSS",
    "CLASSIFY",
    "DSCP",
    "TOS",
    "TTL",
    "HL",
    "CHECKSUM",
    "AUDIT",
    "SECMARK",
    "CONNSECMARK",
    "IDLETIMER",
    "LED",
    "SET",
    "TEE",
    "ECN",
}  # they leave this packet's fate alone
RUNTIME_MATCHES = {
    "limit": "a rate limit's state at run time decides",
    "hashlimit": "a rate limit's state at run time decides",
    "connlimit": "the number of connections at run time decides",
    "recent": "the list of recently seen addresses at run time decides",
    "quota": "a quota's state at run time decides",
    "connbytes": "the connection's byte count at run time decides",
    "time": "the time of day decides",
    "socket": "a socket lookup at run time decides",
    "tcpmss": "the SYN's MSS option is not part of the traced packet",
    "mac": "the source MAC address is not part of the traced packet",
    "policy": "IPsec policies are not followed by trace",
    "bpf": "a BPF program decides",
    "cgroup": "the sending socket's cgroup is not part of the traced packet",
    "u32": "raw header bytes are not evaluated by trace",
    "string": "the packet's payload is not part of the traced packet",
    "helper": "the connection's helper is run-time state",
    "conntrack-count": "run-time state decides",
    "cluster": "the cluster node hash at run time decides",
}
ICMP_NAMES: dict[str, tuple[int, int | None]] = {
    "any": (-1, None),
    "echo-reply": (0, None),
    "pong": (0, None),
    "destination-unreachable": (3, None),
    "network-unreachable": (3, 0),
    "host-unreachable": (3, 1),
    "protocol-unreachable": (3, 2),
    "port-unreachable": (3, 3),
    "fragmentation-needed": (3, 4),
    "source-route-failed": (3, 5),
    "network-unknown": (3, 6),
    "host-unknown": (3, 7),
    "network-prohibited": (3, 9),
    "host-prohibited": (3, 10),
    "communication-prohibited": (3, 13),
    "source-quench": (4, None),
    "redirect": (5, None),
    "echo-request": (8, None),
    "ping": (8, None),
    "router-advertisement": (9, None),
    "router-solicitation": (10, None),
    "time-exceeded": (11, None),
    "ttl-exceeded": (11, None),
    "ttl-zero-during-transit": (11, 0),
    "ttl-zero-during-reassembly": (11, 1),
    "parameter-problem": (12, None),
    "timestamp-request": (13, None),
    "timestamp-reply": (14, None),
    "address-mask-request": (17, None),
    "address-mask-reply": (18, None),
}
ICMP6_NAMES: dict[str, tuple[int, int | None]] = {
    "any": (-1, None),
    "destination-unreachable": (1, None),
    "no-route": (1, 0),
    "communication-prohibited": (1, 1),
    "beyond-scope": (1, 2),
    "address-unreachable": (1, 3),
    "port-unreachable": (1, 4),
    "failed-policy": (1, 5),
    "reject-route": (1, 6),
    "packet-too-big": (2, None),
    "time-exceeded": (3, None),
    "ttl-exceeded": (3, None),
    "ttl-zero-during-transit": (3, 0),
    "ttl-zero-during-reassembly": (3, 1),
    "parameter-problem": (4, None),
    "echo-request": (128, None),
    "ping": (128, None),
    "echo-reply": (129, None),
    "pong": (129, None),
    "mld-listener-query": (130, None),
    "mld-listener-report": (131, None),
    "mld-listener-done": (132, None),
    "router-solicitation": (133, None),
    "router-advertisement": (134, None),
    "neighbour-solicitation": (135, None),
    "neighbor-solicitation": (135, None),
    "neighbour-advertisement": (136, None),
    "neighbor-advertisement": (136, None),
    "redirect": (137, None),
}
TRACED_ICMP = {"icmp": (8, 0), "icmpv6": (128, 0)}  # a traced ICMP packet is an echo request
CT_STATES = {"NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED", "SNAT", "DNAT"}


def _nofind(name: str) -> None:
    return None


def _payload(proto: str, field: str) -> dict[str, Any]:
    return {"payload": {"protocol": proto, "field": field}}


def _meta(key: str) -> dict[str, Any]:
    return {"meta": {"key": key}}


def _nft_match(left: Any, right: Any, negated: bool) -> Op:
    return compile_op({"match": {"left": left, "op": "!=" if negated else "==", "right": right}}, _nofind)


class _Compiler:
    """Compiles the words of one rule; `text` names it in reasons."""

    def __init__(self, family: str, text: str, ipsets: IpsetLookup, chains: frozenset[str]):
        self.family = "ip6" if family == "ip6" else "ip"
        self.text = text
        self.ipsets = ipsets
        self.chains = chains
        self.proto: str | None = None  # -p, as the tcp/udp/icmp matches need it

    def custom(self, module: str, get: Callable[[EvalContext], Any], pred: Callable[[Any], bool]) -> Op:
        return Op("match", get, pred, expr={"xt": {"type": "match", "name": module, "text": self.text}})

    def unknown(self, module: str, reason: str) -> Op:
        expr = {"xt": {"type": "match", "name": module, "text": self.text}}
        return Op("unknown", reason=reason, expr=expr)

    # --- generic options -------------------------------------------------------------------------
    def generic(self, opt: Option) -> list[Op]:
        name, value, neg = opt.name, opt.value, opt.negated
        if name in ("-s", "-d"):
            return [self.address("saddr" if name == "-s" else "daddr", value, neg)]
        if name in ("-i", "-o"):
            dev = value[:-1] + "*" if value.endswith("+") else value
            return [_nft_match(_meta("iifname" if name == "-i" else "oifname"), dev, neg)]
        if name == "-p":
            proto = value.lower()
            if proto in ("all", "0"):
                return [] if not neg else [self.custom("proto", lambda ctx: 0, lambda v: False)]
            self.proto = None if neg else proto
            number = PROTO_NAMES.get(proto, int(proto) if proto.isdigit() else None)
            if number is None:
                return [self.unknown("proto", f"protocol {value!r} is not known to trace")]
            return [_nft_match(_meta("l4proto"), number, neg)]
        if name == "-f":  # a traced packet is never a fragment
            return [self.custom("fragment", lambda ctx: 0, lambda v: neg)]
        raise RuleSyntaxError(f"option {name} not understood")

    def address(self, field: str, value: str, neg: bool) -> Op:
        try:
            net = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return self.masked_address(field, value, neg)
        right: Any = str(net.network_address)
        if net.prefixlen != net.max_prefixlen:
            right = {"prefix": {"addr": str(net.network_address), "len": net.prefixlen}}
        return _nft_match(_payload(self.family, field), right, neg)

    def masked_address(self, field: str, value: str, neg: bool) -> Op:
        """A non-contiguous mask (`10.0.0.1/255.0.255.0`): compared bit by bit."""
        addr, _, mask = value.partition("/")
        a, m = int(ipaddress.ip_address(addr)), int(ipaddress.ip_address(mask))
        attr = "src_ip" if field == "saddr" else "dst_ip"
        version = 6 if self.family == "ip6" else 4

        def get(ctx: EvalContext) -> Any:
            ip = getattr(ctx.packet, attr)
            return int(ip) & m if ip.version == version else ABSENT

        return self.custom("address", get, lambda v: v is not ABSENT and (v == a & m) != neg)

    # --- matches ---------------------------------------------------------------------------------
    def match(self, module: Module) -> list[Op]:
        name = module.name.lower()
        handler = getattr(self, "m_" + name.replace("-", "_"), None)
        if handler is not None:
            ops: list[Op] = handler(module)
            return ops
        if name in RUNTIME_MATCHES:
            return [self.unknown(name, f"-m {name}: {RUNTIME_MATCHES[name]}")]
        return [self.unknown(name, f"iptables match -m {name} is not evaluated by trace yet")]

    def m_comment(self, module: Module) -> list[Op]:
        return []

    def m_nfacct(self, module: Module) -> list[Op]:
        return []  # accounting: it counts the packet and always matches

    def m_owner(self, module: Module) -> list[Op]:
        """The sending socket's owner: known to be absent for a forwarded packet (xt_owner then matches
        only when every option is negated), else run-time state the traced packet does not carry."""
        all_negated = all(o.negated for o in module.options)

        def get(ctx: EvalContext) -> bool:
            if ctx.iif is not None and ctx.hook in ("postrouting", "output", "forward"):
                return all_negated  # forwarded: no socket
            raise Undetermined(
                "-m owner: the sending socket's owner (uid, gid) is not part of the traced packet"
            )

        return [self.custom("owner", get, lambda v: bool(v))]

    def m_tcp(self, module: Module) -> list[Op]:
        return self._ports(module, "tcp")

    def m_udp(self, module: Module) -> list[Op]:
        return self._ports(module, "udp")

    def m_udplite(self, module: Module) -> list[Op]:
        return self._ports(module, "udplite")

    def m_sctp(self, module: Module) -> list[Op]:
        return self._ports(module, "sctp")

    def _ports(self, module: Module, proto: str) -> list[Op]:
        ops: list[Op] = []
        for opt in module.options:
            if opt.name in ("--sport", "--source-port", "--dport", "--destination-port"):
                field = "sport" if opt.name in ("--sport", "--source-port") else "dport"
                if proto not in ("tcp", "udp"):
                    ops.append(self.port_range(proto, field, opt))
                    continue
                low, high = _port_range(opt.value)
                right: Any = low if low == high else {"range": [low, high]}
                ops.append(_nft_match(_payload(proto, field), right, opt.negated))
            elif opt.name in ("--tcp-flags", "--syn") and proto == "tcp":
                if opt.name == "--syn":
                    mask, comp = _flags("SYN,RST,ACK,FIN"), _flags("SYN")
                else:
                    mask, comp = _flags(opt.args[0]), _flags(opt.args[1])
                neg = opt.negated
                ops.append(
                    self.custom(
                        "tcp",
                        lambda ctx: ctx.packet.tcp_flag_bits if ctx.packet.proto == "tcp" else ABSENT,
                        _bits(mask, comp, neg),
                    )
                )
            else:
                ops.append(self.unknown(proto, f"-m {proto} {opt.name} is not evaluated by trace yet"))
        return ops

    def port_range(self, proto: str, field: str, opt: Option) -> Op:
        low, high = _port_range(opt.value)
        neg = opt.negated

        def get(ctx: EvalContext) -> Any:
            return getattr(ctx.packet, field) if ctx.packet.proto == proto else ABSENT

        return self.custom(proto, get, lambda v: v is not ABSENT and (low <= v <= high) != neg)

    def m_icmp(self, module: Module) -> list[Op]:
        return self._icmp(module, "icmp", ICMP_NAMES, ("--icmp-type",))

    def m_icmp6(self, module: Module) -> list[Op]:
        return self._icmp(module, "icmpv6", ICMP6_NAMES, ("--icmpv6-type", "--icmp6-type"))

    m_icmpv6 = m_icmp6
    m_ipv6_icmp = m_icmp6

    def _icmp(
        self, module: Module, proto: str, names: dict[str, tuple[int, int | None]], options: tuple[str, ...]
    ) -> list[Op]:
        ops = []
        for opt in module.options:
            if opt.name not in options:
                ops.append(
                    self.unknown(module.name, f"-m {module.name} {opt.name} is not evaluated by trace")
                )
                continue
            word = opt.value.lower()
            if word in names:
                want_type, want_code = names[word]
            else:
                kind, _, code = word.partition("/")
                if not kind.isdigit() or code and not code.isdigit():
                    ops.append(self.unknown(module.name, f"icmp type {opt.value!r} is not known to trace"))
                    continue
                want_type, want_code = int(kind), int(code) if code else None
            got_type, got_code = TRACED_ICMP[proto]
            hit = want_type == -1 or want_type == got_type and want_code in (None, got_code)
            neg = opt.negated
            ops.append(
                self.custom(
                    module.name,
                    lambda ctx: ctx.packet.proto == proto,
                    _icmp_pred(hit, neg),
                )
            )
        return ops

    def m_conntrack(self, module: Module) -> list[Op]:
        """Of an untracked packet (no connection) only the state is tested: the module matches when a
        state option was given (and matched), else not (conntrack_mt: `return match_flags & STATE`)."""
        state_options = ("--ctstate", "--state")
        has_state = any(opt.name in state_options for opt in module.options)
        ops = []
        for opt in module.options:
            op = self._conntrack_op(opt)
            tracked_only = opt.name not in state_options and op.kind == "match"
            ops.append(_tracked_only(op, has_state) if tracked_only else op)
        return ops

    def _conntrack_op(self, opt: Option) -> Op:
        if opt.name in ("--ctstate", "--state"):
            return self.ct_state("conntrack", opt)
        if opt.name == "--ctproto":
            proto = opt.value.lower()
            number = PROTO_NAMES.get(proto, int(proto) if proto.isdigit() else None)
            if number is None:
                return self.unknown("conntrack", f"conntrack protocol {opt.value!r} is not known")
            return _nft_match(_meta("l4proto"), number, opt.negated)
        if opt.name == "--ctstatus":
            return self.ct_status(opt)
        if opt.name == "--ctdir":
            want, neg = opt.value.upper(), opt.negated

            def get_dir(ctx: EvalContext) -> str:
                if ctx.packet.state == "new":
                    return "ORIGINAL"
                raise Undetermined("the direction of an established connection's packet is run-time state")

            return self.custom("conntrack", get_dir, _member({want}, neg))
        if opt.name in ("--ctorigsrc", "--ctorigdst"):
            return self.ct_orig(opt)
        if opt.name in ("--ctorigsrcport", "--ctorigdstport"):
            return self.ct_orig_port(opt)
        why = f"-m conntrack {opt.name}: the connection's tuples are run-time state"
        return self.unknown("conntrack", why)

    def m_state(self, module: Module) -> list[Op]:
        return [self.ct_state("state", opt) for opt in module.options if opt.name == "--state"]

    def ct_state(self, module: str, opt: Option) -> Op:
        wanted = {s.strip().upper() for s in opt.value.split(",") if s.strip()}
        if wanted - CT_STATES:
            return self.unknown(module, f"conntrack state {opt.value!r} is not known to trace")
        neg = opt.negated
        virtual = wanted & {"SNAT", "DNAT"}

        def get(ctx: EvalContext) -> bool:
            p = ctx.packet
            if p.untracked:  # no connection: neither NAT bit (xt_conntrack, xt_state)
                return "UNTRACKED" in wanted
            if p.state.upper() in wanted:
                return True
            if virtual and p.state != "new":
                raise Undetermined(
                    f"whether the connection is {'/'.join(sorted(virtual))}ed is run-time state"
                )
            # a new connection is DNAT / SNAT once this walk's NAT rewrote it (IPS_DST_NAT / IPS_SRC_NAT)
            return "DNAT" in virtual and p.dnat or "SNAT" in virtual and p.snat

        return self.custom(module, get, lambda v: v != neg)

    def ct_status(self, opt: Option) -> Op:
        wanted = {s.strip().upper() for s in opt.value.split(",") if s.strip()}
        neg = opt.negated

        def get(ctx: EvalContext) -> bool:
            if ctx.packet.state == "new":
                return "NONE" in wanted
            if wanted & {"CONFIRMED", "SEEN_REPLY"}:
                return True
            raise Undetermined(f"conntrack status {opt.value} of an established connection is run-time state")

        return self.custom("conntrack", get, lambda v: v != neg)

    def ct_orig(self, opt: Option) -> Op:
        """A new connection's original source or destination: the packet's, until this walk's NAT rewrote
        it."""
        net = ipaddress.ip_network(opt.value, strict=False)
        neg, src = opt.negated, opt.name == "--ctorigsrc"

        def get(ctx: EvalContext) -> Any:
            p = ctx.packet
            if p.state != "new" or (p.snat if src else p.dnat):
                raise Undetermined(
                    f"the connection's original {'source' if src else 'destination'} is run-time state"
                )
            return p.src_ip if src else p.dst_ip

        return self.custom("conntrack", get, lambda v: (v.version == net.version and v in net) != neg)

    def ct_orig_port(self, opt: Option) -> Op:
        low, high = _port_range(opt.value)
        neg, src = opt.negated, opt.name == "--ctorigsrcport"

        def get(ctx: EvalContext) -> Any:
            p = ctx.packet
            if p.state != "new" or (p.snat if src else p.dnat):
                raise Undetermined(
                    f"the connection's original {'source' if src else 'destination'} port is run-time state"
                )
            return (p.sport if src else p.dport) if p.has_ports else ABSENT

        return self.custom("conntrack", get, lambda v: v is not ABSENT and (low <= v <= high) != neg)

    def m_rpfilter(self, module: Module) -> list[Op]:
        """The reverse-path check (rpfilter_mt): the route back to the source, looked up from loopback
        (with the mark under --validmark), must leave through the input device (any device with
        --loose); a looped-back packet passes. What the lookup cannot settle here (an IPv6 source whose
        best route leaves elsewhere: the kernel retries bound to the input device; link-local or
        zero-network sources) forks."""
        loose = module.get("--loose") is not None
        validmark = module.get("--validmark") is not None
        accept_local = module.get("--accept-local") is not None
        invert = module.get("--invert") is not None

        def get(ctx: EvalContext) -> bool:
            p = ctx.packet
            if ctx.iif == "lo":
                return True
            if ctx.fib is None or p.src_ip.is_link_local or p.version == 4 and int(p.src_ip) >> 24 == 0:
                raise Undetermined(f"-m rpfilter of source {p.src}: not evaluated by trace")
            if accept_local and ctx.fib.addr_type(p.src, None) == "local":
                return True
            dev = ctx.fib.route_dev(p, p.src, p.dst, validmark)
            if loose:
                return dev is not None
            if dev == ctx.iif:
                return True
            if p.version == 6:
                raise Undetermined(f"-m rpfilter: a route to {p.src} bound to {ctx.iif} is looked up too")
            return False

        return [self.custom("rpfilter", get, lambda v: v != invert)]

    def m_addrtype(self, module: Module) -> list[Op]:
        limit_in = module.get("--limit-iface-in") is not None
        limit_out = module.get("--limit-iface-out") is not None
        ops = []
        for opt in module.options:
            if opt.name not in ("--src-type", "--dst-type"):
                continue
            types = {t.strip().lower() for t in opt.value.split(",")}
            use_src = opt.name == "--src-type"
            neg = opt.negated

            def get(ctx: EvalContext, use_src: bool = use_src) -> str:
                if ctx.fib is None:
                    raise Undetermined("addrtype without the namespace's routing tables")
                dev = ctx.iif if limit_in else ctx.oif if limit_out else None
                addr = ctx.packet.src if use_src else ctx.packet.dst
                return str(ctx.fib.addr_type(addr, dev)).lower()

            # its nftables form (`fib daddr . iif type local`), for reach to translate exactly
            dev_flag = ["iif"] if limit_in else ["oif"] if limit_out else []
            flags = ["saddr" if use_src else "daddr", *dev_flag]
            nft = {
                "match": {
                    "left": {"fib": {"flags": flags, "result": "type"}},
                    "op": "!=" if neg else "==",
                    "right": {"set": sorted(types)},
                }
            }
            ops.append(Op("match", get, _member(types, neg), expr=nft))
        return ops

    def m_mark(self, module: Module) -> list[Op]:
        return [self._mark(_meta("mark"), opt) for opt in module.options if opt.name == "--mark"]

    def m_physdev(self, module: Module) -> list[Op]:
        """The bridge ports of a packet br_netfilter passed through the IP hooks (physdev_mt): the port it
        came in on (the packet's `physin`), the port it is bridged out of (the hook's `physout`, known on
        forward and postrouting of bridged traffic only)."""
        known = (
            "--physdev-in",
            "--physdev-out",
            "--physdev-is-in",
            "--physdev-is-out",
            "--physdev-is-bridged",
        )
        opts = {o.name: o for o in module.options}
        if set(opts) - set(known) or not opts:
            return [
                self.unknown(
                    "physdev", f"-m physdev {' '.join(sorted(set(opts) - set(known)))} not understood"
                )
            ]

        def get(ctx: EvalContext) -> tuple[str | None, str | None]:
            return ctx.packet.physin, ctx.physout

        def pred(v: tuple[str | None, str | None]) -> bool:
            indev, outdev = v
            if indev is None:  # no bridge info: only negated options match
                return all(o.negated for o in opts.values())
            bridged, is_in, is_out = (opts.get(f"--physdev-is-{n}") for n in ("bridged", "in", "out"))
            if bridged is not None and (outdev is not None) == bridged.negated:
                return False
            if is_in is not None and is_in.negated:  # the packet has its in-port
                return False
            if is_out is not None and (outdev is not None) == is_out.negated:
                return False
            if (o := opts.get("--physdev-in")) is not None and _ifname_is(indev, o.value) == o.negated:
                return False
            if (o := opts.get("--physdev-out")) is not None:
                return outdev is not None and _ifname_is(outdev, o.value) != o.negated
            return True

        return [self.custom("physdev", get, pred)]

    def m_connmark(self, module: Module) -> list[Op]:
        return [self._mark({"ct": {"key": "mark"}}, opt) for opt in module.options if opt.name == "--mark"]

    def _mark(self, left: dict[str, Any], opt: Option) -> Op:
        value, mask = _value_mask(opt.value)
        if mask != MASK32:
            left = {"&": [left, mask]}
        return _nft_match(left, value & mask, opt.negated)

    def m_multiport(self, module: Module) -> list[Op]:
        ops = []
        for opt in module.options:
            fields = {
                "--sports": ("sport",),
                "--source-ports": ("sport",),
                "--dports": ("dport",),
                "--destination-ports": ("dport",),
                "--ports": ("sport", "dport"),
            }.get(opt.name)
            if fields is None:
                ops.append(self.unknown("multiport", f"-m multiport {opt.name} is not evaluated by trace"))
                continue
            ranges = [_port_range(p) for p in opt.value.split(",")]
            neg = opt.negated
            if len(fields) == 1:  # one field: nftables' own `th dport { 22, 8000-8100 }` (reach reads it)
                elements: list[Any] = [lo if lo == hi else {"range": [lo, hi]} for lo, hi in ranges]
                ops.append(_nft_match(_payload("th", fields[0]), {"set": elements}, neg))
                continue

            def get(ctx: EvalContext, fields: tuple[str, ...] = fields) -> Any:
                p = ctx.packet
                return tuple(getattr(p, f) for f in fields) if p.has_ports else ABSENT

            def pred(v: Any, ranges: list[tuple[int, int]] = ranges, neg: bool = neg) -> bool:
                if v is ABSENT:
                    return False
                return any(lo <= port <= hi for port in v for lo, hi in ranges) != neg

            ops.append(self.custom("multiport", get, pred))
        return ops

    def m_iprange(self, module: Module) -> list[Op]:
        ops = []
        for opt in module.options:
            if opt.name not in ("--src-range", "--dst-range"):
                ops.append(self.unknown("iprange", f"-m iprange {opt.name} is not evaluated by trace"))
                continue
            low_s, _, high_s = opt.value.partition("-")
            low, high = ipaddress.ip_address(low_s), ipaddress.ip_address(high_s or low_s)
            attr = "src_ip" if opt.name == "--src-range" else "dst_ip"
            neg = opt.negated
            ops.append(
                self.custom(
                    "iprange",
                    _packet_attr(attr),
                    _ip_range(low, high, neg),
                )
            )
        return ops

    def m_length(self, module: Module) -> list[Op]:
        opt = module.get("--length")
        if opt is None:
            return []
        low, high = _port_range(opt.value)
        neg = opt.negated
        return [self.custom("length", lambda ctx: ctx.packet.ip_length, lambda v: (low <= v <= high) != neg)]

    def m_pkttype(self, module: Module) -> list[Op]:
        opt = module.get("--pkt-type")
        if opt is None:
            return []
        return [_nft_match(_meta("pkttype"), opt.value.lower(), opt.negated)]

    def m_dscp(self, module: Module) -> list[Op]:
        opt = module.get("--dscp")
        if opt is None:
            return [self.unknown("dscp", "-m dscp --dscp-class is not evaluated by trace")]
        return [_nft_match(_payload(self.family, "dscp"), int(opt.value, 0), opt.negated)]

    def m_statistic(self, module: Module) -> list[Op]:
        mode = module.get("--mode")
        prob = module.get("--probability")
        if mode is None or mode.value != "random" or prob is None:
            return [
                self.unknown("statistic", "-m statistic --mode nth: the packet counter is run-time state")
            ]
        neg = prob.negated
        what = f"-m statistic --mode random --probability {prob.value}"

        def get(ctx: EvalContext) -> str:
            return ctx.choose(
                f"statistic:{ctx.rule}", f"{what} (rule {ctx.rule})", ("match", "nomatch"), True
            )

        return [self.custom("statistic", get, lambda v: (v == "match") != neg)]

    def m_set(self, module: Module) -> list[Op]:
        ops = []
        for opt in module.options:
            if opt.name in ("--match-set", "--set"):
                ops.append(self.ipset(opt))
            elif opt.name not in ("--return-nomatch", "--update-counters", "--update-subcounters"):
                ops.append(self.unknown("set", f"-m set {opt.name}: set counters are run-time state"))
        return ops

    def ipset(self, opt: Option) -> Op:
        if len(opt.args) != 2:
            return self.unknown("set", f"-m set {opt.name} {opt.value} not understood")
        name, dims = opt.args[0], opt.args[1].split(",")
        doc = self.ipsets(name)
        if doc is None:
            return self.unknown("set", f"ipset {name} is not in the snapshot (its members decide)")
        if doc.get("truncated"):
            return self.unknown("set", f"ipset {name} was captured truncated")
        try:
            member = ipset_member(doc, dims)
        except (ValueError, Undetermined) as exc:
            return self.unknown("set", f"ipset {name}: {exc}")
        neg = opt.negated
        return self.custom("set", lambda ctx: member(ctx.packet), lambda v: v != neg)

    # --- targets ---------------------------------------------------------------------------------
    def target(self, target: Module, goto: bool) -> Op:
        name = target.name
        expr = {"xt": {"type": "target", "name": name, "text": self.text}}
        if name in VERDICT_TARGETS:
            verdict = VERDICT_TARGETS[name]
            return Op("statement", run=_verdict(verdict, None), expr=expr)
        if name in self.chains:
            return Op("statement", run=_verdict("goto" if goto else "jump", name), expr=expr)
        if name == "NOTRACK" or name == "CT" and target.get("--notrack") is not None:
            return Op("statement", run=notrack, expr=expr)
        if name in NO_EFFECT_TARGETS:
            return Op("statement", run=lambda ctx, eff: True, effect=False, expr=expr)
        try:
            handler = getattr(self, "t_" + name.lower(), None)
            if handler is None:
                raise Undetermined(f"iptables target -j {name} is not evaluated by trace")
            run: Run = handler(target)
        except (Undetermined, ValueError, IndexError) as exc:
            run = _stuck(str(exc) if isinstance(exc, Undetermined) else f"-j {name} not understood ({exc})")
        return Op("statement", run=run, expr=expr)

    def t_mark(self, target: Module) -> Run:
        fn = _mark_op(target)

        def run(ctx: EvalContext, eff: Effect) -> bool:
            eff.sets["mark"] = fn(ctx.packet.mark)
            return True

        return run

    def t_connmark(self, target: Module) -> Run:
        save, restore = target.get("--save-mark"), target.get("--restore-mark")
        nfmask = ctmask = MASK32
        if (mask := target.get("--mask")) is not None:
            nfmask = ctmask = int(mask.value, 0)
        if (o := target.get("--nfmask")) is not None:
            nfmask = int(o.value, 0)
        if (o := target.get("--ctmask")) is not None:
            ctmask = int(o.value, 0)
        if save is not None:

            def run_save(ctx: EvalContext, eff: Effect) -> bool:
                if ctx.packet.untracked:
                    return True  # connmark_tg: no connection, nothing to save to
                # newmark = (ctmark & ~ctmask) ^ (mark & nfmask): the ct mark matters only outside ctmask
                old = 0 if ctmask == MASK32 else _ctmark(ctx)
                eff.sets["ctmark"] = (old & ~ctmask & MASK32) ^ (ctx.packet.mark & nfmask)
                return True

            return run_save
        if restore is not None:

            def run_restore(ctx: EvalContext, eff: Effect) -> bool:
                if ctx.packet.untracked:
                    return True
                eff.sets["mark"] = (ctx.packet.mark & ~nfmask & MASK32) ^ (_ctmark(ctx) & ctmask)
                return True

            return run_restore
        fn = _mark_op(target)

        def run(ctx: EvalContext, eff: Effect) -> bool:
            if not ctx.packet.untracked:
                eff.sets["ctmark"] = fn(_ctmark(ctx))
            return True

        return run

    def t_masquerade(self, target: Module) -> Run:
        ports = target.get("--to-ports")
        return _nat("masquerade", {"port": ports.value} if ports else {})

    def t_snat(self, target: Module) -> Run:
        return _nat("snat", self._nat_to(target, "--to-source"))

    def t_dnat(self, target: Module) -> Run:
        return _nat("dnat", self._nat_to(target, "--to-destination"))

    def t_redirect(self, target: Module) -> Run:
        ports = target.get("--to-ports")
        return _nat("redirect", {"port": _nat_port(ports.value)} if ports else {})

    def _nat_to(self, target: Module, option: str) -> dict[str, Any]:
        tos = [o for o in target.options if o.name in (option, "--to")]
        if len(tos) != 1:
            raise Undetermined(
                f"-j {target.name} with {len(tos)} {option} options: which one applies is run-time"
            )
        value = tos[0].value
        if value.startswith("["):
            addr, _, rest = value[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else None
        elif self.family == "ip6" and value.count(":") > 1:
            addr, port = value, None
        else:
            addr, _, port = value.partition(":")
        arg: dict[str, Any] = {}
        if addr:
            arg["addr"] = addr
        if port:
            arg["port"] = _nat_port(port)
        return arg


def _bits(mask: int, comp: int, neg: bool) -> Callable[[Any], bool]:
    return lambda v: v is not ABSENT and ((v & mask) == comp) != neg


def _icmp_pred(hit: bool, neg: bool) -> Callable[[Any], bool]:
    return lambda is_icmp: bool(is_icmp) and hit != neg


def _member(values: set[str], neg: bool) -> Callable[[Any], bool]:
    return lambda v: (v in values) != neg


def _packet_attr(attr: str) -> Callable[[EvalContext], Any]:
    return lambda ctx: getattr(ctx.packet, attr)


def _ip_range(low: Any, high: Any, neg: bool) -> Callable[[Any], bool]:
    return lambda v: v.version == low.version and (low <= v <= high) != neg


def _nat_port(port: str) -> int | str:
    return int(port) if port.isdigit() else port


def _ifname_is(name: str, pattern: str) -> bool:
    """iptables' interface name match: `tap+` is every name starting with `tap`."""
    return name.startswith(pattern[:-1]) if pattern.endswith("+") else name == pattern


_UNTRACKED = object()


def _tracked_only(op: Op, has_state: bool) -> Op:
    """A -m conntrack test other than the state: for an untracked packet the module's answer is whether
    a state option was given (the state test itself decides the rest)."""
    get, pred = op.get, op.pred
    assert get is not None and pred is not None

    def tracked_get(ctx: EvalContext) -> Any:
        return _UNTRACKED if ctx.packet.untracked else get(ctx)

    return Op(
        op.kind,
        tracked_get,
        lambda v: has_state if v is _UNTRACKED else pred(v),
        op.run,
        op.reason,
        op.effect,
        op.expr,
    )


def _ctmark(ctx: EvalContext) -> int:
    if ctx.packet.state == "new":
        return ctx.packet.ctmark
    raise Undetermined("ct mark of an established connection is runtime state")


def _mark_op(target: Module) -> Callable[[int], int]:
    """The MARK / CONNMARK arithmetic of --set-xmark, --set-mark, --and/--or/--xor-mark."""
    for opt in target.options:
        if opt.name in ("--set-xmark", "--set-mark"):
            value, mask = _value_mask(opt.value)
            if opt.name == "--set-xmark":
                return lambda m: (m & ~mask & MASK32) ^ value
            return lambda m: (m & ~mask & MASK32) | value
        if opt.name in ("--and-mark", "--or-mark", "--xor-mark"):
            bits = int(opt.value, 0) & MASK32
            if opt.name == "--and-mark":
                return lambda m: m & bits
            if opt.name == "--or-mark":
                return lambda m: m | bits
            return lambda m: m ^ bits
    raise Undetermined(f"-j {target.name} without a mark operation trace knows")


def _nat(name: str, arg: dict[str, Any]) -> Run:
    def run(ctx: EvalContext, eff: Effect) -> bool:
        eff.nat = (name, arg)
        eff.verdict = "accept"  # NAT targets end the nat chain's traversal (NF_ACCEPT)
        return True

    return run


def _verdict(name: str, target: str | None) -> Run:
    def run(ctx: EvalContext, eff: Effect) -> bool:
        eff.verdict, eff.target = name, target
        return True

    return run


def _stuck(reason: str) -> Run:
    def run(ctx: EvalContext, eff: Effect) -> bool:
        raise Undetermined(reason)

    return run


def _value_mask(text: str) -> tuple[int, int]:
    value, _, mask = text.partition("/")
    return int(value, 0) & MASK32, int(mask, 0) & MASK32 if mask else MASK32


def _port_range(text: str) -> tuple[int, int]:
    low, sep, high = text.partition(":")
    if not sep:
        low, sep, high = text.partition("-")  # multiport and --to-ports may write a-b
    lo = int(low) if low else 0
    hi = (int(high) if high else 65535) if sep else lo
    return lo, hi


def _flags(text: str) -> int:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if names == ["all"]:
        return 0x3F
    if names == ["none"]:
        return 0
    bits = 0
    for n in names:
        bits |= TCP_FLAGS[n]
    return bits


# --- ipsets -------------------------------------------------------------------------------------
def ipset_member(doc: dict[str, Any], dims: list[str]) -> Callable[[Any], bool]:
    """packet -> whether `-m set --match-set NAME dims` finds it among the set's captured members."""
    kind = str(doc.get("type") or "")
    parts = kind.partition(":")[2].split(",")
    if not kind.startswith(("hash:", "bitmap:")) or not parts or len(dims) < len(parts):
        raise Undetermined(f"sets of type {kind or '?'} are not evaluated by trace")
    if any(p not in ("ip", "net", "port") for p in parts):
        raise Undetermined(f"sets of type {kind} are not evaluated by trace")
    family = doc.get("family")
    version = None if family is None else 6 if str(family) in ("inet6", "ipv6", "ip6") else 4
    any_proto = kind.startswith("bitmap:port")  # a bitmap of ports holds no protocol: any with ports
    entries = []
    for member in doc.get("members") or []:
        words = str(member).split()
        if not words:
            continue
        if "timeout" in words:
            raise Undetermined("its members time out (filled at run time)")
        nomatch = "nomatch" in words
        fields = words[0].split(",")
        if len(fields) != len(parts):
            raise Undetermined(f"member {member!r} does not fit type {kind}")
        entries.append(
            (tuple(_dimension(p, f, any_proto) for p, f in zip(parts, fields, strict=True)), nomatch)
        )
    # most specific first, as hash:net looks its prefixes up (a nomatch entry inside a wider one wins)
    entries.sort(key=lambda e: -sum(getattr(x, "prefixlen", 0) for x in e[0] if x is not None))
    use_src = [d.strip() == "src" for d in dims[: len(parts)]]

    def member_of(packet: Any) -> bool:
        if version is not None and packet.version != version:
            return False
        values = []
        for part, src in zip(parts, use_src, strict=True):
            if part == "port":
                if not packet.has_ports:
                    return False
                values.append((packet.proto, packet.sport if src else packet.dport))
            else:
                values.append(packet.src_ip if src else packet.dst_ip)
        for fields, nomatch in entries:
            if all(_within(v, f) for v, f in zip(values, fields, strict=True)):
                return not nomatch
        return False

    return member_of


def _dimension(part: str, text: str, any_proto: bool = False) -> Any:
    if part == "port":
        proto, _, port = text.rpartition(":")
        low, high = _port_range(port)
        return (None if any_proto else proto.lower() or "tcp", low, high)
    if "-" in text:
        first, _, last = text.partition("-")
        return (ipaddress.ip_address(first), ipaddress.ip_address(last))
    return ipaddress.ip_network(text, strict=False)


def _within(value: Any, field: Any) -> bool:
    if isinstance(field, tuple) and len(field) == 3:
        proto, low, high = field
        return bool(proto in (None, value[0]) and low <= value[1] <= high)
    if isinstance(field, tuple):
        return bool(value.version == field[0].version and field[0] <= value <= field[1])
    return bool(value.version == field.version and value in field)


# --- entry points -------------------------------------------------------------------------------
def compile_text(
    text: str,
    family: str,
    ipsets: IpsetLookup | None = None,
    chains: frozenset[str] = frozenset(),
) -> list[Op]:
    """Every op of one iptables-save rule (matches in order, then its target)."""
    parsed = parse(text)
    return compile_parsed(parsed, family, text, ipsets, chains)


def compile_parsed(
    parsed: ParsedRule,
    family: str,
    text: str,
    ipsets: IpsetLookup | None = None,
    chains: frozenset[str] = frozenset(),
) -> list[Op]:
    comp = _Compiler(family, text, ipsets or (lambda name: None), chains)
    ops: list[Op] = []
    for opt in parsed.generic:
        ops += comp.generic(opt)
    for module in parsed.matches:
        try:
            ops += comp.match(module)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            ops.append(comp.unknown(module.name, f"-m {module.name} not understood ({exc})"))
    if parsed.target is not None:
        ops.append(comp.target(parsed.target, parsed.goto))
    return ops


def compile_xt(arg: dict[str, Any], family: str, ipsets: IpsetLookup | None = None) -> list[Op]:
    """An iptables-nft `xt` expression whose `text` the capture decoded (`-m conntrack --ctstate ...`,
    `-j MASQUERADE`): its ops. RuleSyntaxError when the text cannot be read."""
    text = str(arg.get("text") or "")
    words = [w for w in text.split() if w != "!"]
    is_target = arg.get("type") == "target"
    head = ("-j", "--jump") if is_target else ("-m", "--match")
    if not words or words[0] not in (*head, "-g", "-p", "-s", "-d", "-i", "-o"):
        text = f"{head[0]} {arg.get('name')} {text}".strip()  # the module's options alone
    parsed = parse(text)
    if is_target and parsed.target is None or not is_target and parsed.target is not None:
        raise RuleSyntaxError(f"xt {arg.get('type')} text `{text}` does not read as one")
    return compile_parsed(parsed, family, text, ipsets)
