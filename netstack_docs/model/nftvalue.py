"""One nftables set element or map entry spelled as `nft list set` prints it, from libnftables' JSON.

`10.0.0.0/8`, `1-5`, `10.0.0.1 . tcp . 22`, `8443 : 172.17.0.2`, and in a verdict map the verdict
as a rule would say it: `10.96.0.10 : goto svc-kube-dns`, `22 : accept` (never the JSON
`{"goto": {"target": ...}}`). Values stay untrusted text: the caller escapes them.
"""

from __future__ import annotations

import json
from typing import Any

# libnftables' verdict objects: {"accept": null}, {"jump": {"target": "chain"}}, ...
VERDICTS = ("accept", "drop", "continue", "return", "queue", "jump", "goto")


def _verdict(value: dict[str, Any]) -> str | None:
    if len(value) != 1:
        return None
    (word, arg), = value.items()
    if word not in VERDICTS:
        return None
    if isinstance(arg, dict) and "target" in arg:
        return f"{word} {arg['target']}"
    return word if arg is None else None


def nft_value(value: Any) -> str:
    """One element or map entry as nft prints it: prefix, range, concatenation, key : value, verdict."""
    if isinstance(value, list) and len(value) == 2:
        return f"{nft_value(value[0])} : {nft_value(value[1])}"
    if isinstance(value, dict):
        if isinstance(value.get("prefix"), dict):
            return f"{value['prefix'].get('addr')}/{value['prefix'].get('len')}"
        if isinstance(value.get("range"), list) and len(value["range"]) == 2:
            return "-".join(nft_value(v) for v in value["range"])
        if isinstance(value.get("concat"), list):
            return " . ".join(nft_value(v) for v in value["concat"])
        if "elem" in value:
            elem = value["elem"]
            return nft_value(elem.get("val") if isinstance(elem, dict) else elem)
        verdict = _verdict(value)
        if verdict is not None:
            return verdict
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)
