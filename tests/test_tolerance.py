"""The grading policy's numbers and rules (TOL-2, TOL-3, TOL-4, TOL-6, TOL-7)."""

from __future__ import annotations

import numpy as np
import pytest

from bpspec import vectorset
from bpspec.conformance import tolerance
from bpspec.conformance.grade import grade_step
from bpspec.conformance.index import annotate


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
    good = grade_step(rows, fake_output(rows), case, "float64", tolerance.rtol(case, "float64"), 1)
    assert good.failed == 0 and good.passed == len(rows)
    bad = grade_step(rows, fake_output(rows, 1 + 1e-9, "delta"), case, "float64",
                     tolerance.rtol(case, "float64"), 1)
    assert bad.failed > 0 and bad.failures[0]["quantity"] == "delta"


def test_near_kink_backward_values_are_not_checked():
    """A relu net within the dtype's reach of 0 leaves that layer's backward values unchecked (TOL-7)."""
    from bpspec.conformance.grade import _near_kink

    quantity = np.array(["net", "net", "delta", "grad_W", "delta"], dtype=object)
    layer = np.array([1, 2, 1, 1, 2])
    ref = np.array([1e-6, 0.5, 0.1, 0.1, 0.1])
    reach = np.array([1e-5, 1e-5, 1e-5, 1e-5, 1e-5])
    case = {"activations": ["relu", "sigmoid"]}
    assert _near_kink(quantity, layer, ref, reach, case).tolist() == [False, False, True, True, False]
    exact_zero = np.array([0.0, 0.5, 0.1, 0.1, 0.1])
    assert not _near_kink(quantity, layer, exact_zero, reach, case).any()
