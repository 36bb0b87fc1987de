"""`check`: declared intent (intent.yaml) and built-in pitfalls against snapshots, as findings (data).

Pipeline position: snapshot -> model -> analysis (here) -> render. Nothing here writes Markdown.
"""

from netstack_docs.analysis.check.builtins import BUILTINS
from netstack_docs.analysis.check.engine import CheckInfo, CheckReport, run_checks
from netstack_docs.analysis.check.findings import FAIL, PASS, UNDETERMINED, Finding
from netstack_docs.analysis.check.hosts import Host
from netstack_docs.analysis.check.intent import Intent, IntentError
from netstack_docs.analysis.check.loading import default_intent_files, load_intents

__all__ = [
    "BUILTINS",
    "FAIL",
    "PASS",
    "UNDETERMINED",
    "CheckInfo",
    "CheckReport",
    "Finding",
    "Host",
    "Intent",
    "IntentError",
    "default_intent_files",
    "load_intents",
    "run_checks",
]
