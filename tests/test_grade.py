"""The grading machinery against its plain definitions: rows sliced by case, step and group, flat
positions, and the worst digits of agreement (TOL-1, CHK-1, CHK-2)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpspec import vectorset
from bpspec.conformance import grade, tolerance
from bpspec.conformance.grade import StepGrade, expected_shape
from bpspec.conformance.index import QUANTITY, annotate
from bpspec.conformance.rows import by_case
from bpspec.conformance.runner import STATE_CODES


@pytest.fixture(scope="module")
def suite():
    return vectorset.load("trajectories", annotate=annotate)


@pytest.fixture(scope="module")
def rows_of(suite):
    return by_case(suite.values, list(suite.cases), suite.cases)


def test_each_case_step_and_group_is_exactly_its_rows(suite, rows_of):
    """CHK-1, CHK-2: every graded row of the suite lands in its case's Rows, its step's slice and its
    group's run, none twice; rows within a group keep the file's order."""
    graded = suite.values[suite.values["rank"] >= 0]
    assert sum(len(r) for r in rows_of.values()) == len(graded)
    for name, rows in rows_of.items():
        mine = graded[graded["case"] == name]
        steps = rows.by_step()
        assert sorted(steps) == sorted(mine["step"].unique())
        for step, part in steps.items():
            expected = mine[mine["step"] == step]
            assert len(part) == len(expected)
            for group, a, b in part.groups:
                file_order = expected.loc[expected["group"] == group, "name"].tolist()
                assert part["name"][a:b].tolist() == file_order
                assert (part["step"][a:b] == step).all()


def test_without_drops_exactly_the_state_rows(rows_of):
    """CHK-1: the single-step check grades every row of its step but the state it starts from."""
    for rows in rows_of.values():
        for part in rows.by_step().values():
            single = part.without(STATE_CODES)
            state = np.isin(part["group"] // 1000, STATE_CODES)
            assert single["name"].tolist() == part["name"][~state].tolist()
            kept = [g for g, _, _ in part.groups if g // 1000 not in STATE_CODES]
            assert [g for g, _, _ in single.groups] == kept


def test_flat_positions_address_the_named_entry(suite, rows_of):
    """ADP-2: ``flat`` is the row's entry of its layer's array, flattened in C order."""
    for name, rows in rows_of.items():
        case = suite.cases[name]
        for part in rows.by_step().values():
            for group, a, b in part.groups:
                q, layer = QUANTITY[group // 1000], group % 1000
                shape = expected_shape(case, q, layer, batch=64)
                index = np.arange(int(np.prod(shape))).reshape(shape)
                i, j = part["i"][a:b], part["j"][a:b]
                named = index[()] if q == "E_total" else index[i] if len(shape) == 1 else index[i, j]
                assert (part["flat"][a:b] == named).all()


FINITE = [0.0, 5e-324, 1e-300, 1e-12, 0.5, 1.0, 1.0 + 2**-52, 3.0, -2.0, 1e300]
GOT = st.sampled_from([*FINITE, np.nan, np.inf, -np.inf])
REF = st.sampled_from(FINITE)  # references are finite (VEC-4)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(GOT, REF, st.integers(0, 40), st.booleans(), st.integers(1, 3)),
                min_size=1, max_size=12),
       st.floats(-1e3, 1e3, allow_nan=False))
def test_worst_digits_are_the_minimum_of_digits_of_agreement(values, shift):
    """TOL-1: the per-quantity worst digits computed from each run's extremes equal the minimum of
    ``digits_of_agreement`` over the run's checked values, for zeros, NaNs, infinities, subnormals."""
    values = sorted(values, key=lambda v: v[4])
    got = np.array([v[0] + (shift if v[0] == 0.5 else 0.0) for v in values])
    ref = np.array([v[1] for v in values])
    digits = np.array([v[2] for v in values])
    checked = np.array([v[3] for v in values])
    codes = [v[4] for v in values]
    starts = [k for k in range(len(codes)) if k == 0 or codes[k] != codes[k - 1]]
    runs = ([codes[k] for k in starts], starts)
    g = StepGrade()
    with np.errstate(all="ignore"):
        err = np.abs(got - ref)
    if not checked.any():
        return
    grade._agreement(g, err, ref, np.abs(ref), digits, runs, checked)
    plain = tolerance.digits_of_agreement(got, ref, digits)
    expected = {QUANTITY[c]: float(plain[checked & (np.array(codes) == c)].min())
                for c in set(codes) if (checked & (np.array(codes) == c)).any()}
    assert g.worst_by_quantity == pytest.approx(expected, abs=1e-12)
    assert g.worst_digits == pytest.approx(min(expected.values()), abs=1e-12)
