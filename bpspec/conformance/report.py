"""Reports of a conformance run: the terminal summary, JSON, JUnit XML, Markdown and HTML (spec CHK-3,
CHK-4, CLI-3).

A failing case is reported by the first value out of tolerance in chain-rule order, with reference,
got, tolerance and digits of agreement, and the command that reproduces just that case.
"""

from __future__ import annotations

import html
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
    for diagnosis, n in Counter(o.diagnosis for o in failed if o.diagnosis).most_common():
        if n > 1:
            lines.append(f"likely bug ({n} cases): {diagnosis}")
    faults = Counter(fault_kind(o.reason) for o in failed if not o.failures and o.reason)
    if faults:
        lines.append("adapter faults: " + ", ".join(f"{n} case{'s' * (n != 1)} {kind}"
                                                    for kind, n in faults.most_common()))
    notes = Counter(note for o in outcomes for note in o.notes)
    for note, n in notes.most_common():
        lines.append(f"in {n} case{'s' * (n != 1)}: {note}")
    reasons = Counter(o.reason for o in outcomes if o.status == "skip")
    for reason, n in reasons.most_common():
        lines.append(f"skipped {n} case{'s' * (n != 1)}: {reason}")
    return "\n".join(lines)


IDENTITY = ("case", "suite", "dtype", "status", "reason")
"""The fields each case's JSON record starts with."""


def to_json(outcomes: list[Outcome], meta: dict) -> str:
    def clean(o: Outcome) -> dict:
        d = asdict(o)
        d["worst_digits"] = None if math.isinf(o.worst_digits) else o.worst_digits
        return {k: d.pop(k) for k in IDENTITY} | d

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


def fault_kind(reason: str) -> str:
    """How an adapter failed a case without a wrong value: raised, overran the limit, unusable result."""
    if reason.startswith("the adapter raised"):
        return "raised an exception"
    if reason.startswith("the adapter did not finish"):
        return "did not finish within the time limit"
    if reason.startswith("unusable result"):
        return "returned an unusable result"
    return "failed"


QUANTITIES = ("net", "out", "E_total", "delta", "grad_W", "grad_b", "new_W", "new_b")
"""The heatmap's columns, in chain-rule order (CHK-2)."""
PRECISION = {"float64": 15.95, "float32": 7.22, "float16": 3.31, "bfloat16": 2.41, "exact": 29.3}
"""-log10 of each dtype's unit roundoff (TOL-2): the digits a perfect result can agree on."""

CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#eee}td.l,th.l{text-align:left}.fail{color:#b00;font-weight:bold}.pass{color:#070}
.skip{color:#777}td.hm{min-width:3.5em;color:#000}td.nc{background:#f4f4f4;color:#999}
.legend span{display:inline-block;padding:2px 8px;margin-right:2px}"""


def _heat(digits: float | None, dtype: str) -> str:
    """A heatmap cell: red at 0 digits of agreement, green at the dtype's full precision."""
    if digits is None:
        return '<td class="hm nc" title="not checked">-</td>'
    share = max(0.0, min(1.0, digits / PRECISION.get(dtype, 15.95)))
    return (f'<td class="hm" style="background:hsl({120 * share:.0f},70%,72%)" '
            f'title="{digits:.2f} digits">{digits:.1f}</td>')


def _tr(cells: list[str], case: str | None = None) -> str:
    """One table row of already escaped cells; ``case`` marks a case's row for readers of the page."""
    mark = f' data-case="{html.escape(case)}"' if case is not None else ""
    return f"<tr{mark}>" + "".join(cells) + "</tr>"


def _td(text: object, cls: str = "") -> str:
    return f'<td class="{cls}">{html.escape(str(text))}</td>' if cls else f"<td>{html.escape(str(text))}</td>"


def _th(text: str, cls: str = "") -> str:
    return f'<th class="{cls}">{html.escape(text)}</th>' if cls else f"<th>{html.escape(text)}</th>"


CASE_COLUMNS = ("case", "suite", "dtype", "status", "values", "passed", "failed", "not checked",
                "worst digits", "first failure or reason", "likely bug")


def to_html(outcomes: list[Outcome], meta: dict) -> str:
    """A self-contained page (inline CSS, no script, no external asset): the summary, the
    digits-of-agreement heatmap of cases x quantities, and the per-case table (CHK-3, CHK-4, CLI-3)."""
    title = html.escape(f"bpspec conformance: {meta.get('impl', '')}, {meta.get('dtype', '')}")
    legend = "".join(_heat(d, "float64").replace("<td", "<span").replace("</td>", "</span>")
                     for d in (0, 4, 8, 12, 16))
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{title}</title>",
           f"<style>{CSS}</style></head><body>", f"<h1>{title}</h1>",
           f"<p>Command: <code>{html.escape(str(meta.get('command', '')))}</code></p>",
           '<h2>Summary</h2><table id="summary">', _tr([_th(c) for c in COLUMNS])]
    out += [_tr([_td(_fmt(r[c]), "l" if c == "suite" else "") for c in COLUMNS]) for r in summarise(outcomes)]
    out += ["</table>", "<h2>Digits of agreement</h2>",
            "<p>The worst digits of agreement (TOL-1) of each quantity in each case, coloured from red "
            "(none) to green (the dtype's full precision); grey: not checked or not returned.</p>",
            f'<p class="legend">{legend} digits (float64)</p>', '<table id="heatmap">',
            _tr([_th("case", "l"), _th("dtype"), *(_th(q) for q in QUANTITIES)])]
    for o in outcomes:
        heat = [_heat(o.worst_by_quantity.get(q), o.dtype) for q in QUANTITIES]
        out.append(_tr([_td(o.case, "l"), _td(o.dtype), *heat], o.case))
    out += ["</table>", '<h2>Cases</h2><table id="cases">',
            _tr([_th(c, "l" if c in ("case", "suite", "first failure or reason", "likely bug") else "")
                 for c in CASE_COLUMNS])]
    for o in outcomes:
        detail = first_failure_line(o) if o.status != "pass" else ""
        out.append(_tr([_td(o.case, "l"), _td(o.suite, "l"), _td(o.dtype), _td(o.status, o.status),
                        _td(o.values), _td(o.passed), _td(o.failed), _td(o.not_checked),
                        _td(_fmt(o.worst_digits)), _td(detail, "l"), _td(o.diagnosis or "", "l")], o.case))
    out += ["</table>", "</body></html>"]
    return "\n".join(out) + "\n"


WRITERS = {"json": to_json, "junit": to_junit, "markdown": to_markdown, "html": to_html}
