"""Namespace collector: the nftables ruleset as structured data, read in-process through libnftables.

Two passes of `list ruleset` in the namespace's thread: JSON (the structured expressions) and
stateless text with handles (rules as nft prints them, plus the table/chain comments and chain
devices that libnftables 1.0.x leaves out of its JSON). Counter values go to state, never config;
so do the elements of sets that rules or daemons fill at run time (dynamic sets, expiring elements).
"""

from __future__ import annotations

import json
import re
from operator import itemgetter
from typing import Any

from netstack_docs.capture import ipset, iptables, kmod, libnftables, xtcapture, xtrules
from netstack_docs.capture.context import NamespaceCapture
from netstack_docs.snapshot.content import nft_rule_content

# Keys whose values change while the ruleset stays the same: stripped from configuration.
VOLATILE_KEYS = ("packets", "bytes", "expires", "used")
CAP_NET_ADMIN = 12

_TABLE = re.compile(r"^table (\S+) (.+?) \{ # handle (\d+)$")
_CHAIN = re.compile(r"^\t(?:chain) (.+?) \{ # handle (\d+)$")
_SET = re.compile(r"^\t(?:set|map) (.+?) \{ # handle (\d+)$")
_OTHER = re.compile(r"^\t\S.* \{ # handle \d+$")
_RULE = re.compile(r"^\t\t(.*) # handle (\d+)$")
_COMMENT = re.compile(r'^\t+comment "(.*)"$')
_DEVICE = re.compile(r'\bdevices? (= \{ .*? \}|"[^"]*"|\S+)')
_NAME = re.compile(r'"((?:[^"\\]|\\.)*)"|([^\s,{}"]+)')


NFTABLES_MODULES = ("nfnetlink", "nf_tables")


def nf_tables_present(proc_modules: str = "/proc/modules", release: str | None = None,
                      sys_module: str = "/sys/module") -> bool:
    """Whether reading nftables can happen without the kernel loading a module (see kmod)."""
    return kmod.modules_available(NFTABLES_MODULES, proc_modules, release, sys_module)


def has_net_admin() -> bool:
    """Whether this thread holds CAP_NET_ADMIN, which listing a ruleset needs. Checked first because
    libnftables, refused, prints "(you must be root)" to the process's stderr by itself."""
    try:
        with open("/proc/thread-self/status") as fh:
            caps = next(line for line in fh if line.startswith("CapEff:"))
    except (OSError, StopIteration):
        return True  # cannot tell: let libnftables answer
    return bool(int(caps.split()[1], 16) & (1 << CAP_NET_ADMIN))


def strip_volatile(value: Any) -> Any:
    """A copy of a libnftables JSON value without counter values, quota usage and element expiry."""
    if isinstance(value, dict):
        return {k: strip_volatile(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [strip_volatile(v) for v in value]
    return value


def _counters(expr: list[Any]) -> list[dict[str, int]]:
    return [e["counter"] for e in expr if isinstance(e, dict) and isinstance(e.get("counter"), dict)]


def parse_text(text: str) -> dict[tuple[str, ...], dict[str, Any]]:
    """Index the stateless `list ruleset -a` text by (kind, family, table[, handle]).

    Gives each rule its printed text (without the handle comment), each table/chain/set its
    comment, each base chain its device, and each set its flags (libnftables 1.0.x leaves `dynamic`
    out of its JSON). Lines that do not parse are ignored: the JSON pass
    stays authoritative and a missing text becomes null, never a wrong one.
    """
    index: dict[tuple[str, ...], dict[str, Any]] = {}
    family = table = ""
    current: dict[str, Any] | None = None
    multi: list[str] = []  # a rule nft prints over several lines (`jump { ...` an anonymous chain)
    in_chain = False
    for line in text.splitlines():
        if multi:
            m = _RULE.match(line)
            if m and line.startswith("\t\t}"):
                body = "; ".join(multi[1:])
                text_ = f"{multi[0]} {body} {m.group(1).strip()}"
                index[("rule", family, table, m.group(2))] = {"text": text_}
                multi = []
            else:
                multi.append(line.strip())
            continue
        if in_chain and line.startswith("\t\t") and not line.startswith("\t\t\t") and line.endswith("{") \
                and "# handle" not in line:
            multi = [line.strip()]
            continue
        in_chain = in_chain and not (_TABLE.match(line) or _SET.match(line) or _OTHER.match(line))
        in_chain = in_chain or bool(_CHAIN.match(line))
        if m := _TABLE.match(line):
            family, table = m.group(1), m.group(2)
            current = index.setdefault(("table", family, table), {})
        elif m := _CHAIN.match(line):
            current = index.setdefault(("chain", family, table, m.group(2)), {})
        elif m := _SET.match(line):
            current = index.setdefault(("set", family, table, m.group(2)), {})
            current["flags"] = []
        elif _OTHER.match(line):
            current = None  # flowtable, ct helper, named counter...: not modelled
        elif m := _RULE.match(line):
            index[("rule", family, table, m.group(2))] = {"text": m.group(1)}
        elif line.startswith("\t\tflags ") and current is not None and "flags" in current:
            current["flags"] = line.split(None, 1)[1].replace(" ", "").split(",")  # a set's flags
        elif (m := _COMMENT.match(line)) and current is not None and "comment" not in current:
            current["comment"] = m.group(1)
        elif line.startswith("\t\ttype ") and current is not None and (d := _DEVICE.search(line)):
            current["devices"] = [q or p for q, p in _NAME.findall(d.group(1).removeprefix("= "))]
    return index


def _table(body: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return {"family": body["family"], "name": body["name"], "flags": sorted(body.get("flags", [])),
            "comment": body.get("comment", extra.get("comment")), "handle": body.get("handle")}


def _chain(body: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    chain = {"family": body["family"], "table": body["table"], "name": body["name"],
             "type": body.get("type"), "hook": body.get("hook"), "priority": body.get("prio"),
             "policy": body.get("policy"), "device": None,
             "comment": body.get("comment", extra.get("comment")),
             # creation order: at equal hook priority the kernel runs the newest base chain first
             "handle": body.get("handle")}
    devices = body.get("dev", extra.get("devices"))
    devices = sorted(devices) if isinstance(devices, list) else [devices] if devices else []
    if len(devices) == 1:
        chain["device"] = devices[0]
    elif devices:  # `devices = { eth0, eth1 }`: one netdev chain on several devices
        chain["devices"] = devices
    return chain


def _rule(body: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return {"family": body["family"], "table": body["table"], "chain": body["chain"],
            "handle": body["handle"], "expr": strip_volatile(body["expr"]), "text": extra.get("text"),
            "comment": body.get("comment")}


def _set(body: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    configured, _ = split_elements(body, extra)
    return {"family": body["family"], "table": body["table"], "name": body["name"],
            "type": body.get("type"), "map": body.get("map"), "flags": set_flags(body, extra),
            "elements": strip_volatile(configured),
            "comment": body.get("comment", extra.get("comment"))}


def _expires(element: Any) -> bool:
    """An element with its own timeout or expiry (`add element ... { 192.0.2.7 timeout 10m }`)."""
    inner = element.get("elem") if isinstance(element, dict) else None
    return isinstance(inner, dict) and ("timeout" in inner or "expires" in inner)


def set_flags(body: dict[str, Any], extra: dict[str, Any]) -> list[str]:
    return sorted({*body.get("flags", []), *extra.get("flags", [])})


def split_elements(body: dict[str, Any], extra: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """A set's elements as (configured, runtime). Runtime elements are state: every element of a
    `dynamic` set (filled from the packet path: meters, `add @set`, `update @set`) and every element
    that expires (what fail2ban, crowdsec or a rate limiter add to `timeout` sets). Elements without
    an expiry in a plain or `timeout` set were written into the ruleset: configuration."""
    elements = list(body.get("elem") or [])
    if "dynamic" in set_flags(body, extra):
        return [], elements
    return [e for e in elements if not _expires(e)], [e for e in elements if _expires(e)]


# JSON object kind -> (section, text-index kind, builder)
_KINDS = {"table": ("tables", "table", _table), "chain": ("chains", "chain", _chain),
          "rule": ("rules", "rule", _rule), "set": ("sets", "set", _set), "map": ("sets", "set", _set)}


def _text_key(kind: str, body: dict[str, Any]) -> tuple[str, ...]:
    if kind == "table":
        return ("table", body["family"], body["name"])
    return (kind, body["family"], body["table"], str(body["handle"]))


def build(objects: list[dict[str, Any]], text: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
    """(config, state, unmodelled kinds with counts) from the JSON pass and the text pass.

    State holds `counters` (per rule: `family table chain handle`) and `set_elements`, the runtime
    elements of sets (per set: `family table name`; see split_elements) with timeout and expiry.

    Metainfo and stateful objects (named counters, quotas, limits), flowtables and ct helpers are not
    modelled: their kinds and counts are returned so the caller records a gap.
    """
    index = parse_text(text)
    config: dict[str, list[dict[str, Any]]] = {"tables": [], "chains": [], "rules": [], "sets": []}
    counters: dict[str, Any] = {}
    runtime_elements: dict[str, Any] = {}
    unmodelled: dict[str, int] = {}
    for obj in objects:
        kind, body = next(iter(obj.items()))
        if kind not in _KINDS:
            if kind != "metainfo":
                unmodelled[kind] = unmodelled.get(kind, 0) + 1
            continue
        section, text_kind, builder = _KINDS[kind]
        extra = index.get(_text_key(text_kind, body), {})
        config[section].append(builder(body, extra))
        if kind == "rule" and (found := _counters(body["expr"])):
            counters[f"{body['family']} {body['table']} {body['chain']} {body['handle']}"] = found
        if kind in ("set", "map") and (runtime := split_elements(body, extra)[1]):
            runtime_elements[f"{body['family']} {body['table']} {body['name']}"] = runtime
    for section, key in (("tables", ("family", "name")), ("chains", ("family", "table", "name")),
                         ("sets", ("family", "table", "name"))):
        config[section].sort(key=itemgetter(*key))
    # Rules keep ruleset order: within a chain, order is meaning.
    number_repeats(config["rules"])
    state = {"counters": counters, "set_elements": runtime_elements}
    state = {key: value for key, value in state.items() if value}
    return config, state, dict(sorted(unmodelled.items()))


def number_repeats(rules: list[dict[str, Any]]) -> None:
    """`occurrence` = n for the n-th rule of its chain with the same content (1 for almost all).

    A rule is known by its content, not its handle: reloading an edited ruleset renumbers every
    handle after the edit, and links to the unchanged rules must survive that."""
    seen: dict[tuple[str, ...], int] = {}
    for rule in rules:
        key = (rule["family"], rule["table"], rule["chain"], nft_rule_content(rule))
        seen[key] = rule["occurrence"] = seen.get(key, 0) + 1



READ_ATTEMPTS = 3
_UNTRANSLATED = re.compile(r"\bXT (?:target|match) \S+ not found\b")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def untranslated_texts(rules: list[dict[str, Any]]) -> int:
    """Rules with xt expressions whose nft text libnftables could not print whole: it writes "XT
    target MASQUERADE not found" to the process's stderr (not its buffers) and prints the rule
    without that statement, verb and all (`oifname "eth0" counter `): the empty statement leaves a
    trailing or doubled space outside quotes. Such rules (and rules with xt but no text) are marked
    `text_incomplete` and counted."""
    count = 0
    for rule in rules:
        if not any(isinstance(e, dict) and isinstance(e.get("xt"), dict) for e in rule["expr"]):
            continue
        text = rule["text"]
        bare = _QUOTED.sub('""', text) if text is not None else ""
        if text is None or _UNTRANSLATED.search(text) or bare != bare.strip() or "  " in bare:
            rule["text_incomplete"] = True
            count += 1
    return count


def read_ruleset() -> tuple[dict[str, Any], str, bool]:
    """(JSON ruleset, text ruleset, whether they agree): the text is read before and after the JSON.

    The two passes are separate netlink dumps; a firewall reload between them would pair rule
    texts with the wrong rules. libnftables exposes no ruleset generation id, so equal texts
    around the JSON pass stand for "nothing changed"; otherwise read again, a few times. An empty
    text is an empty ruleset (no table): then there is no JSON pass to make.
    """
    raw: dict[str, Any] = {}
    text = before = libnftables.list_ruleset_text()
    if not before.strip():  # most namespaces of a big host: the JSON pass would find nothing more
        return {"nftables": []}, before, True
    for _ in range(READ_ATTEMPTS):
        raw = json.loads(libnftables.list_ruleset_json())
        text = libnftables.list_ruleset_text()
        if text == before:
            return raw, text, True
        before = text
    return raw, text, False


def collect(ns: NamespaceCapture) -> None:
    if not libnftables.available():
        ns.gap("nftables", "nftables: libnftables not found")
    elif not has_net_admin():
        ns.gap("nftables", "listing the ruleset needs CAP_NET_ADMIN (run as root)")
    elif not nf_tables_present():
        ns.gap("nftables", "nf_tables is not loaded; not reading it, since that would load a kernel module")
    else:
        generation = xtrules.generation()
        try:
            raw, text, stable = read_ruleset()
        except (libnftables.NftError, OSError, ValueError) as exc:
            ns.gap("nftables", f"list ruleset failed: {exc}")
        else:
            if not stable:
                ns.gap("nftables consistency", f"the ruleset changed during each of {READ_ATTEMPTS} reads: "
                       "rule texts may not match their JSON expressions")
            config, state, unmodelled = build(raw.get("nftables", []), text)
            if unmodelled:
                kinds = ", ".join(f"{n} {kind}" for kind, n in unmodelled.items())
                ns.gap("nftables objects not modelled", f"{kinds}: see `nft list ruleset`")
            xtcapture.enrich(ns, config)
            if generation is not None and xtrules.generation() != generation:
                # a rule replaced in place (`iptables -R`) keeps its handle: its payload may not be the
                # one whose other expressions the JSON pass read
                xtcapture.distrust(config, "the ruleset changed while it was read")
                ns.gap("nftables consistency", "the ruleset changed during the capture: iptables forms "
                       "of iptables-nft rules left out")
            if broken := untranslated_texts(config["rules"]):
                ns.gap("nftables rule text", f"libnftables could not print {broken} rule(s) with xt "
                       "matches or targets (their text is cut or missing); their `iptables` form stands")
            ns.doc["nftables"] = config
            if state:
                ns.state["nftables"] = state
    iptables.collect(ns)
    ipset.collect(ns)
