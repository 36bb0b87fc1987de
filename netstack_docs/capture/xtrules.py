"""The xt matches and targets of an nf_tables table's rules, read from the kernel with their payloads.

iptables-nft keeps what it cannot express natively as `match`/`target` expressions (nft_compat):
the xt extension's name, revision and its info struct. libnftables' JSON shows only the name, so
one NFT_MSG_GETRULE dump of the table (filtered by the kernel on NFTA_RULE_TABLE) gives them back,
in rule order, for xtdecode to turn into iptables-save text.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from netstack_docs.capture import nfnl, rawattr

NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_GETRULE = 7
NFT_MSG_GETGEN = 16
NFTA_GEN_ID = 1
NFTA_RULE_TABLE, NFTA_RULE_CHAIN, NFTA_RULE_HANDLE, NFTA_RULE_EXPRESSIONS = 1, 2, 3, 4
NFTA_LIST_ELEM = 1
NFTA_EXPR_NAME, NFTA_EXPR_DATA = 1, 2
NFTA_XT_NAME, NFTA_XT_REV, NFTA_XT_INFO = 1, 2, 3  # NFTA_MATCH_* and NFTA_TARGET_* alike

FAMILIES = {"inet": 1, "ip": 2, "arp": 3, "netdev": 5, "bridge": 7, "ip6": 10}


@dataclass(frozen=True)
class XtExpr:
    """One xt match or target of a rule: `type` is "match" or "target"."""

    type: str
    name: str
    rev: int
    info: bytes


def parse_rule(payload: bytes) -> tuple[str, int, list[XtExpr]]:
    """(chain, handle, xt expressions in order) of one NFT_MSG_NEWRULE payload."""
    attrs = rawattr.walk(payload)
    chain = rawattr.string(attrs.get(NFTA_RULE_CHAIN)) or ""
    handle = rawattr.u64(attrs.get(NFTA_RULE_HANDLE), ">") or 0
    found: list[XtExpr] = []
    exprs = attrs.get(NFTA_RULE_EXPRESSIONS, b"")
    pos, end = 0, len(exprs)
    while pos + 4 <= end:  # the list by offsets: most expressions (payload, cmp, meta...) are skipped
        length, kind = struct.unpack_from("=HH", exprs, pos)
        if length < 4:
            break
        start, pos = pos, pos + ((length + 3) & ~3)
        # the expression's name comes first: NFTA_EXPR_NAME "match" or "target"
        if (kind & rawattr.NLA_TYPE_MASK) != NFTA_LIST_ELEM or exprs[start + 8:start + 14] not in (
                b"match\0", b"target"):
            continue
        expr = rawattr.walk(exprs, start + 4, start + length)
        name = rawattr.string(expr.get(NFTA_EXPR_NAME))
        if name not in ("match", "target"):
            continue
        data = rawattr.walk(expr.get(NFTA_EXPR_DATA, b""))
        rev = data.get(NFTA_XT_REV)
        found.append(XtExpr(name, rawattr.string(data.get(NFTA_XT_NAME)) or "",
                            struct.unpack(">I", rev)[0] if rev and len(rev) == 4 else -1,
                            data.get(NFTA_XT_INFO, b"")))
    return chain, handle, found


def generation() -> int | None:
    """The ruleset's generation id (it changes with every committed change), or None if unreadable."""
    try:
        answers = nfnl.dump((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN, 0, is_dump=False)
    except OSError:
        return None
    for payload in answers:
        gen = rawattr.walk(payload).get(NFTA_GEN_ID)
        if gen is not None:
            return rawattr.u32(gen, ">")
    return None


def table_xt(family: str, table: str) -> dict[tuple[str, int], list[XtExpr]]:
    """(chain, handle) -> the xt expressions of every rule of one table that has any."""
    request = nfnl.attr(NFTA_RULE_TABLE, table.encode() + b"\0")
    msg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETRULE
    rules: dict[tuple[str, int], list[XtExpr]] = {}
    for payload in nfnl.dump(msg_type, FAMILIES[family], request):
        chain, handle, found = parse_rule(payload)
        if found:
            rules[(chain, handle)] = found
    return rules
