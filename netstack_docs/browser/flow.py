"""One flow as `netstack-docs trace` takes it (its options by name), traced and returned as the CLI's JSON.

Shared by the CLI (the packet it builds from its options) and the browser's /trace/ page (the whole
call): both give trace the same packet, so the page shows what `netstack-docs trace --json` prints.
Standard library only: the browser's Python has nothing else (tests/browser_trace/test_imports.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from netstack_docs.analysis.trace.fleet import Fleet, Host
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.packet import Packet, TraceInputError
from netstack_docs.errors import UserError

# The CLI's option names (without --), as the page's form fields and URL parameters name them.
OPTIONS = ("in", "from-local", "netns", "src", "dst", "proto", "sport", "dport", "state", "mark", "len",
           "ttl", "dscp", "tcp-flags", "assume")
DEFAULTS = {"proto": "tcp", "sport": "40000", "state": "new", "mark": "0", "ttl": "64", "dscp": "0"}
RANGES = {"sport": (0, 65535), "dport": (0, 65535), "len": (20, 65535), "ttl": (0, 255), "dscp": (0, 63)}
CHOICES = {"proto": ("tcp", "udp", "icmp", "icmpv6"), "state": ("new", "established")}


def make_packet(
    src: str,
    dst: str,
    proto: str,
    sport: int,
    dport: int | None,
    state: str,
    mark: str,
    length: int | None,
    ttl: int,
    dscp: int,
    tcp_flags: str | None,
) -> Packet:
    """The packet the CLI's options describe: ports only for tcp/udp, flags only for tcp."""
    try:
        mark_value = int(mark, 0)
    except ValueError:
        raise UserError(f"--mark {mark!r} is not a number") from None
    ports = proto in ("tcp", "udp")
    return Packet(
        src,
        dst,
        proto,
        sport if ports else None,
        dport,
        state,
        mark_value,
        length=length,
        ttl=ttl,
        tcp_flags=tcp_flags if proto == "tcp" else None,
        dscp=dscp,
    )


def _text(options: Mapping[str, Any], name: str) -> str | None:
    value = options.get(name)
    if value is None or str(value).strip() == "":
        return DEFAULTS.get(name)
    return str(value).strip()


def _number(options: Mapping[str, Any], name: str) -> int | None:
    text = _text(options, name)
    if text is None:
        return None
    low, high = RANGES[name]
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"--{name} {text!r} is not a whole number") from None
    if not low <= value <= high:
        raise UserError(f"--{name} {value} is not in the range {low}<=x<={high}")
    return value


def _flag(options: Mapping[str, Any], name: str) -> bool:
    return str(options.get(name) or "").lower() in ("1", "true", "on", "yes")


def trace_flow(fleet: Fleet, env: str, host: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Check the options as the CLI does, trace, and return `TraceResult.to_json()`."""
    from netstack_docs.analysis.trace.api import trace

    for name, allowed in CHOICES.items():
        if _text(options, name) not in allowed:
            raise UserError(f"--{name} {_text(options, name)!r}: choose one of {', '.join(allowed)}")
    ingress = _text(options, "in")
    from_local = _flag(options, "from-local")
    if from_local == (ingress is not None):
        raise UserError("give exactly one of --in IFNAME or --from-local")
    src, dst = _text(options, "src"), _text(options, "dst")
    if src is None or dst is None:
        raise UserError("--src and --dst are required")
    sport = _number(options, "sport")
    assert sport is not None  # it has a default
    packet = make_packet(
        src,
        dst,
        str(_text(options, "proto")),
        sport,
        _number(options, "dport"),
        str(_text(options, "state")),
        str(_text(options, "mark")),
        _number(options, "len"),
        int(_number(options, "ttl") or 0),
        int(_number(options, "dscp") or 0),
        _text(options, "tcp-flags"),
    )
    assume = options.get("assume") or []
    if isinstance(assume, str):
        assume = [assume]
    result = trace(
        fleet,
        env,
        host,
        packet,
        ingress=ingress,
        netns=_text(options, "netns"),
        from_local=from_local,
        assume=[str(a).strip() for a in assume if str(a).strip()],
    )
    return result.to_json()


class PageFleet(Fleet):
    """One environment as the page has it: a host's snapshot is fetched when the walk first needs it.

    The start host, then each host a VXLAN hop crosses into: `owners` (written at build time from the
    snapshots in the order Fleet.load reads them) names the host that Fleet.owner_of would find for an
    address, so a 1,000-host environment costs the browser the hosts a walk meets, not all of them.
    """

    def __init__(self, env: str, slugs: Iterable[str], owners: Mapping[str, str], fetch: Callable[[str], str],
                 assume: Iterable[str] = ()):
        super().__init__((), assume)
        self.env = env
        self.slugs = list(slugs)
        self.owners = dict(owners)
        self.fetch = fetch

    def host(self, env: str, slug: str) -> Host:
        if (env, slug) not in self.hosts and env == self.env and slug in self.slugs:
            try:
                text = self.fetch(slug)
            except Exception as exc:  # noqa: BLE001 - the page's fetch raises what the browser says
                raise UserError(f"{env}/{slug}: cannot read its snapshot.json: {exc}") from None
            self.hosts[(env, slug)] = Host(env, slug, json.loads(text))
        if (env, slug) in self.hosts:
            return self.hosts[(env, slug)]
        # not a host of this environment: the command's message, naming the ones that exist
        return Fleet([Host(self.env, s, {"namespaces": []}) for s in self.slugs]).host(env, slug)

    def owner_of(self, env: str, address: str) -> tuple[Host, Namespace] | None:
        slug = self.owners.get(address) if env == self.env else None
        if slug is None:
            return None
        host = self.host(env, slug)
        for ns in host.namespaces:
            if any(a["address"] == address for a in ns.doc.get("addresses", [])):
                return host, ns
        return None


def address_owners(docs: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """address -> the slug of the first host holding it, in the order given (as Fleet.owner_of finds it)."""
    out: dict[str, str] = {}
    for slug, doc in docs:
        for ns in doc["namespaces"]:
            for addr in ns.get("addresses", []):
                out.setdefault(addr["address"], slug)
    return out


_FLEETS: dict[str, Fleet] = {}  # the page's environments (trace keeps its indexes per host)


def load_environment(
    env: str, slugs: Iterable[str], owners: str, fetch: Callable[[str], str], defaults: Iterable[str]
) -> None:
    """The page hands over an environment: its host slugs, the address owners (JSON), a function that
    returns a host's published snapshot.json text, and the repository's default assumptions
    (mkdocs.yml extra.netstack.assume)."""
    _FLEETS[env] = PageFleet(env, list(slugs), json.loads(owners), fetch, list(defaults))


def browser_trace(env: str, host: str, options: str) -> str:
    """The page's call: the form as JSON -> `{"result": <trace --json>}` or `{"error": message}`, as JSON."""
    try:
        fleet = _FLEETS.get(env)
        if fleet is None:
            raise TraceInputError(f"unknown environment {env!r}; environments: {', '.join(sorted(_FLEETS))}")
        return json.dumps({"result": trace_flow(fleet, env, host, json.loads(options))})
    except UserError as exc:
        return json.dumps({"error": str(exc)})
