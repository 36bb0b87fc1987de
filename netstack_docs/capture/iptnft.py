"""An iptables-nft rule as `iptables-nft-save` prints it, from its libnftables JSON and decoded xt parts.

iptables-nft writes `-s/-d/-i/-o/-p`, tcp/udp ports and `-m mark` as native nft expressions and
everything else as xt matches and targets. Reading the expressions in order rebuilds the
iptables command state as iptables' nft_rule_to_iptables_command_state does, then prints it the
way nft_ipv4_save_rule does: addresses, interfaces, protocol, matches in order, target. An
expression it does not know makes the whole rule undecodable (never a partial rule).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.capture.xtformat import Undecodable, save_string

# xtables_chain_protos: the name iptables prints for -p, else the number
PROTO_NAMES = {6: "tcp", 132: "sctp", 17: "udp", 136: "udplite", 1: "icmp", 58: "ipv6-icmp", 50: "esp",
               51: "ah", 135: "mobility-header", 0: "all"}
NFT_PROTO_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "icmpv6": 58, "sctp": 132, "esp": 50,
                     "ah": 51, "udplite": 136}
VERDICTS = {"accept": "ACCEPT", "drop": "DROP", "return": "RETURN"}


@dataclass
class _State:
    family: str
    addrs: dict[str, str] = field(default_factory=dict)  # "s"/"d" -> " [!] -s addr/mask"
    ifaces: dict[str, str] = field(default_factory=dict)  # "i"/"o" -> " [!] -i name"
    proto: str = ""
    parts: list[Any] = field(default_factory=list)  # matches in order: text, or a tcp/udp part
    target: str = ""


def _iface(name: str) -> str:
    return name[:-1] + "+" if name.endswith("*") and not name.endswith("\\*") else name


def _prefix(value: Any, family: str) -> str:
    """` addr/len` from a JSON address or {"prefix": ...} (iptables always prints the length)."""
    if isinstance(value, dict) and "prefix" in value:
        addr, length = value["prefix"]["addr"], value["prefix"]["len"]
    elif isinstance(value, str):
        addr, length = value, 32 if family == "ip" else 128
    else:
        raise Undecodable(f"address {value!r}")
    ipaddress.ip_address(addr)
    return f"{addr}/{length}"


def _ports(value: Any) -> str:
    if isinstance(value, int):
        return f"{value}"
    if isinstance(value, dict) and "range" in value:
        low, high = value["range"]
        return f"{low}:{high}"
    raise Undecodable(f"port {value!r}")


TCP_FLAG_BITS = {"fin": 0x01, "syn": 0x02, "rst": 0x04, "psh": 0x08, "ack": 0x10, "urg": 0x20}
NFT_RATE_UNITS = {"second": "sec", "minute": "min", "hour": "hour", "day": "day"}


def _flag_bits(value: Any) -> int:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(i, str) and i in TCP_FLAG_BITS for i in items):
        raise Undecodable(f"tcp flags {value!r}")
    return sum(TCP_FLAG_BITS[i] for i in items)


def _tcp_part(state: _State, proto: str, option: str) -> dict[str, str]:
    """The tcp/udp match a port or flags test belongs to: iptables keeps one xt_tcp struct, so
    consecutive tests merge into one `-m tcp` and print as sport, dport, flags."""
    last = state.parts[-1] if state.parts else None
    if isinstance(last, dict) and last["proto"] == proto and option not in last:
        return last
    part = {"proto": proto}
    state.parts.append(part)
    return part


def _port_match(state: _State, proto: str, field_: str, op: str, value: Any) -> None:
    option = "--sport" if field_ == "sport" else "--dport"
    _tcp_part(state, proto, option)[option] = (" !" if op == "!=" else "") + f" {option} {_ports(value)}"


def _tcp_flags(state: _State, op: str, mask: Any, value: Any) -> None:
    names = ["FIN", "SYN", "RST", "PSH", "ACK", "URG"]
    def text(bits: int) -> str:
        return ",".join(n for i, n in enumerate(names) if bits & (1 << i)) or "NONE"
    _tcp_part(state, "tcp", "--tcp-flags")["--tcp-flags"] = (
        (" !" if op == "!=" else "") + f" --tcp-flags {text(_flag_bits(mask))} {text(_flag_bits(value))}")


def _match(state: _State, body: dict[str, Any]) -> None:
    op, left, right = body.get("op"), body.get("left"), body.get("right")
    if op not in ("==", "!="):
        raise Undecodable(f"match operator {op}")
    neg = " !" if op == "!=" else ""
    if isinstance(left, dict) and "meta" in left:
        key = left["meta"].get("key")
        if key in ("iifname", "oifname") and isinstance(right, str):
            letter = "i" if key == "iifname" else "o"
            state.ifaces[letter] = f"{neg} -{letter} {_iface(right)}"
            return
        if key == "l4proto":
            number = right if isinstance(right, int) else NFT_PROTO_NUMBERS.get(str(right))
            name = PROTO_NAMES.get(number, str(right)) if number is not None else str(right)
            state.proto = f"{neg} -p {name}"
            return
        if key == "mark" and isinstance(right, int):
            state.parts.append(f" -m mark{neg} --mark 0x{right:x}")
            return
    if isinstance(left, dict) and "&" in left:
        inner, mask = left["&"]
        if inner == {"meta": {"key": "mark"}} and isinstance(mask, int) and isinstance(right, int):
            state.parts.append(f" -m mark{neg} --mark 0x{right:x}/0x{mask:x}")
            return
        if inner == {"payload": {"protocol": "tcp", "field": "flags"}}:
            state.proto = state.proto or " -p tcp"
            _tcp_flags(state, op, mask, right)
            return
    if isinstance(left, dict) and "payload" in left:
        proto, field_ = left["payload"].get("protocol"), left["payload"].get("field")
        if (proto, field_) == ("ip", "protocol") and state.family == "ip":  # iptables-nft before 1.8.9
            number = right if isinstance(right, int) else NFT_PROTO_NUMBERS.get(str(right))
            state.proto = f"{neg} -p {PROTO_NAMES.get(number, str(right)) if number is not None else right}"
            return
        if proto == state.family and field_ in ("saddr", "daddr"):
            letter = "s" if field_ == "saddr" else "d"
            state.addrs[letter] = f"{neg} -{letter} {_prefix(right, state.family)}"
            return
        if proto in ("tcp", "udp") and field_ in ("sport", "dport"):
            # libnftables leaves out the `meta l4proto` the port implies; iptables prints it
            state.proto = state.proto or f" -p {proto}"
            _port_match(state, proto, field_, op, right)
            return
    raise Undecodable(f"expression {body!r:.80}")


def iptables_rule(chain: str, family: str, expr: list[dict[str, Any]], xt_texts: list[str | None],
                  comment: str | None = None) -> str:
    """`-A CHAIN ...` as iptables-nft-save prints it; raises Undecodable for anything it cannot.

    `comment` is the rule's own nft comment (rule userdata): iptables-nft reads it as one more
    `-m comment` match after the others."""
    state = _State(family)
    texts = iter(xt_texts)
    for item in expr:
        kind, body = next(iter(item.items()))
        if kind == "counter":
            continue
        if kind == "match":
            _match(state, body)
        elif kind == "xt":
            text = next(texts, None)
            if text is None:
                raise Undecodable(f"xt {body.get('type')} {body.get('name')} not decoded")
            if body.get("type") == "target":
                state.target = " " + text
            else:
                state.parts.append(" " + text)
        elif kind == "limit":
            state.parts.append(_limit(body))
        elif kind == "log" and isinstance(body, dict) and "group" in body:
            state.target = _nflog(body)
        elif kind in VERDICTS:
            state.target = f" -j {VERDICTS[kind]}"
        elif kind in ("jump", "goto") and isinstance(body, dict):
            state.target = f" -{'j' if kind == 'jump' else 'g'} {body['target']}"
        else:
            raise Undecodable(f"{kind} expression")
    out = f"-A {chain}" + state.addrs.get("s", "") + state.addrs.get("d", "")
    out += state.ifaces.get("i", "") + state.ifaces.get("o", "") + state.proto
    for part in state.parts:
        if isinstance(part, str):
            out += part
        else:
            options = ("--sport", "--dport", "--tcp-flags")
            out += f" -m {part['proto']}" + "".join(part.get(o, "") for o in options)
    if comment is not None:
        out += " -m comment --comment" + save_string(comment)
    return out + state.target


def _limit(body: dict[str, Any]) -> str:
    """nft's limit as iptables-nft writes `-m limit` (packets only, never inverted)."""
    packets = body.get("rate_unit", "packets") == "packets"
    if body.get("inv") or not packets or body.get("per") not in NFT_RATE_UNITS:
        raise Undecodable(f"limit {body!r}")
    burst = body.get("burst", 5)
    return f" -m limit --limit {body['rate']}/{NFT_RATE_UNITS[body['per']]}" + (
        f" --limit-burst {burst}" if burst != 5 else "")


def _nflog(body: dict[str, Any]) -> str:
    """nft's `log group N` as iptables-nft writes `-j NFLOG`."""
    if set(body) - {"group", "prefix", "snaplen", "queue-threshold"}:
        raise Undecodable(f"log {body!r}")
    out = " -j NFLOG"
    if body.get("prefix"):
        out += " --nflog-prefix" + save_string(body["prefix"])
    if body.get("group"):
        out += f" --nflog-group {body['group']}"
    if body.get("snaplen"):
        out += f" --nflog-size {body['snaplen']}"
    if body.get("queue-threshold"):
        out += f" --nflog-threshold {body['queue-threshold']}"
    return out
