"""iptables-nft rules in iptables form: xt parameters decoded, the whole rule as iptables-save prints it.

For each table nft itself calls "managed by iptables-nft" (an ip/ip6 table with xt expressions),
one kernel dump of the table's rules (xtrules) supplies each xt expression's revision and payload.
Every `{"xt": ...}` expression of the snapshot gains `rev` and `text` (the iptables-save fragment,
`-m conntrack --ctstate RELATED,ESTABLISHED`), or `text: null` with `undecoded` saying why; every
rule of such a table gains `iptables` (`-A CHAIN ...`), or `iptables: null` with
`iptables_undecoded`. Nothing is ever printed partially.
"""

from __future__ import annotations

from typing import Any

from netstack_docs.capture import ipset, xtrules
from netstack_docs.capture.context import NamespaceCapture
from netstack_docs.capture.iptnft import iptables_rule
from netstack_docs.capture.xtformat import NFPROTO_IPV4, NFPROTO_IPV6, Undecodable
from netstack_docs.capture.xtmatch import conntrack_module, matches
from netstack_docs.capture.xttarget import ct_target_name, targets

IPTABLES_TABLES = ("filter", "nat", "mangle", "raw", "security")
FAMILY_NUMBERS = {"ip": NFPROTO_IPV4, "ip6": NFPROTO_IPV6}


def _xt_exprs(rule: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["xt"] for e in rule["expr"] if isinstance(e, dict) and isinstance(e.get("xt"), dict)]


def iptables_nft_tables(rules: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(family, table) of the tables whose rules hold xt expressions, in a stable order."""
    found = {(r["family"], r["table"]) for r in rules if _xt_exprs(r)}
    return sorted(t for t in found if t[0] in FAMILY_NUMBERS and t[1] in IPTABLES_TABLES)


def decode(expr: xtrules.XtExpr, family: str, set_names: dict[int, str],
           tables: tuple[dict[Any, Any], dict[Any, Any]] | None = None) -> str:
    """The iptables-save fragment of one xt expression; Undecodable when it cannot be exact."""
    number = FAMILY_NUMBERS[family]
    match_table, target_table = tables or (matches(set_names), targets())
    if expr.type == "match":
        decoder = match_table.get((expr.name, expr.rev))
        if decoder is None:
            raise Undecodable(f"match {expr.name} revision {expr.rev} is not decoded")
        module = conntrack_module(expr.info) if expr.name == "conntrack" else expr.name
        return f"-m {module}" + decoder(expr.info, number)
    decoder = target_table.get((expr.name, expr.rev))
    if decoder is None:
        raise Undecodable(f"target {expr.name} revision {expr.rev} is not decoded")
    name = ct_target_name(expr.info) if expr.name == "CT" else expr.name
    return f"-j {name}" + decoder(expr.info, number)


def _set_indexes(found: dict[tuple[str, int], list[xtrules.XtExpr]]) -> set[int]:
    return {int.from_bytes(x.info[:2], "little" if ipset.NATIVE_LITTLE else "big")
            for exprs in found.values() for x in exprs
            if x.type == "match" and x.name == "set" and len(x.info) >= 2}


def enrich(ns: NamespaceCapture, config: dict[str, Any]) -> None:
    """Add rev/text to xt expressions and `iptables` to the rules of iptables-nft tables (in place)."""
    decoded = iptables_nft_tables(config["rules"])
    for rule in config["rules"]:  # ebtables-nft / arptables-nft (bridge, arp) and odd tables: said so
        if (rule["family"], rule["table"]) not in decoded:
            for x in _xt_exprs(rule):
                x.update(text=None, undecoded=f"xt in table {rule['family']} {rule['table']}: only "
                         "iptables-nft's ip/ip6 filter, nat, mangle, raw and security tables are decoded")
    for family, table in decoded:
        try:
            found = xtrules.table_xt(family, table)
        except OSError as exc:
            ns.gap(f"xt payloads {family} {table}", f"reading the rules over netlink failed: {exc}")
            found = {}
        set_names = ipset.names_by_index(_set_indexes(found)) if found else {}
        tables = (matches(set_names), targets())
        for rule in config["rules"]:
            if (rule["family"], rule["table"]) == (family, table):
                _enrich_rule(rule, found.get((rule["chain"], rule["handle"])), set_names, tables)


def distrust(config: dict[str, Any], reason: str) -> None:
    """Withdraw every decoded xt text and iptables form (the ruleset changed while they were read)."""
    for rule in config["rules"]:
        for x in _xt_exprs(rule):
            if x.get("text") is not None:
                x.update(text=None, undecoded=reason)
        if rule.get("iptables") is not None:
            rule.update(iptables=None, iptables_undecoded=reason)


def _enrich_rule(rule: dict[str, Any], kernel: list[xtrules.XtExpr] | None,
                 set_names: dict[int, str], tables: tuple[dict[Any, Any], dict[Any, Any]]) -> None:
    xts = _xt_exprs(rule)
    texts: list[str | None] = []
    if xts and (kernel is None or len(kernel) != len(xts)
                or any(k.name != x.get("name") or k.type != x.get("type") for k, x in zip(kernel, xts))):
        for x in xts:
            x.update(text=None, undecoded="the kernel's copy of the rule changed or was not read")
        texts = [None] * len(xts)
    else:
        for x, k in zip(xts, kernel or []):
            x["rev"] = k.rev
            try:
                x["text"] = decode(k, rule["family"], set_names, tables)
            except (Undecodable, ValueError, IndexError) as exc:
                x.update(text=None, undecoded=str(exc))
            texts.append(x["text"])
    try:
        rule["iptables"] = iptables_rule(rule["chain"], rule["family"], rule["expr"], texts,
                                         rule.get("comment"))
    except (Undecodable, ValueError, KeyError) as exc:
        rule["iptables"] = None
        rule["iptables_undecoded"] = str(exc)
