"""``bpspec check --results FILE``: grading a results file written by a program in any language
(spec ADP-7, CHK-1, CHK-3, TOL-5, CLI-1).

The CSV ``case,step,name,value[,mode]`` holds the values a program computed, in mode ``single`` (the
default) from the exported golden state of each step (ADP-6), in mode ``free`` from its own
trajectory. Each case and recorded step becomes an adapter-style output dict, gathered (``grade.gather``)
and graded with the case's other steps of its mode (``grade.grade_steps``);
a value the file lacks is "not checked", never passed (ADP-2), while a NaN it states fails. Rows
naming values the vectors do not have are counted in one note and change nothing.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import re
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bpspec import vectorset
from bpspec.cases import batch_indices
from bpspec.conformance import tolerance
from bpspec.conformance.grade import Gathered, as_output, gather, grade_steps
from bpspec.conformance.index import annotate
from bpspec.conformance.rows import Rows, by_case
from bpspec.conformance.runner import STATE_CODES, Outcome, _evidence, _merge
from bpspec.errors import InputError
from bpspec.names import display
from bpspec.vectorfile import NAME, shown

COLUMNS = ("case", "step", "name", "value")
MODES = ("single", "free")
VALUE = re.compile(r"[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|nan|inf|infinity)",
                   re.IGNORECASE)
KEYS = ["case", "step", "name"]


def load(path: Path | str) -> pd.DataFrame:
    """The rows of a results file: case, step, name, value (float), mode and line (ADP-7, CLI-1)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read the results file ({err.strerror})") from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 text") from None
    text = text.rstrip("\r\n")
    expected = f"{','.join(COLUMNS)}[,mode]"
    if not text.strip():
        raise InputError(f"{path}:1: empty results file; expected the header {expected}")
    lone = re.search(r"\r(?!\n)", text)
    if lone:
        line = text.count("\n", 0, lone.start()) + 1
        raise InputError(f"{path}:{line}: carriage return without a line feed; end lines with LF or CRLF")
    header = text.split("\n", 1)[0].rstrip("\r")
    try:
        names = next(csv.reader([header]))
    except csv.Error:
        names = None
    if names not in (list(COLUMNS), [*COLUMNS, "mode"]):
        raise InputError(f"{path}:1: header is {header[:80]!r}; expected {expected}")
    try:
        frame = pd.read_csv(io.StringIO(text + "\n"), dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False, engine="c", header=None)
    except (pd.errors.ParserError, ValueError) as err:
        found = re.search(r"line (\d+)", str(err))
        line = found.group(1) if found else 1
        detail = str(err).strip().splitlines()[-1].removeprefix("Error tokenizing data. C error: ")
        raise InputError(f"{path}:{line}: malformed CSV row ({detail[:100]})") from None
    frame.columns = frame.iloc[0]
    return _validate(frame.iloc[1:].reset_index(drop=True), path)


def _validate(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    def check(bad: pd.Series, problem) -> None:
        if bad.any():
            row = frame.iloc[int(bad.to_numpy().nonzero()[0][0])]
            raise InputError(f"{path}:{row['line']}: {problem(row)}")

    fields = len(frame.columns)
    frame["line"] = np.arange(2, len(frame) + 2)
    if "mode" not in frame:
        frame["mode"] = "single"
    if frame.empty:
        raise InputError(f"{path}:2: no rows after the header")
    check((frame[list(COLUMNS)] == "").all(axis=1), lambda r: "empty line")
    for column in COLUMNS:
        check(frame[column] == "", lambda r, column=column: f"no {column} (expected {fields} fields)")
    check(~frame["case"].str.fullmatch(r"[a-z0-9][a-z0-9_]*"),
          lambda r: f"case {r['case'][:40]!r} is not a case id")
    check(~frame["step"].str.fullmatch(r"0|[1-9][0-9]{0,5}"),
          lambda r: f"step {r['step'][:40]!r} is not a whole number 0..999999")
    check(~frame["name"].str.fullmatch(NAME.pattern[1:-1]) | (frame["name"].str.len() > 200),
          lambda r: f"name {r['name'][:40]!r} is not a value name (spec NOT-2)")
    check(~frame["value"].str.fullmatch(VALUE.pattern, flags=re.IGNORECASE) | (frame["value"].str.len() > 64),
          lambda r: f"value {shown(r['value'])} is not a decimal number of at most 64 characters")
    frame["mode"] = frame["mode"].replace("", "single")
    check(~frame["mode"].isin(MODES), lambda r: f"mode {r['mode'][:40]!r} is not single or free")
    frame["step"] = frame["step"].astype("int64")
    frame["value"] = [float(v) for v in frame["value"]]
    frame["key"] = frame["name"]
    _no_duplicates(frame, ["case", "step", "key", "mode"], path)
    return frame


def _no_duplicates(frame: pd.DataFrame, keys: list[str], path: Path) -> None:
    """One value named twice, also through an alias and its systematic name (NOT-3), is an input error."""
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        rows = frame[dup]
        second = rows[rows.duplicated(keys)].iloc[0]
        first = rows[(rows[keys] == second[keys]).all(axis=1)].iloc[0]
        raise InputError(f"{path}:{second['line']}: case {second['case']} step {second['step']} "
                         f"{second['name']} ({second['mode']}) repeats the value of line {first['line']}")


def grade(results: pd.DataFrame, path: Path | str, dtype: str, suites: list[str], case_glob: str = "*",
          folder: Path | None = None, progress=None) -> tuple[list[Outcome], list[str]]:
    """Every selected case graded from the rows ``load`` read from ``path``, and a note on the rows not
    graded (CHK-1, CHK-3)."""
    selected = [c for c in results["case"].unique() if fnmatch.fnmatchcase(c, case_glob)]
    free_start = (results["mode"] == "free") & (results["step"] == 0)  # the single-step check again
    results = results[~free_start & results["case"].isin(selected)]
    matched: set[int] = set()
    outcomes = []
    for suite_name in suites:
        suite = vectorset.load(suite_name, folder, annotate=annotate)
        names = [c for c in suite.cases if fnmatch.fnmatchcase(c, case_glob)]
        mine = _keyed(results[results["case"].isin(names)], suite.cases, Path(path))
        mine = mine.drop(columns="name").rename(columns={"key": "name"})
        values = suite.values[suite.values["case"].isin(names)]
        matched.update(mine.merge(values[KEYS], on=KEYS)["line"])
        graded = values
        for mode in MODES:
            got = mine.loc[mine["mode"] == mode, [*KEYS, "value"]].rename(columns={"value": f"got_{mode}"})
            graded = graded.merge(got.assign(**{f"has_{mode}": True}), on=KEYS, how="left")
            graded[f"has_{mode}"] = graded[f"has_{mode}"].eq(True)
        rows_of = by_case(graded, names)
        for name in names:
            outcomes.append(check_case(suite.cases[name], rows_of[name], dtype))
            if progress is not None:
                progress.update(1)
    extra = results[~results["line"].isin(matched)]
    notes = []
    if len(extra):
        e = extra.iloc[0]
        notes.append(f"{len(extra)} rows name values the vectors do not have (suites {', '.join(suites)}), "
                     f"e.g. {e['case']} step {e['step']} {e['name']} ({path}:{e['line']}); not graded")
    return outcomes, notes


def _keyed(rows: pd.DataFrame, cases: dict[str, dict], path: Path) -> pd.DataFrame:
    """``key``: each name as the vectors write it, systematic names of an aliased case by alias (NOT-3)."""
    rows = rows.copy()
    for c in rows["case"].unique():
        aliases = cases[c].get("names")
        if aliases:
            mask = rows["case"] == c
            rows.loc[mask, "key"] = [display(n, aliases) for n in rows.loc[mask, "name"]]
            _no_duplicates(rows[mask], ["case", "step", "key", "mode"], path)
    return rows


def check_case(case: dict, rows: Rows, dtype: str) -> Outcome:
    """Grade one case's rows: each recorded step in single mode, then the free run (CHK-1, TOL-5)."""
    outcome = Outcome(case["case"], case["suite"], dtype, "pass")
    reason = tolerance.skip_reason(case, dtype)
    if not reason and not (rows["has_single"] | rows["has_free"]).any():
        reason = "no results for this case"
    if reason:
        outcome.status, outcome.reason = "skip", reason
        return outcome
    by_step = rows.by_step()
    singles = []
    for s in case["record"]:
        part = by_step.get(s, rows.part(0, 0))
        step, out = _gather(part.without(STATE_CODES), "single", case, tolerance.rtol(case, dtype), s)
        singles.append((step, partial(_evidence, case, by_step, part, s, out, False)))
    _merge_all(outcome, singles, "single-step", dtype)
    if case["steps"] > 1 and not outcome.failed:
        free = []
        for s in case["record"]:
            part = by_step.get(s)
            if s == 0 or part is None:
                continue
            r = tolerance.rtol(case, dtype, s, free_running=True)
            if r <= tolerance.RTOL_MAX:
                step, out = _gather(part, "free", case, r, s)
                state = (out.get("weights"), out.get("biases"))  # the program's own, as it wrote them
                evidence = None if None in state or any(a is None for a in (*state[0], *state[1])) else \
                    dict(case=case, by_step=by_step, step=s, out=out, weights=state[0], biases=state[1])
                free.append((step, evidence))
            else:
                outcome.not_checked += len(part)
        _merge_all(outcome, free, "free-running", dtype)
    if outcome.failed:
        outcome.status = "fail"
    return outcome


def _merge_all(outcome: Outcome, steps: list[tuple[Gathered, Any]], mode: str, dtype: str) -> None:
    """Grade a case's gathered steps of one mode together and add them to its tally in step order."""
    for (_, evidence), g in zip(steps, grade_steps([step for step, _ in steps], dtype), strict=True):
        _merge(outcome, g, mode, evidence)


def _gather(rows: Rows, mode: str, case: dict, rtol: float, s: int) -> tuple[Gathered, dict]:
    """One step's rows with the values of one mode, and those values as the adapter-style output dict
    (ADP-2) they are graded as, for the diagnosis."""
    batch = len(batch_indices(case, s))
    out = as_output(rows, rows[f"got_{mode}"].astype(np.float64), case, batch)
    return gather(rows, out, case, rtol, batch, present=rows[f"has_{mode}"]), out
