"""Reports of a conformance run: the terminal summary, JSON, JUnit XML and Markdown (spec CHK-3, CHK-4).

A failing case is reported by the first value out of tolerance in chain-rule order, with reference,
got, tolerance and digits of agreement, and the command that reproduces just that case.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import asdict
from xml.etree import ElementTree as ET

from bpspec.conformance.runner import Outcome

COLUMNS = ("suite", "cases", "pass", "fail", "skip", "values", "passed", "failed", "not checked",
           "worst digits")


def summarise(outcomes: list[Outcome]) -> list[dict]:
    """One row per suite and a total (CHK-3)."""
    rows: dict[str, dict] = {}
    for o in outcomes:
        for key in (o.suite, "total"):
            r = rows.setdefault(key, dict.fromkeys(COLUMNS, 0) | {"suite": key, "worst digits": math.inf})
            r["cases"] += 1
            r[o.status] += 1
            r["values"] += o.values
            r["passed"] += o.passed
            r["failed"] += o.failed
            r["not checked"] += o.not_checked
            if o.status != "skip":
                r["worst digits"] = min(r["worst digits"], o.worst_digits)
    total = rows.pop("total", None)
    return list(rows.values()) + ([total] if total else [])


def _fmt(value) -> str:
    if isinstance(value, float):
        return "-" if math.isinf(value) else f"{value:.1f}"
    return str(value)


def first_failure_line(o: Outcome) -> str:
    if not o.failures:
        return o.reason
    f = o.failures[0]
    return (f"first out of tolerance ({o.mode}): step {f['step']} {f['name']} = {f['got']:.17g}, "
            f"expected {f['ref']} (tol {f['tol']:.2g}, {f['digits']:.1f} digits)")


def terminal(outcomes: list[Outcome], command: str, verbose: bool = False) -> str:
    """The human summary: the per-suite table, each failure, the skips grouped by reason."""
    table = summarise(outcomes)
    widths = [max(len(c), *(len(_fmt(r[c])) for r in table)) for c in COLUMNS]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(COLUMNS, widths,
                                                                                       strict=True)))]
    for r in table:
        lines.append("  ".join(_fmt(r[c]).rjust(w) if i else _fmt(r[c]).ljust(w)
                               for i, (c, w) in enumerate(zip(COLUMNS, widths, strict=True))))
    failed = [o for o in outcomes if o.status == "fail"]
    for o in failed[: None if verbose else 20]:
        lines.append(f"FAIL {o.case} [{o.dtype}]: {first_failure_line(o)}")
        if o.diagnosis:
            lines.append(f"     likely bug: {o.diagnosis}")
        lines.append(f"     reproduce: {command} --case {o.case}")
    if len(failed) > 20 and not verbose:
        lines.append(f"... and {len(failed) - 20} more failing cases (--verbose lists them all)")
    notes = Counter(note for o in outcomes for note in o.notes)
    for note, n in notes.most_common():
        lines.append(f"in {n} case{'s' * (n != 1)}: {note}")
    reasons = Counter(o.reason for o in outcomes if o.status == "skip")
    for reason, n in reasons.most_common():
        lines.append(f"skipped {n} case{'s' * (n != 1)}: {reason}")
    return "\n".join(lines)


def to_json(outcomes: list[Outcome], meta: dict) -> str:
    def clean(o: Outcome) -> dict:
        d = asdict(o)
        d["worst_digits"] = None if math.isinf(o.worst_digits) else o.worst_digits
        return d

    summary = [{k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in r.items()}
               for r in summarise(outcomes)]
    return json.dumps({**meta, "summary": summary, "cases": [clean(o) for o in outcomes]}, indent=1) + "\n"


def to_junit(outcomes: list[Outcome], meta: dict) -> str:
    root = ET.Element("testsuites", name=f"bpspec check {meta.get('impl', '')}")
    suites: dict[str, ET.Element] = {}
    for o in outcomes:
        suite = suites.get(o.suite)
        if suite is None:
            suite = suites[o.suite] = ET.SubElement(root, "testsuite", name=o.suite)
        case = ET.SubElement(suite, "testcase", classname=f"bpspec.{o.suite}", name=f"{o.case}[{o.dtype}]")
        if o.status == "fail":
            ET.SubElement(case, "failure", message=first_failure_line(o)[:500]).text = first_failure_line(o)
        elif o.status == "skip":
            ET.SubElement(case, "skipped", message=o.reason[:500])
    for name, suite in suites.items():
        mine = [o for o in outcomes if o.suite == name]
        suite.set("tests", str(len(mine)))
        suite.set("failures", str(sum(o.status == "fail" for o in mine)))
        suite.set("skipped", str(sum(o.status == "skip" for o in mine)))
        suite.set("errors", "0")
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def to_markdown(outcomes: list[Outcome], meta: dict) -> str:
    table = summarise(outcomes)
    out = [f"# bpspec conformance: {meta.get('impl', '')}, {meta.get('dtype', '')}", "",
           "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    out += ["| " + " | ".join(_fmt(r[c]) for c in COLUMNS) + " |" for r in table]
    failed = [o for o in outcomes if o.status == "fail"]
    if failed:
        out += ["", "## Failures", "", "| case | dtype | first failure | likely bug |", "|---|---|---|---|"]
        out += [f"| {o.case} | {o.dtype} | {first_failure_line(o)} | {o.diagnosis or ''} |" for o in failed]
    skipped = Counter(o.reason for o in outcomes if o.status == "skip")
    if skipped:
        out += ["", "## Skipped", ""] + [f"- {n} x {reason}" for reason, n in skipped.most_common()]
    return "\n".join(out) + "\n"


WRITERS = {"json": to_json, "junit": to_junit, "markdown": to_markdown}
