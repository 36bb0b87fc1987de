"""The last recorded figure of every benchmark, printed beside each new one (bench/figures.json).

A benchmark shows each figure it measures with `Figures.show`: the new value, the last recorded one
and how far it moved, so a slip shows in the run (and in the closing note of the change that caused
it). `--record` (every bench script takes it, through `add_record_option`) writes the run's figures
into bench/figures.json: the change that moves a figure commits the file with it. A figure recorded
on another kind of machine (CPU model and count) is shown with that machine, never compared.

Run alone, this script prints the file:  .venv/bin/python bench/figures.py
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
from pathlib import Path
from typing import Any

FILE = Path(__file__).resolve().with_name("figures.json")


def machine_kind() -> str:
    """What makes figures comparable: CPU model and how many CPUs this process may use."""
    model = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {len(os.sched_getaffinity(0))} CPUs"


def add_record_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--record", action="store_true",
                        help=f"write this run's figures into {FILE.relative_to(FILE.parent.parent)} "
                             "(commit it with the change that moved them)")


def load(path: Path = FILE) -> dict[str, dict[str, Any]]:
    return json.loads(path.read_text()) if path.exists() else {}


class Figures:
    """The figures of one benchmark (`bench`: the script's name), shown beside the recorded ones."""

    def __init__(self, bench: str, record: bool = False, path: Path = FILE):
        self.bench, self.record, self.path = bench, record, path
        self.kind = machine_kind()
        self.recorded: dict[str, Any] = load(path).get(bench, {})
        self.measured: dict[str, Any] = {}

    def show(self, name: str, value: float, unit: str, better: str = "lower", digits: int = 2,
             keep: bool = True) -> str:
        """Print `name: value unit` with the last recorded value and the change; returns the line.
        `keep=False`: a figure shown for comparison only (never written into the file)."""
        if better not in ("lower", "higher"):
            raise ValueError(f"better must be 'lower' or 'higher', not {better!r}")
        value = round(float(value), digits)
        if keep:
            self.measured[name] = {"value": value, "unit": unit, "better": better}
        line = f"  {name:<44} {value:>10.{digits}f} {unit:<10} {self.compare(name, value, digits)}"
        print(line, flush=True)
        return line

    def compare(self, name: str, value: float, digits: int) -> str:
        old = self.recorded.get("figures", {}).get(name)
        if old is None:
            return "(nothing recorded)"
        if self.recorded.get("machine") != self.kind:
            return f"(recorded {old['value']} on another machine: {self.recorded.get('machine')})"
        was = float(old["value"])
        if was == 0:
            return f"(recorded {was:.{digits}f})"
        change = (value - was) / abs(was)
        worse = change > 0 if old.get("better", "lower") == "lower" else change < 0
        verdict = "worse" if worse and abs(change) >= 0.1 else ("better" if abs(change) >= 0.1 else "same")
        load = self.recorded.get("load_average")
        at = f" at load {load}" if load is not None else ""
        return f"(recorded {was:.{digits}f} on {self.recorded.get('date')}{at}: {change:+.0%}, {verdict})"

    def close(self, note: str = "") -> None:
        """With --record, replace this benchmark's entry in the figures file by this run's figures."""
        if not self.record:
            print(f"  (figures not recorded; --record writes them into {self.path.name})")
            return
        everything = load(self.path)
        kept = self.recorded.get("figures", {}) if self.recorded.get("machine") == self.kind else {}
        everything[self.bench] = {
            "machine": self.kind,
            "date": datetime.date.today().isoformat(),
            "load_average": round(os.getloadavg()[0], 1),  # a busy machine slows some figures
            "note": note,
            "figures": {**kept, **self.measured},  # figures this run did not measure stay as they were
        }
        self.path.write_text(json.dumps(everything, indent=1, sort_keys=True) + "\n")
        print(f"  recorded {len(self.measured)} figures of {self.bench} in {self.path}")


def main() -> None:
    print(f"this machine: {machine_kind()}")
    for bench, entry in sorted(load().items()):
        note = f" ({entry['note']})" if entry.get("note") else ""
        print(f"{bench}: {entry['date']} on {entry['machine']}, load {entry.get('load_average')}{note}")
        for name, fig in entry["figures"].items():
            print(f"  {name:<44} {fig['value']:>10} {fig['unit']} ({fig['better']} is better)")


if __name__ == "__main__":
    main()
