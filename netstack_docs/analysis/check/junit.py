"""JUnit XML for CI: one test suite per check, one test case per host (and namespace) it looked at.

A fail is a <failure>, an undetermined finding is <skipped> with the reason (CI shows it, and it is
never counted as passed), a pass is a plain test case. The format follows the common JUnit schema
that Jenkins, GitLab and GitHub test reporters read (tests/fixtures/junit/junit.xsd checks it).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from netstack_docs.analysis.check.engine import CheckReport
from netstack_docs.analysis.check.findings import FAIL, UNDETERMINED, Finding


def _case_name(f: Finding) -> str:
    where = f"{f.env}/{f.host}" + (f" netns {f.netns}" if f.netns and f.netns != "root" else "")
    return f"{where}: {f.component.label}"


def _text(f: Finding) -> str:
    return f"expected: {f.expected}\nactual: {f.actual}\ncomponent: {f.url}"


def junit_xml(report: CheckReport) -> bytes:
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_check[f.check].append(f)
    root = ET.Element("testsuites", name="netstack-docs check")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for info in report.checks:
        findings = by_check.get(info.name, [])
        counts = report.counts(findings)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=info.name,
            tests=str(len(findings)),
            failures=str(counts[FAIL]),
            errors="0",
            skipped=str(counts[UNDETERMINED]),
        )
        ET.SubElement(ET.SubElement(suite, "properties"), "property", name="source", value=info.source)
        for f in findings:
            case = ET.SubElement(
                suite, "testcase", name=_case_name(f), classname=f"{info.source}.{info.name}"
            )
            if f.status == FAIL:
                ET.SubElement(case, "failure", message=f.actual, type="fail").text = _text(f)
            elif f.status == UNDETERMINED:
                ET.SubElement(case, "skipped", message=f"undetermined: {f.actual}").text = _text(f)
        totals["tests"] += len(findings)
        totals["failures"] += counts[FAIL]
        totals["skipped"] += counts[UNDETERMINED]
    for missing in report.selects_nothing:  # a required intent that selected no host fails, never vanishes
        suite = ET.SubElement(
            root, "testsuite", name=missing.intent, tests="1", failures="1", errors="0", skipped="0"
        )
        case = ET.SubElement(suite, "testcase", name="selects no host", classname=f"intent.{missing.intent}")
        ET.SubElement(case, "failure", message="selects no host", type="fail").text = missing.message
        totals["tests"] += 1
        totals["failures"] += 1
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
