"""`--redact`: replace addresses, MACs and the host name everywhere in a snapshot with keyed pseudonyms.

The key lives outside the snapshot (default ~/.config/netstack-docs/redact.key, 0600). Hosts of a
fleet that share the key get the same pseudonym for the same address, so a subnet shared by two
hosts is still shared after redaction. How addresses are mapped is explained in pseudonym.py.

Addresses and MACs: the walk is generic, every string and every dict key of the document except
`meta` is scanned, because addresses hide in routes, rules, neighbours, nft rule text and
expressions, iptables rules, socket keys in state, gap reasons... Not covered: addresses encoded
as integers or hex (tc u32 match keys), and nft ranges (a prefix-preserving map does not preserve
order).

The host name: only in the fields that hold free-form names (NAME_FIELDS, and the comment of an
nft rule's text), never as a word anywhere. A host called `docker`, `main`, `local`, `default`,
`bridge` or `veth` shares its name with kernel vocabulary (namespace kinds, table names, the
`default` route, link kinds); replacing the word everywhere corrupted those values and keys.
Not covered: the host name inside identifiers (a netns or interface named after the host), which
other objects refer to by that exact name.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any

from netstack_docs.capture.pseudonym import Pseudonyms
from netstack_docs.errors import UserError

DEFAULT_KEY_PATH = Path("~/.config/netstack-docs/redact.key")
KEY_BYTES = 32
# doc["host"] fields holding this machine's names: each, and its first label, is replaced everywhere.
HOST_NAME_FIELDS = ("hostname", "node_name", "fqdn")
# Fields whose values are free-form names or text a person wrote: where the host name is replaced.
NAME_FIELDS = frozenset({*HOST_NAME_FIELDS, "alias", "comment", "description", "config_files"})
_NFT_COMMENT = re.compile(r'(\bcomment\s+")((?:[^"\\]|\\.)*)(")')

# A token of hex digits, colons and dots holding at least one colon (IPv6, MAC, or host:port),
# or a dotted quad; either with an optional /prefixlen.
_TOKEN = re.compile(
    r"(?<![0-9A-Za-z_:.])(?P<colon>[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*?)(?P<clen>/\d{1,3})?(?![0-9A-Za-z_:/]|\.\w)"
    r"|(?<![0-9A-Za-z_.])(?P<quad>\d{1,3}(?:\.\d{1,3}){3})(?P<qlen>/\d{1,2})?(?![0-9A-Za-z_]|\.\d)"
)
_HW = re.compile(r"^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){3,}$")
_QUAD = re.compile(r"(?<![0-9A-Za-z_.])\d{1,3}(?:\.\d{1,3}){3}(?![0-9A-Za-z_]|\.\d)")


def _create_key(path: Path) -> None:
    """Write a new key whole, then link it into place: processes racing to create the key (a fleet
    capture redacts on every fork at once) all end up reading the same complete key."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(KEY_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    except OSError as exc:
        raise UserError(f"{path}: cannot create the redaction key: {exc.strerror}") from None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def load_or_create_key(path: Path | str | None = None) -> bytes:
    """The redaction key, created (32 random bytes, mode 0600) when the file does not exist yet."""
    path = Path(path or DEFAULT_KEY_PATH).expanduser()
    if not path.exists():
        _create_key(path)
    try:
        if path.stat().st_mode & 0o004:
            raise UserError(f"{path}: the redaction key is readable by every user; chmod 600 it")
        key = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the redaction key: {exc.strerror}") from None
    if len(key) < 16:
        raise UserError(f"{path}: the redaction key has {len(key)} bytes; it needs at least 16")
    return key


class _Redactor:
    def __init__(self, key: bytes, hostnames: list[str]):
        self.p = Pseudonyms(key)
        names = {part for name in hostnames for part in (name, name.split(".", 1)[0])}
        self.names = {n.lower(): self.p.hostname(n) for n in names if n}
        alternatives = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        pattern = rf"(?<![A-Za-z0-9])({alternatives})(?![A-Za-z0-9])"
        self.name_re = re.compile(pattern, re.I) if self.names else None

    def _address(self, text: str, prefix: str | None) -> str | None:
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return None
        if prefix is None:
            return self.p.text(addr)
        plen = int(prefix[1:])
        return self.p.network(addr, plen) if plen <= addr.max_prefixlen else None

    def _colon(self, token: str, prefix: str | None) -> str:
        if _HW.match(token) and token.count(":") != 7:
            return self.p.hwaddr(token) + (prefix or "")
        for cut in (token, token.rstrip(":.")):
            if cut and (done := self._address(cut, prefix)) is not None:
                return done + token[len(cut):] if prefix is None else done
        # Not an address as a whole (e.g. 10.0.0.1:8080): pseudonymise the dotted quads inside.
        return _QUAD.sub(lambda m: self._address(m.group(0), None) or m.group(0), token) + (prefix or "")

    def _token(self, m: re.Match[str]) -> str:
        if m.group("colon") is not None:
            return self._colon(m.group("colon"), m.group("clen"))
        return self._address(m.group("quad"), m.group("qlen")) or m.group(0)

    def string(self, text: str) -> str:
        """Addresses and MACs replaced; words are left alone (see name())."""
        return _TOKEN.sub(self._token, text)

    def name(self, text: str) -> str:
        """A free-form name field: the host name replaced as a word, then addresses."""
        if self.name_re is not None:
            text = self.name_re.sub(lambda m: self.names[m.group(1).lower()], text)
        return self.string(text)

    def _text(self, key: str | None, text: str) -> str:
        if key in NAME_FIELDS:
            return self.name(text)
        if key == "text":  # an nft rule as nft prints it: only its comment is free-form
            text = _NFT_COMMENT.sub(lambda m: m.group(1) + self.name(m.group(2)) + m.group(3), text)
        return self.string(text)

    def value(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, str):
            return self._text(key, value)
        if isinstance(value, list):
            return [self.value(v, key) for v in value]
        if isinstance(value, dict):
            if set(value) == {"addr", "len"} and isinstance(value["len"], int):
                return self._nft_prefix(value)
            return {self.string(k): self.value(v, k) for k, v in value.items()}
        return value

    def _nft_prefix(self, value: dict[str, Any]) -> dict[str, Any]:
        """nft JSON {"addr", "len"}: a network, so its host bits stay zero."""
        done = self._address(value["addr"], f"/{value['len']}") if isinstance(value["addr"], str) else None
        if done is None:
            return {"addr": self.value(value["addr"]), "len": value["len"]}
        return {"addr": done.rsplit("/", 1)[0], "len": value["len"]}


def redact(doc: dict[str, Any], key: bytes) -> dict[str, Any]:
    """A redacted copy of a snapshot document; sets meta.redacted. The input is not modified."""
    host = doc.get("host") or {}
    names = [host[k] for k in HOST_NAME_FIELDS if isinstance(host.get(k), str)]
    redactor = _Redactor(key, names)
    out = {k: (v if k == "meta" else redactor.value(v)) for k, v in doc.items()}
    out["meta"] = dict(doc.get("meta") or {}, redacted=True)
    return out
