"""The vector catalogue: valid, unique, deterministic, exact in its dtypes, and what each suite
promises (CASE-1, CASE-2, NUM-1, VEC-3, CNV-4).

Each suite is built once per session. Most checks read the case definitions only; the kinks, stress
and smoke tests run the reference on small cases to show a suite does what it claims.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest

from bpspec import cases, contract
from bpspec.catalogue import SUITES, all_cases, budget, dyadic, kinks
from bpspec.reference import run_case

GENERATED = [s for s in SUITES if s != "seed"]
HALF_PRECISION = ("float16", "bfloat16")
CASTS = {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16, "float32": np.float32,
         "float64": np.float64}
MINIMUM = {"unit": 24 + 18, "kinks": 10, "random": 300, "trajectories": 20, "stress": 10, "variants": 20}


@pytest.fixture(scope="session")
def suites() -> dict[str, list[dict]]:
    return {name: build() for name, build in SUITES.items()}


def flatten(nested) -> list:
    return [v for item in nested for v in flatten(item)] if isinstance(nested, list) else [nested]


def numbers(case: dict) -> list[str]:
    """Every number of a case (CASE-2): learning rate, data, parameters, activation parameters."""
    return [case["learning_rate"], *flatten([case["x"], case["y"], case["weights"], case["biases"]]),
            *case["activation_params"].values()]


def round_trips(text: str, dtype: str) -> bool:
    """float(dtype(value)) is exactly the decimal's value (NUM-1)."""
    exact = Fraction(text)
    with np.errstate(over="ignore"):
        back = float(CASTS[dtype](float(exact)))
    return math.isfinite(back) and Fraction(back) == exact


@pytest.mark.parametrize("suite", GENERATED)
def test_every_case_validates(suites, suite):
    """Every generated case passes the schema and belongs to its suite; each suite has at least its
    minimum number of cases (CASE-1)."""
    for case in suites[suite]:
        assert cases.validate(case, "catalogue") == case
        assert case["suite"] == suite
    assert len(suites[suite]) >= MINIMUM[suite]


def test_ids_unique():
    """Case ids are unique across the whole catalogue, seed suite included (CASE-1)."""
    ids = Counter(case["case"] for case in all_cases())
    assert [name for name, n in ids.items() if n > 1] == []


@pytest.mark.parametrize("suite", list(SUITES))
def test_deterministic(suites, suite):
    """Building a suite twice gives equal cases: regeneration is reproducible (VEC-3)."""
    assert SUITES[suite]() == suites[suite]


@pytest.mark.parametrize("suite", ["random", "trajectories", "kinks", "variants"])
def test_exact_in_half_precision(suites, suite):
    """Every number is exact in float16 and bfloat16, so every dtype starts from the reference's
    inputs (NUM-1)."""
    for case in suites[suite]:
        assert case["dtypes"] == list(dyadic.ALL_DTYPES)
        bad = [(v, d) for v in numbers(case) for d in HALF_PRECISION if not round_trips(v, d)]
        assert bad == [], case["case"]


@pytest.mark.parametrize("suite", ["unit", "stress"])
def test_exact_in_listed_dtypes(suites, suite):
    """Every number is exact in each dtype the case lists (NUM-1): the unit grids reach each dtype's
    subnormals and largest values, the stress cases beyond float16's range, so each case lists only
    the dtypes that hold it. (The other suites are exact in float16 and bfloat16, hence in all.)"""
    for case in suites[suite]:
        bad = [(v, d) for v in numbers(case) for d in case["dtypes"] if not round_trips(v, d)]
        assert bad == [], case["case"]


def test_unit_covers_every_activation_dtype_and_loss(suites):
    """Each activation on each dtype's grid, from 0 and the smallest subnormals up, and each loss x
    reduction over a batch of 4 (ACT-1..ACT-6, LOSS-1..LOSS-4)."""
    by_id = {c["case"]: c for c in suites["unit"]}
    for activation in contract.ACTIVATION_NAMES:
        for dtype in dyadic.ALL_DTYPES:
            grid = {Fraction(w[0]) for w in by_id[f"unit_{activation}_{dtype}"]["weights"][0]}
            tiny = dyadic.smallest_subnormal(dtype)
            assert {Fraction(0), tiny, -tiny} <= grid
    losses = {(c["loss"], c["reduction"]) for c in suites["unit"] if len(c["x"]) == 4}
    assert losses == {(lo, r) for lo in contract.LOSS_NAMES for r in contract.REDUCTIONS}
    assert all(c.get("chain_factors") for c in suites["unit"])


def test_random_covers_the_grid(suites):
    """Every activation x loss x reduction several times; batch 1/4/32, depth 1-4, width to 64; one
    step; learning rates powers of two (FWD-1, ACT-1..ACT-6, LOSS-4, UPD-1)."""
    rnd = suites["random"]
    combos = Counter((a, c["loss"], c["reduction"]) for c in rnd for a in set(c["activations"]))
    assert len(combos) == 36 and min(combos.values()) >= 5
    assert {len(c["x"]) for c in rnd} == {1, 4, 32}
    assert {len(c["layer_sizes"]) - 1 for c in rnd} == {1, 2, 3, 4}
    assert max(max(c["layer_sizes"]) for c in rnd) == 64
    assert all(c["steps"] == 1 and c["record"] == [0] for c in rnd)
    assert all(Fraction(c["learning_rate"]).numerator == 1 for c in rnd)
    magnitudes = {abs(Fraction(v)) for c in rnd for v in numbers(c)} - {0}
    assert Fraction(1, 256) <= min(magnitudes) and max(magnitudes) <= 4
    assert all(("BWD-3" in c["spec_ids"]) == (len(c["layer_sizes"]) > 2) for c in rnd)


def test_trajectories_schedules(suites):
    """100+ updates under full-batch, mini-batch and per-sample schedules (UPD-3, UPD-4)."""
    kinds = Counter("full" if not c["batches"] else "sample" if len(c["batches"][0]) == 1 else "mini"
                    for c in suites["trajectories"])
    assert min(kinds[k] for k in ("full", "mini", "sample")) >= 5
    assert all(c["steps"] >= 100 and len(c["record"]) >= 4 for c in suites["trajectories"])


def test_variants_only_in_their_suite(suites):
    """Non-conforming conventions appear in the variants suite and nowhere else; each is one that
    matters for its case (CNV-1, CNV-3, CNV-4)."""
    for built in suites.values():
        for case in built:
            variant = contract.is_variant(case["conventions"])
            assert variant == (case["suite"] == "variants"), case["case"]
            if case["conventions"]["hidden_delta_weights"] == "post_update":
                assert len(case["layer_sizes"]) > 2
            if case["conventions"]["mse_grad_factor"] == "1":
                assert case["loss"] == "mse"
    assert any(c["steps"] > 1 for c in suites["variants"])


def test_spec_ids_defined(suites, root):
    """Every spec ID a generated case cites is defined in spec/ (CASE-1)."""
    defined = set(re.findall(r"\*\*([A-Z]{2,5}-[0-9]+)\*\*",
                             "".join(p.read_text(encoding="utf-8") for p in (root / "spec").glob("*.md"))))
    cited = {i for s in GENERATED for c in suites[s] for i in c["spec_ids"]}
    assert cited <= defined, sorted(cited - defined)


@pytest.mark.parametrize("case", kinks.cases(), ids=lambda c: c["case"])
def test_kinks_meet_zero(case):
    """Each kinks case has a relu or leaky_relu net of exactly 0 whose dE/dout is not 0, so its
    derivative relu'(0) = 0 or leaky_relu'(0) = slope shows in a delta (ACT-3, ACT-5)."""
    t = run_case(case, dps=30)[0][1]
    hits = [(k, s, j) for k, net in enumerate(t.nets) for s, row in enumerate(net)
            for j, v in enumerate(row) if v == 0 and t.dE_douts[k][s][j] != 0]
    assert hits, case["case"]


def test_stress_gradients_vanish(suites):
    """The deep cases' first-layer gradients are tiny but not zero (BWD-3)."""
    for case in suites["stress"]:
        if case["case"].startswith("stress_deep_"):
            grads = run_case(case, dps=30)[0][1].grad_weights[0]
            size = max(abs(g) for row in grads for g in row)
            assert 0 < size < 1e-25, case["case"]


def test_budget(suites):
    """The catalogue beyond the seeds stays within the shipped-size and generation budgets: about
    96 bytes per CSV row, under 15 MB in all, and a few million multiply-adds at two precisions."""
    total = {"rows": 0, "macs": 0}
    for suite in GENERATED:
        for case in suites[suite]:
            cost = budget.cost(case)
            total["rows"] += cost["rows"]
            total["macs"] += cost["macs"]
    assert total["rows"] < 150_000
    assert total["macs"] < 3_000_000


@pytest.mark.parametrize("suite", GENERATED)
def test_smoke_through_reference(suites, suite):
    """The smallest case of each suite runs through the reference (UPD-4)."""
    case = min(suites[suite], key=lambda c: (budget.cost(c)["macs"], c["case"]))
    recorded = run_case(case, dps=50)
    assert sorted(recorded) == case["record"]
