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
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from bpspec import vectorset
from bpspec.cases import batch_indices
from bpspec.conformance import tolerance
from bpspec.conformance.grade import Gathered, grade_steps
from bpspec.conformance.index import annotate
from bpspec.conformance.rows import Rows, by_case
from bpspec.conformance.runner import STATE_CODES, Outcome, _evidence, _merge
from bpspec.errors import InputError
from bpspec.names import display
from bpspec.vectorfile import NAME as VALUE_NAME
from bpspec.vectorfile import mismatch_coded, nul_line, shown

COLUMNS = ("case", "step", "name", "value")
MODES = ("single", "free")
VALUE = re.compile(r"[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|nan|inf|infinity)",
                   re.IGNORECASE)
KEYS = ["case", "step", "name"]
CASE = re.compile(r"[a-z0-9][a-z0-9_]*")
STEP = re.compile(r"0|[1-9][0-9]{0,5}")
NAME = re.compile(VALUE_NAME.pattern[1:-1])
_VALUE_CHARACTERS = str.maketrans("", "", "0123456789+-.eEnNaAiIfFtTyY")
"""Deletes every character a VALUE field may hold (``_decimals``)."""


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
    line = nul_line(text)
    if line is not None:
        raise InputError(f"{path}:{line}: NUL byte; a results file is text")
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
    def check(bad: pd.Series | np.ndarray, problem) -> None:
        if bad.any():
            row = frame.iloc[int(np.asarray(bad).nonzero()[0][0])]
            raise InputError(f"{path}:{row['line']}: {problem(row)}")

    fields = len(frame.columns)
    frame["line"] = np.arange(2, len(frame) + 2)
    if "mode" not in frame:
        frame["mode"] = "single"
    if frame.empty:
        raise InputError(f"{path}:2: no rows after the header")
    empty = {column: frame[column].to_numpy(dtype=object) == "" for column in COLUMNS}
    check(np.logical_and.reduce(list(empty.values())), lambda r: "empty line")
    for column in COLUMNS:
        check(empty[column], lambda r, column=column: f"no {column} (expected {fields} fields)")
    coded = {column: pd.factorize(frame[column]) for column in KEYS}
    check(mismatch_coded(coded["case"], CASE), lambda r: f"case {r['case'][:40]!r} is not a case id")
    check(mismatch_coded(coded["step"], STEP),
          lambda r: f"step {r['step'][:40]!r} is not a whole number 0..999999")
    check(mismatch_coded(coded["name"], NAME, 200),
          lambda r: f"name {r['name'][:40]!r} is not a value name (spec NOT-2)")
    values = _decimals(frame["value"])
    if values is None:
        check(mismatch_coded(pd.factorize(frame["value"]), VALUE, 64),
              lambda r: f"value {shown(r['value'])} is not a decimal number of at most 64 characters")
        values = np.array([float(v) for v in frame["value"]])
    frame["mode"] = frame["mode"].replace("", "single")
    check(~frame["mode"].isin(MODES), lambda r: f"mode {r['mode'][:40]!r} is not single or free")
    frame["step"] = frame["step"].astype("int64")
    frame["value"] = values
    frame["key"] = frame["name"]
    key = np.zeros(len(frame), dtype=np.int64)
    for column in KEYS:
        codes, distinct = coded[column]
        key = key * len(distinct) + codes
    if pd.Series(2 * key + (frame["mode"] == "free").to_numpy()).duplicated().any():
        _no_duplicates(frame, ["case", "step", "key", "mode"], path)
    return frame


def _decimals(column: pd.Series) -> np.ndarray | None:
    """The fields of ``column`` as float64 when every one is a decimal number as VALUE defines it, of
    at most 64 characters; None when any may not be (``mismatch_coded`` then finds which). Quicker than the
    pattern: on fields of VALUE's characters alone, Python's float() accepts exactly VALUE's grammar
    (optional sign; digits with an optional point, or a point and digits; optional exponent; nan, inf,
    infinity in any case), so the characters, the lengths and float() decide."""
    fields = column.tolist()
    joined = "".join(fields)
    if joined.translate(_VALUE_CHARACTERS) or max(map(len, fields)) > 64:
        return None
    try:
        return np.array(fields, dtype=object).astype(np.float64)
    except ValueError:
        return None


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
    codes, present = pd.factorize(results["case"])
    code_of = {c: k for k, c in enumerate(present)}

    def of_cases(names: list[str]) -> np.ndarray:
        return np.isin(codes, [code_of[c] for c in names if c in code_of])

    free_start = (results["mode"] == "free") & (results["step"] == 0)  # the single-step check again
    keep = ~free_start.to_numpy() & of_cases([c for c in present if fnmatch.fnmatchcase(c, case_glob)])
    results, codes = results[keep], codes[keep]
    matched = np.zeros(len(results), dtype=bool)
    outcomes = []
    for suite_name in suites:
        suite = vectorset.load(suite_name, folder, annotate=annotate)
        names = [c for c in suite.cases if fnmatch.fnmatchcase(c, case_glob)]
        at = np.flatnonzero(of_cases(names))
        mine = _keyed(results.iloc[at], suite.cases, Path(path))
        values = suite.values if len(names) == len(suite.cases) else \
            suite.values[suite.values["case"].isin(names)]
        theirs = pd.DataFrame({"case": mine["case"], "step": mine["step"], "name": mine["key"],
                               "mode": mine["mode"], "value": mine["value"], "at": at})
        pairs = values[KEYS].assign(row=np.arange(len(values))).merge(theirs, on=KEYS)
        matched[pairs["at"].to_numpy()] = True
        columns = {}
        for mode in MODES:
            pair = pairs[pairs["mode"] == mode]
            row = pair["row"].to_numpy()
            columns[f"got_{mode}"] = np.full(len(values), np.nan)
            columns[f"got_{mode}"][row] = pair["value"].to_numpy()
            columns[f"has_{mode}"] = np.zeros(len(values), dtype=bool)
            columns[f"has_{mode}"][row] = True
        rows_of = by_case(values.assign(**columns), names)
        outcomes += check_cases([suite.cases[name] for name in names], rows_of, dtype)
        if progress is not None:
            progress.update(len(names))
    extra = results[~matched]
    notes = []
    if len(extra):
        e = extra.iloc[0]
        notes.append(f"{len(extra)} rows name values the vectors do not have (suites {', '.join(suites)}), "
                     f"e.g. {e['case']} step {e['step']} {e['name']} ({path}:{e['line']}); not graded")
    return outcomes, notes


def _keyed(rows: pd.DataFrame, cases: dict[str, dict], path: Path) -> pd.DataFrame:
    """``key``: each name as the vectors write it, systematic names of an aliased case by alias (NOT-3)."""
    aliased = [c for c in pd.unique(rows["case"]) if cases[c].get("names")]
    if aliased:
        rows = rows.copy()
    for c in aliased:
        mask = rows["case"] == c
        rows.loc[mask, "key"] = [display(n, cases[c]["names"]) for n in rows.loc[mask, "name"]]
        _no_duplicates(rows[mask], ["case", "step", "key", "mode"], path)
    return rows


Graded = tuple[Gathered, Callable[[], dict | None]]
"""A step's gathered values and what builds the evidence for its diagnosis, should it fail."""


def check_cases(cases: list[dict], rows_of: dict[str, Rows], dtype: str) -> list[Outcome]:
    """Grade the cases' rows: each recorded step in single mode, then the free run of every case whose
    single steps passed (CHK-1, TOL-5). All the cases' steps of one mode are graded in one
    ``grade_steps`` call; each case's tally is added up in its own step order."""
    outcomes = [Outcome(case["case"], case["suite"], dtype, "pass") for case in cases]
    singles: list[list[Graded]] = []
    for case, outcome in zip(cases, outcomes, strict=True):
        rows = rows_of[case["case"]]
        reason = tolerance.skip_reason(case, dtype)
        if not reason and not (rows["has_single"] | rows["has_free"]).any():
            reason = "no results for this case"
        if reason:
            outcome.status, outcome.reason = "skip", reason
        singles.append([] if reason else _singles(case, rows, dtype))
    _merge_all(outcomes, singles, "single-step", dtype)
    free = [_free(case, rows_of[case["case"]], dtype, outcome)
            if outcome.status == "pass" and case["steps"] > 1 and not outcome.failed else []
            for case, outcome in zip(cases, outcomes, strict=True)]
    _merge_all(outcomes, free, "free-running", dtype)
    for outcome in outcomes:
        if outcome.failed:
            outcome.status = "fail"
    return outcomes


def _singles(case: dict, rows: Rows, dtype: str) -> list[Graded]:
    """Each recorded step of a case with the file's single-mode values (CHK-1)."""
    by_step, steps = rows.by_step(), []
    for s in case["record"]:
        part = by_step.get(s, rows.part(0, 0))
        step = _gathered(part.without(STATE_CODES), "single", case, tolerance.rtol(case, dtype), s)
        steps.append((step, partial(_single_evidence, case, by_step, part, s, step)))
    return steps


def _free(case: dict, rows: Rows, dtype: str, outcome: Outcome) -> list[Graded]:
    """Each recorded step after 0 of a case with the file's free-running values, where TOL-5 lets it
    be graded; the values of the others are counted in ``outcome`` as not checked."""
    by_step, steps = rows.by_step(), []
    for s in case["record"]:
        part = by_step.get(s)
        if s == 0 or part is None:
            continue
        r = tolerance.rtol(case, dtype, s, free_running=True)
        if r <= tolerance.RTOL_MAX:
            step = _gathered(part, "free", case, r, s)
            steps.append((step, partial(_free_evidence, case, by_step, s, step)))
        else:
            outcome.not_checked += len(part)
    return steps


def _merge_all(outcomes: list[Outcome], steps: list[list[Graded]], mode: str, dtype: str) -> None:
    """Grade the cases' gathered steps of one mode together and add each to its case's tally, in
    step order."""
    grades = iter(grade_steps([step for own in steps for step, _ in own], dtype))
    for outcome, own in zip(outcomes, steps, strict=True):
        for (_, evidence), g in zip(own, grades, strict=False):
            _merge(outcome, g, mode, evidence)


def _gathered(rows: Rows, mode: str, case: dict, rtol: float, s: int) -> Gathered:
    """One step's rows with the file's values of one mode, as ``grade_steps`` grades them: the values
    come aligned with the rows, and a row the file lacks is not checked (ADP-7)."""
    batch = len(batch_indices(case, s))
    return Gathered(rows, case, rtol, rows[f"has_{mode}"].copy(), np.zeros(0), [], batch,
                    got=rows[f"got_{mode}"].astype(np.float64))


def _single_evidence(case: dict, by_step: dict[int, Rows], part: Rows, s: int, step: Gathered) -> dict:
    """What the diagnosis of a failing single step reads; ``part`` is the step's rows, state included."""
    return _evidence(case, by_step, part, s, step.output(), False)


def _free_evidence(case: dict, by_step: dict[int, Rows], s: int, step: Gathered) -> dict | None:
    """What the diagnosis of a failing free-running step reads: the program's own parameters at the
    step's start, as it wrote them, or None where it did not write them all."""
    out = step.output()
    state = (out.get("weights"), out.get("biases"))
    if None in state or any(a is None for a in (*state[0], *state[1])):
        return None
    return dict(case=case, by_step=by_step, step=s, out=out, weights=state[0], biases=state[1])
