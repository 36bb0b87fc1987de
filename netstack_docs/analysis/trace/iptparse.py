"""One rule in iptables-save syntax (`-A FORWARD -i br0 -m conntrack ! --ctstate NEW -j DROP`), parsed.

iptables-save prints a rule as its chain, the generic options (-s -d -i -o -p -f, each may be
negated by a `!` before it), then each match module (`-m name` and its options), then the target
(`-j NAME` and its options, or `-g CHAIN`). Old iptables also printed `--opt ! value`; both are read.
Quoting is the shell's (xtables_save_string quotes with double quotes and escapes `"` and `\\`).
The parse keeps words, not meanings: iptrules.py compiles them.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

GENERIC = {
    "-s": "-s",
    "--source": "-s",
    "--src": "-s",
    "-d": "-d",
    "--destination": "-d",
    "--dst": "-d",
    "-i": "-i",
    "--in-interface": "-i",
    "-o": "-o",
    "--out-interface": "-o",
    "-p": "-p",
    "--protocol": "-p",
    "-f": "-f",
    "--fragment": "-f",
}
FLAG_ONLY = {"-f"}
ONE_ARG = {"--comment", "--log-prefix", "--nflog-prefix", "--set-class"}  # free text, may start with "-"


class RuleSyntaxError(ValueError):
    """A rule text that is not iptables-save syntax."""


@dataclass
class Option:
    name: str  # "--dport", "-s"
    args: list[str]
    negated: bool = False

    @property
    def value(self) -> str:
        return " ".join(self.args)


@dataclass
class Module:
    """A match (`-m name`) or the target (`-j NAME`) with its options in order."""

    name: str
    options: list[Option] = field(default_factory=list)

    def get(self, *names: str) -> Option | None:
        return next((o for o in self.options if o.name in names), None)

    def text(self, kind: str) -> str:
        head = f"-m {self.name}" if kind == "match" else f"-j {self.name}"
        return " ".join([head, *(_option_text(o) for o in self.options)])


@dataclass
class ParsedRule:
    chain: str | None
    generic: list[Option] = field(default_factory=list)
    matches: list[Module] = field(default_factory=list)
    target: Module | None = None
    goto: bool = False  # -g CHAIN: the target is a chain gone to, not jumped to


def _option_text(o: Option) -> str:
    words = [o.name, *(shlex.quote(a) for a in o.args)]
    return ("! " if o.negated else "") + " ".join(words)


def split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _is_option(word: str) -> bool:
    return word.startswith("--") and len(word) > 2 or len(word) == 2 and word[0] == "-" and word[1].isalpha()


def parse(text: str) -> ParsedRule:
    """`[-A CHAIN] options` -> ParsedRule; RuleSyntaxError names what is not understood."""
    words = split(text)
    rule = ParsedRule(None)
    current: Module | None = None  # the module options now belong to
    in_target = False
    negate = False
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "!":
            negate = True
            continue
        if not _is_option(word):
            raise RuleSyntaxError(f"unexpected word {word!r} in iptables rule `{text}`")
        args: list[str] = []
        if word in ONE_ARG and i < len(words):
            args.append(words[i])
            i += 1
        while i < len(words) and not _is_option(words[i]) and words[i] != "!":
            args.append(words[i])
            i += 1
        if i < len(words) - 1 and words[i] == "!" and not args and not _is_option(words[i + 1]):
            negate, args = True, [words[i + 1]]  # old syntax: --opt ! value
            i += 2
        if word in ("-A", "--append", "-I", "--insert"):
            if len(args) != 1:
                raise RuleSyntaxError(f"{word} {' '.join(args)}: one chain expected in `{text}`")
            rule.chain = args[0]
        elif word in ("-m", "--match") and not in_target:
            if not args:
                raise RuleSyntaxError(f"-m without a module name in `{text}`")
            current = Module(args[0])
            rule.matches.append(current)
        elif word in ("-j", "--jump", "-g", "--goto"):
            if not args:
                raise RuleSyntaxError(f"{word} without a target in `{text}`")
            rule.target, rule.goto, in_target = Module(args[0]), word in ("-g", "--goto"), True
            current = rule.target
            if len(args) > 1:
                raise RuleSyntaxError(f"{word} {' '.join(args)}: one target expected in `{text}`")
        elif word in GENERIC and current is None:
            name = GENERIC[word]
            if name not in FLAG_ONLY and len(args) != 1:
                raise RuleSyntaxError(f"{word} needs one value in `{text}`")
            rule.generic.append(Option(name, args, negate))
        elif word in ("-c", "--set-counters"):
            pass  # counters: no meaning for a packet's fate
        elif current is None:
            # `-p tcp --dport 22` without `-m tcp`: the protocol's own match, as iptables loads it
            proto = next((o.value for o in rule.generic if o.name == "-p"), None)
            if proto is None:
                raise RuleSyntaxError(f"option {word} outside a match in `{text}`")
            current = Module(proto.lower())
            rule.matches.append(current)
            current.options.append(Option(word, args, negate))
        else:
            current.options.append(Option(word, args, negate))
        negate = False
    return rule
