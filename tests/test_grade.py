"""The grading machinery against its plain definitions: rows sliced by case, step and group, flat
positions, and the worst digits of agreement (TOL-1, CHK-1, CHK-2)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpspec import vectorset
from bpspec.cases import batch_indices
from bpspec.conformance import grade, tolerance
from bpspec.conformance.grade import expected_shape
from bpspec.conformance.index import QUANTITY, annotate
from bpspec.conformance.rows import by_case
from bpspec.conformance.runner import STATE_CODES


@pytest.fixture(scope="module")
def suite():
    return vectorset.load("trajectories", annotate=annotate)


@pytest.fixture(scope="module")
def rows_of(suite):
    return by_case(suite.values, list(suite.cases))


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


def test_a_frame_in_another_order_gives_the_same_rows(suite, rows_of):
    """CHK-1, CHK-2: a frame whose rows are not in ``annotate``'s grading order (here shuffled) is
    sorted first; each case then gets the same steps and groups, each group the same rows (in the
    frame's order, which is no longer the file's), as from the ordered frame."""
    shuffled = suite.values.sample(frac=1.0, random_state=4).reset_index(drop=True)
    again = by_case(shuffled, list(suite.cases))
    assert list(again) == list(rows_of)

    def content(rows):
        return sorted(zip(*(rows[c].tolist() for c in ("step", "group", "name", "ref", "flat")), strict=True))

    for name, rows in rows_of.items():
        assert again[name].runs == rows.runs
        assert content(again[name]) == content(rows), name


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
    with np.errstate(all="ignore"):
        err = np.abs(got - ref)
    worst = grade._agreement(err, ref, np.abs(ref), digits, checked, [runs], np.array([0]))[0]
    plain = tolerance.digits_of_agreement(got, ref, digits)
    expected = {QUANTITY[c]: float(plain[checked & (np.array(codes) == c)].min())
                for c in set(codes) if (checked & (np.array(codes) == c)).any()}
    assert worst == pytest.approx(expected, abs=1e-12)


@pytest.fixture(scope="module")
def unit():
    suite = vectorset.load("unit", annotate=annotate)
    return suite.cases, by_case(suite.values, list(suite.cases))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_steps_graded_together_equal_each_graded_alone(suite, rows_of, unit, dtype):
    """TOL-1, TOL-7, TOL-8, CHK-2: ``grade_steps`` over the steps of two suites, with values that pass,
    fail, are NaN or missing, steps of different tolerances, some flush-to-zero, gives every step
    the grade it gets alone."""
    rng = np.random.default_rng(3)
    steps = []
    for cases, by_name in ((suite.cases, rows_of), unit):
        for name, rows in by_name.items():
            case = cases[name]
            for s, part in rows.by_step().items():
                batch = len(batch_indices(case, s))
                bad = rng.choice([0.0, 0.05])
                error = rng.choice([0.0, 2.0**-52, 1e-5, np.nan], size=len(part),
                                   p=[0.7, 0.3 - 2 * bad, bad, bad])
                out = grade.as_output(part, part["ref"] * (1 + error), case, batch)
                if rng.random() < 0.1:
                    out.pop(rng.choice(sorted(out)))
                rtol = rng.choice([tolerance.rtol(case, dtype), 1e-3])  # 1e-3: relu's kink within reach
                steps.append(grade.gather(part, out, case, rtol, batch, flush_to_zero=len(steps) % 3 == 0))
    together = grade.grade_steps(steps, dtype)
    alone = [grade.grade_steps([step], dtype)[0] for step in steps]
    assert repr(together) == repr(alone)
    assert sum(g.failed > 0 for g in together) and sum(g.failed == 0 for g in together)
    notes = {note[:40] for g in together for note in g.notes}
    assert len(notes) == 2, notes  # both TOL-7's and TOL-8's



@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_results_are_read_before_the_adapter_reuses_their_arrays(dtype):
    """ADP-2, CHK-1, TOL-5: grading reads a result as the adapter returned it, even when the adapter's
    next calls overwrite the arrays it returned before the step is graded, and a free run starts each
    step from the parameters the previous call returned: every case passes."""
    from bpspec.conformance import runner
    from bpspec.conformance.adapters import Adapter
    from bpspec.impl.adapter import ADAPTER
    from tests.adapters.reusing import Reusing

    adapter = Adapter("reusing numpy", Reusing(ADAPTER.step).step)
    outcomes = list(runner.run(adapter, dtype, ["trajectories"], "trajectories_full_*"))
    assert len(outcomes) == 8
    assert all(o.status == "pass" for o in outcomes), [(o.case, o.reason, o.failures[:1]) for o in outcomes]
