"""The trajectory form of the adapter contract: a free run in one call (ADP-9, TOL-5, UPD-3, UPD-4).

bpspec's NumPy adapter computes the chained ``step`` calls' numbers with it, bit for bit on the NumPy
engine and within libm's rounding of exp, log1p and tanh on the kernel engine; the checker grades
it exactly as it grades the chained calls; a form that raises or returns what cannot be graded is
discarded for the chained calls, and one that returns wrong numbers fails its case.
"""

from __future__ import annotations

import threading
from dataclasses import astuple
from fnmatch import fnmatchcase
from functools import cache

import numpy as np
import pytest

from bpspec import vectorset
from bpspec.conformance import export, runner, tolerance
from bpspec.conformance.adapters import Adapter, resolve
from bpspec.contract import DTYPES, ContractError
from bpspec.impl.adapter import ADAPTER, NumpyAdapter

SUITES = ["seed", "trajectories"]
KEYS = ("loss", "nets", "outs", "deltas", "grad_weights", "grad_biases", "new_weights", "new_biases",
        "weights", "biases")
TRANSCENDENTAL = ("sigmoid", "tanh", "softplus")


@pytest.fixture(scope="module")
def free_cases() -> list[dict]:
    """Every case of several updates in the suites ``check`` runs."""
    return [c for s in runner.select_suites(None) for c in vectorset.load(s).cases.values() if c["steps"] > 1]


def numpy_engine() -> NumpyAdapter:
    adapter = NumpyAdapter()
    adapter.engine = "numpy"
    return adapter


def chained(case: dict, dtype: str) -> dict[int, dict]:
    """The recorded steps after 0 as the checker chains ``step`` calls without the form (TOL-5)."""
    plain = Adapter("numpy", ADAPTER.step)
    return {s: {**out, "weights": w, "biases": b} for s, out, w, b in runner._chain(plain, case, dtype)}


def flat(result: dict) -> list[np.ndarray]:
    return [np.asarray(result["loss"]), *(a for key in KEYS[1:] for a in result[key])]


def graded_pairs(free_cases: list[dict]):
    for case in free_cases:
        for dtype in case["dtypes"]:
            if tolerance.skip_reason(case, dtype) is None:
                yield case, dtype


def test_numpy_trajectory_equals_chained_steps(free_cases):
    """ADP-9, UPD-3, UPD-4: on every free-running case and dtype of the shipped vectors, the form's
    steps are the chained steps: bit for bit on the NumPy engine, and on the default (kernel) engine
    bit for bit in float64 without tanh and in float16 and bfloat16 (which the kernel does not
    compute), and in float32 without exp, log1p or tanh; otherwise within an array's largest value
    times 1e-12 (float64 with tanh, where libm and NumPy differ by an ulp) or 2e-4 (float32: math's
    float64 result rounded once against NumPy's float32 routines, an ulp apart, and the trajectories
    drift apart by up to about 1e-4 of the loss or a gradient once it has converged after 100-200
    updates; TOL-5 allows far more, as the next tests show)."""
    for case, dtype in graded_pairs(free_cases):
        inp, record = runner.trajectory_input(case, dtype, False), case["record"]
        want = chained(case, dtype)
        exact, fast = numpy_engine().trajectory(inp, case["batches"], record), \
            ADAPTER.trajectory(inp, case["batches"], record)
        assert sorted(exact) == sorted(fast) == record
        rounded = {"float64": {"tanh"}, "float32": set(TRANSCENDENTAL)}.get(dtype, set())
        bound = 0 if not rounded & set(case["activations"]) else 1e-12 if dtype == "float64" else 2e-4
        for s, result in want.items():
            where = f"{case['case']} {dtype} step {s}"
            for a, b, c in zip(flat(result), flat(exact[s]), flat(fast[s]), strict=True):
                assert np.asarray(b).dtype == np.asarray(a).dtype == np.dtype(np.asarray(c).dtype), where
                np.testing.assert_array_equal(b, a, err_msg=where)
                a64, c64 = np.asarray(a, dtype=np.float64), np.asarray(c, dtype=np.float64)
                assert np.max(np.abs(c64 - a64), initial=0) <= bound * np.max(np.abs(a64), initial=0), where


def test_trajectory_input_is_the_exported_record(free_cases):
    """ADP-6, ADP-9: the checker passes the form what a line of trajectories.jsonl holds."""
    for case in free_cases:
        record = export.trajectory_record(case, "float32")
        exact = runner.trajectory_input(case, "float32", True)
        assert {k: v for k, v in record.items() if k not in export.TRAJECTORY_FIELDS} == exact
        assert (record["batches"], record["record"]) == (case["batches"], case["record"])
        arrays = runner.trajectory_input(case, "float32", False)
        assert arrays["x"].dtype == np.float32 and len(arrays["x"]) == len(case["x"])


@cache
def cases() -> dict[str, dict]:
    return {name: case for s in SUITES for name, case in vectorset.load(s).cases.items()}


def outcomes(adapter: Adapter, dtype: str, case_glob: str = "*", timeout: float | None = None) -> dict:
    """The outcome of each free-running case of ``SUITES`` matching ``case_glob``."""
    found = runner.run(adapter, dtype, SUITES, case_glob, timeout=timeout)
    return {o.case: o for o in found if cases()[o.case]["steps"] > 1}


def counts(found: dict) -> dict:
    return {c: (o.status, o.reason, o.values, o.passed, o.failed, o.not_checked) for c, o in found.items()}


@pytest.mark.parametrize("dtype", DTYPES)
def test_checker_grades_the_form_as_chained_steps(dtype):
    """ADP-9, TOL-5: every free-running case has the same status and counts with the form as without
    it; with the NumPy engine's bit-identical numbers, the same outcome in every field."""
    numpy = resolve("numpy")
    assert numpy.trajectory is not None
    without = outcomes(Adapter("numpy", numpy.step, numpy.step_many), dtype)
    assert without and counts(outcomes(numpy, dtype)) == counts(without)
    assert all(o.status in ("pass", "skip") for o in without.values())
    engine = numpy_engine()
    same = outcomes(Adapter("numpy", numpy.step, numpy.step_many, trajectory=engine.trajectory), dtype)
    assert {c: astuple(o) for c, o in same.items()} == {c: astuple(o) for c, o in without.items()}


class Faulty:
    """bpspec's NumPy adapter, counting its ``step`` calls, beside a given trajectory form."""

    def __init__(self, trajectory, step=ADAPTER.step) -> None:
        self.calls, self._step, self.trajectory = 0, step, trajectory

    def step(self, inp: dict) -> dict:
        self.calls += 1
        return self._step(inp)

    def adapter(self) -> Adapter:
        return Adapter("faulty", self.step, trajectory=self.trajectory)


def _raise(exc):
    def trajectory(inp, batches, record):
        raise exc

    return trajectory


def _edit(edit):
    def trajectory(inp, batches, record):
        results = ADAPTER.trajectory(inp, batches, record)
        return edit(results, record)

    return trajectory


UNUSABLE = {
    "raises": _raise(RuntimeError("the form's own bug")),
    "unsupported": _raise(NotImplementedError("no trajectories here")),
    "none": _edit(lambda r, record: None),
    "list": _edit(lambda r, record: [r[s] for s in record]),
    "step_missing": _edit(lambda r, record: {s: v for s, v in r.items() if s != record[-1]}),
    "step_not_dict": _edit(lambda r, record: r | {record[-1]: 1.5}),
    "no_weights": _edit(lambda r, record: r | {record[-1]: {k: v for k, v in r[record[-1]].items()
                                                            if k != "weights"}}),
    "wrong_shape": _edit(lambda r, record: r | {record[-1]: r[record[-1]] | {
        "new_weights": [np.asarray(w)[..., None] for w in r[record[-1]]["new_weights"]]}}),
    "strings": _edit(lambda r, record: r | {record[-1]: r[record[-1]] | {"loss": "0.5"}}),
}
MINI = "trajectories_mini_*"


@pytest.fixture(scope="module")
def plain_mini() -> dict:
    return counts(outcomes(Adapter("numpy", ADAPTER.step), "float64", MINI))


@pytest.mark.parametrize("fault", UNUSABLE)
def test_unusable_form_falls_back_to_chained_steps(plain_mini, fault):
    """ADP-9, ADP-3: a form that raises, even NotImplementedError, or returns what cannot be graded is
    discarded; the chained step calls grade the case, which passes as without the form."""
    faulty = Faulty(UNUSABLE[fault])
    assert counts(outcomes(faulty.adapter(), "float64", MINI)) == plain_mini
    mini = [c for name, c in cases().items() if fnmatchcase(name, MINI)]
    assert faulty.calls == sum(len(c["record"]) + max(c["record"]) + 1 for c in mini)


def test_fallback_attributes_the_steps_fault():
    """ADP-9, ADP-3: when the form raises, the chained step calls attribute the adapter's own fault to
    the case, with the reason the step calls give."""
    name = "trajectories_mini_sigmoid_001"
    singles = len(cases()[name]["record"])
    faulty = Faulty(UNUSABLE["raises"])

    def step(inp: dict) -> dict:
        if faulty.calls == singles + 4:  # free-running step 3, which no single-step check computes
            raise RuntimeError("step 3 of the free run")
        return ADAPTER.step(inp)

    faulty._step = step
    found = outcomes(faulty.adapter(), "float64", name)
    assert [(o.status, o.reason) for o in found.values()] == [
        ("fail", "the adapter raised RuntimeError: step 3 of the free run")]


def _perturb(key, scale):
    def edit(results, record):
        s = record[-2]
        results[s] = results[s] | {key: results[s][key] * scale if key == "loss"
                                   else [np.asarray(a) * scale for a in results[s][key]]}
        return results

    return edit


@pytest.mark.parametrize(("key", "quantity"), [("loss", "E_total"), ("weights", "W"),
                                               ("new_weights", "new_W")])
def test_wrong_trajectory_fails_its_case(key, quantity):
    """ADP-9, TOL-5: a form whose numbers are wrong at one recorded step, even only in the parameters
    it reports having started from, fails every case at that step in free-running mode, although
    the step calls are right: the form is graded, never trusted."""
    faulty = Faulty(_edit(_perturb(key, 1 + 1e-6)))
    found = outcomes(faulty.adapter(), "float64", MINI)
    assert found and all(o.status == "fail" and o.mode == "free-running" for o in found.values())
    for name, o in found.items():
        assert {f["step"] for f in o.failures} == {cases()[name]["record"][-2]}
        assert o.failures[0]["quantity"] == quantity


def test_hanging_form_fails_its_case_within_the_limit():
    """ADP-9, CLI-3: the form's call counts against its case's time limit, like a step call."""
    never = threading.Event()
    faulty = Faulty(lambda inp, batches, record: never.wait())
    found = outcomes(faulty.adapter(), "float64", "trajectories_mini_sigmoid_001", timeout=1.0)
    assert [o.reason for o in found.values()] == [
        "the adapter did not finish the case within 1 s (--timeout); abandoned"]


def test_resolve_finds_the_form():
    """ADP-9: ``resolve`` takes a callable ``trajectory`` attribute; a function adapter has none."""
    assert resolve("numpy").trajectory == ADAPTER.trajectory
    assert resolve("tests.adapters.minimal:step").trajectory is None
    assert resolve("bpspec.impl.adapter:step").trajectory is None


@pytest.mark.parametrize(("batches", "record"), [(None, [3, 1]), (None, [1, 1]), (None, [-1, 2]),
                                                 ([[0], [9]], [0, 2]), ([], [1])])
def test_numpy_form_rejects_a_bad_schedule(seed_case, batches, record):
    """ADP-9, UPD-3, ADP-4: record strictly increasing from 0 up, batches row indices of the data set."""
    case = seed_case("seed003_1_1_1")
    with pytest.raises(ContractError):
        ADAPTER.trajectory(runner.trajectory_input(case, "float64", False), batches, record)
