"""The grading policy's numbers and rules (TOL-2, TOL-3, TOL-4, TOL-6, TOL-7, TOL-8)."""

from __future__ import annotations

import numpy as np
import pytest

from bpspec import vectorset
from bpspec.conformance import tolerance
from bpspec.conformance.grade import grade_step
from bpspec.conformance.index import annotate
from bpspec.conformance.rows import Rows


def test_unit_roundoff_is_half_an_ulp_of_one():
    """u of each dtype is half the spacing of floats at 1 (TOL-2)."""
    import ml_dtypes

    for name, dtype in (("float64", np.float64), ("float32", np.float32), ("float16", np.float16),
                        ("bfloat16", ml_dtypes.bfloat16)):
        assert tolerance.UNIT_ROUNDOFF[name] == float(ml_dtypes.finfo(dtype).eps) / 2


@pytest.mark.parametrize(("sizes", "suite", "k"), [([2, 2, 2], "seed", 32), ([784, 512, 10], "random", 12544),
                                                   ([1, 40], "unit", 8)])
def test_growth_factor(sizes, suite, k):
    """K = 8 L n for networks, 8 for the unit suite (TOL-3)."""
    assert tolerance.growth({"layer_sizes": sizes, "suite": suite}) == k


def test_half_precision_is_skipped_with_the_reason():
    """A case a dtype cannot meet is skipped with K, u and the bound (TOL-6)."""
    case = {"layer_sizes": [4, 8, 2], "suite": "random", "dtypes": ["float64", "float16"]}
    assert tolerance.skip_reason(case, "float64") is None
    assert "float16 cannot meet it: K=128" in tolerance.skip_reason(case, "float16")
    assert "not meaningful in bfloat16" in tolerance.skip_reason(case, "bfloat16")


@pytest.fixture(scope="module")
def seed_rows():
    suite = vectorset.load("seed")
    rows = annotate(suite.values, suite.cases)
    case = suite.cases["mazur_2_2_2"]
    step0 = rows[(rows["case"] == "mazur_2_2_2") & (rows["step"] == 0) & (rows["quantity"] != "")]
    return case, step0


def test_scale_is_at_least_the_magnitude(seed_rows):
    """Every graded value's error scale is at least its own magnitude (TOL-4)."""
    _, rows = seed_rows
    assert (rows["scale"] >= np.abs(rows["ref"]) * (1 - 1e-2)).all()


def fake_output(rows, factor: float = 1.0, only: str | None = None) -> dict:
    """An adapter-style result holding the reference values, one quantity scaled by ``factor``."""
    out: dict = {}
    keys = {"net": "nets", "out": "outs", "delta": "deltas", "grad_W": "grad_weights",
            "grad_b": "grad_biases", "new_W": "new_weights", "new_b": "new_biases"}
    for q, key in keys.items():
        part = rows[rows["quantity"] == q]
        layers = []
        for layer in sorted(part["layer"].unique()):
            p = part[part["layer"] == layer]
            shape = (p["i"].max() + 1,) if (p["j"] < 0).all() else (p["i"].max() + 1, p["j"].max() + 1)
            arr = np.zeros(shape)
            idx = (p["i"],) if len(shape) == 1 else (p["i"], p["j"])
            arr[idx] = p["ref"] * (factor if q == only else 1.0)
            layers.append(arr)
        out[key] = layers
    out["loss"] = float(rows[rows["quantity"] == "E_total"]["ref"].iloc[0])
    return out


def test_reference_values_pass_and_a_relative_error_fails(seed_rows):
    """The reference's own values pass; a 1e-9 relative error in one delta fails in float64 (TOL-1, TOL-4)."""
    case, rows = seed_rows
    r = tolerance.rtol(case, "float64")
    good = grade_step(Rows.of(rows, case), fake_output(rows), case, "float64", r, 1)
    assert good.failed == 0 and good.passed == len(rows)
    bad = grade_step(Rows.of(rows, case), fake_output(rows, 1 + 1e-9, "delta"), case, "float64",
                     tolerance.rtol(case, "float64"), 1)
    assert bad.failed > 0 and bad.failures[0]["quantity"] == "delta"


def test_near_kink_backward_values_are_not_checked():
    """A relu net within the dtype's reach of 0 leaves that layer's backward values unchecked (TOL-7),
    in its own step only: the next step's rows, whose net is an exact zero, all stay checked."""
    from bpspec.conformance.grade import _near_kink
    from bpspec.conformance.index import CODE

    quantity = np.array([CODE[q] for q in ("net", "net", "delta", "grad_W", "delta")] * 2)
    layer = np.array([1, 2, 1, 1, 2] * 2)
    ref = np.array([1e-6, 0.5, 0.1, 0.1, 0.1, 0.0, 0.5, 0.1, 0.1, 0.1])
    reach = np.full(10, 1e-5)
    step = np.repeat([0, 1], 5)
    cases = [{"activations": ["relu", "sigmoid"]}] * 2
    assert _near_kink(quantity, layer, step, ref, reach, cases).tolist() == \
        [False, False, True, True, False] + [False] * 5
    assert not _near_kink(quantity, layer, step, ref, reach, [{"activations": ["sigmoid"] * 2}] * 2).any()


@pytest.fixture(scope="module")
def unit_rows():
    """Step 0 of the float64 relu and sigmoid unit cases, whose grids reach into the subnormals."""
    suite = vectorset.load("unit")
    rows = annotate(suite.values, suite.cases)

    def case_rows(name: str):
        return suite.cases[name], rows[(rows["case"] == name) & (rows["quantity"] != "")]

    return case_rows


def flushed(rows, out: dict) -> dict:
    """``out`` as flush-to-zero arithmetic gives it: where a net or out is subnormal in float64, the
    delta of that unit is 0, as XLA on CPU returns it (relu' of a flushed net, sigmoid of a flushed out)."""
    tiny = tolerance.TINY["float64"]
    edge = rows[rows["quantity"].isin(["net", "out"]) & (rows["ref"] != 0) & (rows["ref"].abs() < tiny)]
    deltas = [d.copy() for d in out["deltas"]]
    for layer, i, j in zip(edge["layer"], edge["i"], edge["j"], strict=True):
        deltas[layer - 1][i, j] = 0.0
    return {**out, "deltas": deltas}


@pytest.mark.parametrize("name", ["unit_relu_float64", "unit_sigmoid_float64"])
def test_declared_flush_to_zero_leaves_the_subnormal_cone_unchecked(unit_rows, name):
    """A flushed delta fails an IEEE adapter and is not checked for a declared flush-to-zero one, with
    the reason (TOL-8)."""
    case, rows = unit_rows(name)
    out = flushed(rows, fake_output(rows))
    r = tolerance.rtol(case, "float64")
    ieee = grade_step(Rows.of(rows, case), out, case, "float64", r, 1)
    assert ieee.failed > 0 and {f["quantity"] for f in ieee.failures} == {"delta"}
    ftz = grade_step(Rows.of(rows, case), out, case, "float64", r, 1, flush_to_zero=True)
    assert ftz.failed == 0 and 0 < ftz.not_checked < len(rows) // 4
    assert any("TOL-8" in note for note in ftz.notes)


def test_declared_flush_to_zero_still_fails_outside_the_cone(unit_rows):
    """Declaring flush-to-zero excuses nothing but the subnormal cone: a wrong normal delta fails (TOL-8)."""
    case, rows = unit_rows("unit_relu_float64")
    out = flushed(rows, fake_output(rows))
    out["deltas"][0][0, 0] += 0.5
    r = tolerance.rtol(case, "float64")
    g = grade_step(Rows.of(rows, case), out, case, "float64", r, 1, flush_to_zero=True)
    assert g.failed == 1 and g.failures[0]["name"] == "delta[1][0,0]"


def test_subnormal_cone_follows_the_chain_rule():
    """A subnormal out[2][1,0] reaches delta[2][1,0], row 0 of layer 2's gradients and updates, sample
    1's deltas below and every gradient below; nothing of sample 0 or unit 1 above (TOL-8)."""
    from bpspec.conformance.grade import _subnormal_cone
    from bpspec.conformance.index import CODE

    rows = [("out", 2, 1, 0, 1e-310), ("out", 2, 0, 0, 0.5), ("delta", 2, 1, 0, 0.1),
            ("delta", 2, 1, 1, 0.1), ("delta", 2, 0, 0, 0.1), ("grad_W", 2, 0, 1, 0.1),
            ("grad_W", 2, 1, 0, 0.1), ("new_b", 2, 0, -1, 0.1), ("delta", 1, 1, 3, 0.1),
            ("delta", 1, 0, 3, 0.1), ("grad_b", 1, 3, -1, 0.1), ("net", 1, 1, 3, 0.1)]
    quantity, layer, i, j, ref = (np.array(column) for column in zip(*rows, strict=True))
    code = np.array([CODE[q] for q in quantity])
    cone = _subnormal_cone(code, layer, i, j, ref, np.full(len(ref), 1e-320), "float64")
    assert cone.tolist() == [False, False, True, False, False, True, False, True, True, False, True, False]


class FlushingNumpy:
    """bpspec's NumPy adapter with XLA-on-CPU arithmetic imitated where the unit suite probes it: a
    subnormal net reads as 0, so relu' there is 0 (TOL-8)."""

    def __init__(self, declares: bool) -> None:
        self.flushes_subnormals = declares

    def step(self, inp: dict) -> dict:
        from bpspec.impl.adapter import step

        tiny = np.finfo(inp["dtype"]).tiny
        flushed = [np.where(np.abs(w) < tiny, 0, w) for w in inp["weights"]]
        return step({**inp, "weights": flushed})


HONEST, DECLARED = FlushingNumpy(False), FlushingNumpy(True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_flush_to_zero_is_declared_through_the_adapter(dtype):
    """``flushes_subnormals = True`` on the adapter object reaches the grading: the flushing adapter
    fails the relu unit vectors undeclared and passes them declared, with the reason (ADP-5, TOL-8)."""
    from bpspec.conformance import runner
    from bpspec.conformance.adapters import resolve

    case = f"unit_relu_{dtype}"
    honest, declared = (next(runner.run(resolve(f"tests.test_tolerance:{name}"), dtype, ["unit"], case))
                        for name in ("HONEST", "DECLARED"))
    assert honest.status == "fail" and honest.failures[0]["quantity"] == "delta"
    assert declared.status == "pass" and declared.not_checked > 0
    assert any("TOL-8" in note for note in declared.notes)
