"""Capture one host: discover namespaces, capture them in parallel threads, run host collectors, assemble.

One failure never aborts the host: a collector that raises, a namespace that vanishes or times
out, a collector module that is not installed, each becomes a gap with its reason. Observation
only: nothing here loads a module or writes anything.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from types import ModuleType
from typing import Any

from netstack_docs import __version__
from netstack_docs.capture import fanout, leftout, namespaces, netns, registry, timing
from netstack_docs.capture.context import HostCapture, NamespaceCapture, empty_namespace

Progress = Callable[[int, int, str], None]


def load_collectors(names: list[str], gaps: list[dict[str, Any]]) -> list[tuple[str, ModuleType]]:
    """Import every registered collector; one that is missing becomes a gap, not a crash."""
    loaded = []
    for name in names:
        short = name.rsplit(".", 1)[-1]
        try:
            loaded.append((short, importlib.import_module(name)))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            gaps.append({"what": f"collector {short} not available",
                         "reason": f"module {name} is not part of this installation", "namespace": None})
    return loaded


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, PermissionError) or getattr(exc, "code", None) in (1, 13):
        return f"permission denied ({exc})"
    return f"{type(exc).__name__}: {exc}"


def capture_namespace(ns: NamespaceCapture, collectors: list[tuple[str, ModuleType]],
                      stop_if_isolated: bool = False) -> NamespaceCapture:
    """Run every namespace collector in the calling thread (already inside the namespace).

    `stop_if_isolated`: once the links are known, stop when they are loopback only (leftout)."""
    for short, module in collectors:
        start = time.perf_counter()
        try:
            module.collect(ns)
        except Exception as exc:  # noqa: BLE001 - recorded as a gap: one collector never aborts the namespace
            ns.gap(short, _describe_error(exc))
        timing.add_collector(short, time.perf_counter() - start)
        if stop_if_isolated and short == "links" and leftout.is_isolated(ns.doc):
            break
    return ns


def _namespace_capture(found: namespaces.Namespace, paths: dict[str, str]) -> NamespaceCapture:
    doc = empty_namespace(found.id, found.kind)
    doc.update(found.describe())
    if found.also_at:
        doc["also_at"] = found.also_at
    return NamespaceCapture(found.id, doc, namespace_paths=paths)


def capture_host(
    env: str,
    hostname: str,
    progress: Progress | None = None,
    workers: int = 2,
    timeout: float = 60.0,
    processes: int | None = None,
    role: str | None = None,
    exclude: list[str] | None = None,
    include_isolated: bool = False,
) -> dict[str, Any]:
    """The whole snapshot document of this host (not yet validated or redacted).

    Namespaces matching an `exclude` glob are not entered; isolated ones (loopback only, held by a
    process or container) are summarised unless `include_isolated` (capture.leftout)."""
    started = time.monotonic()
    captured_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    gaps: list[dict[str, Any]] = []
    doc: dict[str, Any] = {
        "schema_version": 2,  # netstack_docs.snapshot.load.SCHEMA_VERSION (capture imports nothing of it)
        "meta": {"captured_at": captured_at, "tool_version": __version__, "tools": {},
                 "euid": os.geteuid(), "redacted": False},
        "host": {"env": env, "hostname": hostname, "kernel": os.uname().release, "os": None,
                 "machine": os.uname().machine, "role": role},
        "namespaces": [],
        "bpf": {"programs": []},
        "daemons": [],
        "state": {"namespaces": {}},
        "gaps": gaps,
    }
    if os.geteuid() != 0:
        gaps.append({"what": "capture privileges", "namespace": None,
                     "reason": "not running as root: other namespaces, some dumps and BPF are not visible"})
    with timing.phase("discover"):
        discovery = namespaces.discover()
    gaps += [{"what": what, "reason": reason, "namespace": None} for what, reason in discovery.problems]
    # every namespace found, excluded ones too: a veth whose peer is in one still names it
    paths = {ns.id: ns.path or f"/proc/{os.getpid()}/ns/net" for ns in discovery.namespaces}
    left_out: list[dict[str, Any]] = []
    if exclude:
        doc["meta"]["exclude_netns"] = list(exclude)
        kept_found = []
        for found in discovery.namespaces:
            pattern = leftout.excluded_by(found, list(exclude))
            if pattern is None:
                kept_found.append(found)
            else:
                left_out.append(leftout.entry(found, "excluded", pattern))
        discovery.namespaces[:] = kept_found
    if include_isolated:
        doc["meta"]["include_isolated"] = True

    with timing.phase("imports"):
        collectors = load_collectors(registry.NAMESPACE_COLLECTORS, gaps)
    total, finished = len(discovery.namespaces), 0

    def done(ns_id: str) -> None:
        nonlocal finished
        finished += 1
        if progress is not None:
            progress(finished, total, ns_id)

    def capture(some: Iterable[namespaces.Namespace],
                done: Callable[[str], None]) -> dict[str, fanout.Result]:
        return capture_namespaces(some, paths, collectors, workers, timeout, done, not include_isolated)

    count = len(discovery.namespaces)
    spread = fanout.processes_for(count) if processes is None else processes
    deadline = timeout * (count // max(1, spread * workers) + 2)  # every task timing out, and then some
    with timing.phase("namespaces"):
        results = fanout.capture_spread(discovery.namespaces, capture, paths, done, spread, deadline)
    merge_started = time.perf_counter()
    kept: list[NamespaceCapture] = []
    for found in discovery.namespaces:
        result = results[found.id]
        if isinstance(result, tuple) and result[0] == "gone":
            gaps.append({"what": f"namespace {found.id}", "namespace": found.id,
                         "reason": f"vanished during capture ({result[1]})"})
            continue
        if isinstance(result, tuple):
            reason = result[1]
            result = _namespace_capture(found, paths)
            result.gap("namespace", reason)
        elif (not include_isolated and found.kind in leftout.TRANSIENT_KINDS
              and leftout.is_isolated(result.doc)):
            left_out.append(leftout.entry(found, "isolated"))
            continue
        kept.append(result)
    resolve_peer_names(kept)
    host = HostCapture(doc, kept, os.geteuid() == 0)
    timing.add_phase("merge", time.perf_counter() - merge_started)
    with timing.phase("host collectors"):
        for short, module in load_collectors(registry.HOST_COLLECTORS, gaps):
            try:
                module.collect(host)
            except Exception as exc:  # noqa: BLE001 - recorded as a gap: one collector never aborts the host
                host.gap(short, _describe_error(exc))
    merge_started = time.perf_counter()
    doc["namespaces"] = [cap.doc for cap in kept]
    doc["state"]["namespaces"] = {cap.id: cap.state for cap in kept}
    if left_out:
        doc["state"]["namespaces_left_out"] = sorted(left_out, key=lambda e: (e["why"], e["id"]))
    for cap in kept:
        cap.doc["gaps"].sort(key=lambda g: (g["what"], g["reason"]))
    gaps.sort(key=lambda g: (g.get("namespace") or "", g["what"], g["reason"]))
    timing.add_phase("merge", time.perf_counter() - merge_started)
    doc["meta"]["duration_s"] = round(time.monotonic() - started, 3)
    return doc


def capture_namespaces(found: Iterable[namespaces.Namespace], paths: dict[str, str],
                       collectors: list[tuple[str, ModuleType]], workers: int, timeout: float,
                       done: Callable[[str], None], skip_isolated: bool = False) -> dict[str, fanout.Result]:
    """Capture each namespace in its own thread (at most `workers` at once) in this process.

    `found` is read lazily, one namespace as a thread becomes free (fanout's queue hands them out)."""
    captures: dict[str, NamespaceCapture] = {}

    def tasks() -> Iterator[netns.Task]:
        for ns in found:
            captures[ns.id] = cap = _namespace_capture(ns, paths)
            stop = skip_isolated and ns.kind in leftout.TRANSIENT_KINDS
            yield netns.Task(ns.id, ns.path, _bind(cap, collectors, stop), ns.inode)

    outcomes = netns.run_all(tasks(), workers=workers, timeout=timeout, done=lambda o: done(o.key))
    results: dict[str, fanout.Result] = {}
    for ns_id in captures:
        outcome = outcomes[ns_id]
        if outcome.timed_out:  # the abandoned thread may still write to its capture: drop it
            results[ns_id] = ("failed", f"capture did not finish within {timeout:g} s; abandoned")
        elif isinstance(outcome.error, netns.NamespaceGone):
            results[ns_id] = ("gone", str(outcome.error))
        elif outcome.error is not None:
            results[ns_id] = ("failed", f"could not enter: {_describe_error(outcome.error)}")
        else:
            results[ns_id] = captures[ns_id]
    return results


def _bind(cap: NamespaceCapture, collectors: list[tuple[str, ModuleType]],
          stop_if_isolated: bool = False) -> Callable[[], NamespaceCapture]:
    return lambda: capture_namespace(cap, collectors, stop_if_isolated)


def resolve_peer_names(captures: list[NamespaceCapture]) -> None:
    """A veth peer in another namespace is known by (namespace, ifindex); give it its ifname."""
    by_ns = {cap.id: {link["ifindex"]: link["ifname"] for link in cap.doc["links"]} for cap in captures}
    for cap in captures:
        for link in cap.doc["links"]:
            parent = link.get("parent")
            if parent and parent.get("netns") and parent.get("ifname") is None:
                parent["ifname"] = by_ns.get(parent["netns"], {}).get(parent["ifindex"])

