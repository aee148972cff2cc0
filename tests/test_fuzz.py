"""Fuzzing the loaders: valid files mutated at random (byte flips, truncation, duplicated or deleted
lines, edited cells) either load, and then grade, or raise InputError with a one-line message; never
another exception (CLI-1, VEC-4, CASE-1, ADP-6, ADP-7).

The seeds are the valid base files of the bad-input corpus (tests/corpus/base/). Hypothesis runs
derandomized, so CI sees the same examples on every run; set ``BPSPEC_FUZZ_SEED=1`` (random
examples) and ``BPSPEC_FUZZ_EXAMPLES=5000`` locally to explore further.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpspec import cases
from bpspec.conformance import export, results, runner
from bpspec.conformance.adapters import resolve
from bpspec.errors import InputError
from tests.test_bad_input import BASE, SUITE, export_folder, vector_folder

EXAMPLES = int(os.environ.get("BPSPEC_FUZZ_EXAMPLES", "200"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize="BPSPEC_FUZZ_SEED" not in os.environ,
                    database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CELLS = [b"", b"nan", b"-inf", b"Infinity", b"1,000", b'"', b"9" * 400, b"1e999", b"-0", b"x",
         b"net[9][0,0]", b"net[1][99,0]", b"W[1][5,5]", b"E_total", b"1e-400", b"99999999", b"-1",
         b"null", b"{}", b"[]", b"NaN", b'"a":1', b"\xff", b"\x00", b"tiny_case"]


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """``data`` after one to three random edits."""
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["flip", "truncate", "duplicate", "delete", "cell", "insert"]))
        lines = data.split(b"\n")
        if op == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
        elif op == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif op == "duplicate":
            at = draw(st.integers(0, len(lines) - 1))
            lines.insert(draw(st.integers(0, len(lines))), lines[at])
            data = b"\n".join(lines)
        elif op == "delete" and len(lines) > 1:
            del lines[draw(st.integers(0, len(lines) - 1))]
            data = b"\n".join(lines)
        elif op == "cell":
            at = draw(st.integers(0, len(lines) - 1))
            cells = lines[at].split(b",")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(st.sampled_from(CELLS))
            lines[at] = b",".join(cells)
            data = b"\n".join(lines)
        elif op == "insert":
            at = draw(st.integers(0, len(data)))
            piece = draw(st.sampled_from([b"\r", b"\n", b",", b'"', b"\xef\xbb\xbf", b"[", b"}"]))
            data = data[:at] + piece + data[at:]
    return data


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def numpy_adapter():
    return resolve("numpy")


def accepted(action) -> None:
    """Run ``action``; only success or a one-line InputError may come out."""
    try:
        action()
    except InputError as err:
        assert "\n" not in str(err) and str(err).strip(), repr(str(err))


def base(name: str) -> bytes:
    return (BASE / name).read_bytes()


@SETTINGS
@given(data=mutated(base(f"{SUITE}.csv")))
def test_vector_file(work, numpy_adapter, data):
    """A mutated vector file loads and grades (VEC-4), or is refused in one line."""
    graded_or_refused(work / "v", numpy_adapter, f"{SUITE}.csv", data)


@SETTINGS
@given(data=mutated(base(f"{SUITE}.cases.json")))
def test_case_list(work, numpy_adapter, data):
    """A mutated case list of a vector folder loads and grades (CASE-1), or is refused in one line."""
    graded_or_refused(work / "c", numpy_adapter, f"{SUITE}.cases.json", data)


def graded_or_refused(folder: Path, adapter, name: str, data: bytes) -> None:
    """A vector folder whose file ``name`` holds ``data`` grades, or is refused in one line."""
    shutil.rmtree(folder, ignore_errors=True)
    vector_folder(folder, **{name: data})
    accepted(lambda: list(runner.run(adapter, "float64", [SUITE], "*", folder)))


@SETTINGS
@given(data=mutated(base(f"{SUITE}.cases.json")))
def test_case_file(work, data):
    """A mutated case definition file: cases.load validates it or refuses it in one line (CASE-1)."""
    path = work / "case.json"
    path.write_bytes(data)

    def load():
        defs = cases.jsonfile.read(path)
        for case in defs if isinstance(defs, list) else [defs]:
            cases.validate(case, str(path))

    accepted(load)


@SETTINGS
@given(data=mutated(base("results.csv")))
def test_results_file(work, data):
    """A mutated results file loads and grades (ADP-7), or is refused in one line."""
    folder = work / "r"
    if not folder.exists():
        vector_folder(folder)
    path = work / "results.csv"
    path.write_bytes(data)
    accepted(lambda: results.grade(results.load(path), path, "float64", [SUITE], "*", folder))


@st.composite
def near_value(draw) -> str:
    """A VALUE decimal with one character put in, which float() may still read: a digit separator,
    blanks, a non-ASCII digit, a letter."""
    field = draw(st.from_regex(results.VALUE, fullmatch=True))
    at = draw(st.integers(0, len(field)))
    return field[:at] + draw(st.sampled_from(["_", " ", "\t", "\u0661", "x", "e", "."])) + field[at:]


VALUE_LIKE = st.one_of(st.from_regex(results.VALUE, fullmatch=True), near_value(),
                       st.text(alphabet="0123456789+-.eEnNaAiIfFtTyY", max_size=70))


@SETTINGS
@given(fields=st.lists(VALUE_LIKE, min_size=1, max_size=4))
def test_quick_value_parse_accepts_exactly_the_value_grammar(fields):
    """ADP-7: the quick path that reads a results file's values (characters, lengths, float()) takes
    a column exactly when every field is a VALUE decimal of at most 64 characters, and reads each as
    float() does; any other column goes to the pattern, field by field."""
    parsed = results._decimals(pd.Series(fields, dtype=object))
    valid = [results.VALUE.fullmatch(f) is not None and len(f) <= 64 for f in fields]
    assert (parsed is not None) == all(valid)
    if parsed is not None:
        assert [repr(v) for v in parsed.tolist()] == [repr(float(f)) for f in fields]


@SETTINGS
@given(steps=mutated(base("steps.jsonl")), trajectories=mutated(base("trajectories.jsonl")))
def test_exported_inputs(work, steps, trajectories):
    """Mutated exported inputs verify (ADP-6) or are refused in one line."""
    folder = work / "e"
    shutil.rmtree(folder, ignore_errors=True)
    export_folder(folder, steps_jsonl=steps, trajectories_jsonl=trajectories)
    accepted(lambda: export.verify(folder))
