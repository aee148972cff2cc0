"""The grading policy: per-dtype tolerances and digits of agreement (spec TOL-1 .. TOL-6).

A value passes when |got - ref| <= rtol * scale + atol (TOL-1), one-sided against the reference.

* ``rtol = K * u``: ``u`` is the dtype's unit roundoff (TOL-2) and ``K`` the error-growth factor of
  the case, ``K = 8 * L * n`` for a network of L layers whose widest layer has n units (TOL-3): a
  dot product of length n may lose n roundings (Wilkinson's gamma_n), each of the L layers adds one
  on the way forward and again on the way back, and 8 covers the activation, loss and update
  evaluations around them. The unit suite probes one elementwise operation, so its K is 8.
* ``scale`` (TOL-4) is the value's error scale, written by the generator beside the value: the step
  recomputed on magnitudes (``bpspec.generate.scale``), so cancellation, saturation and the
  condition of each operation set how much error any correct implementation makes there.
* ``atol`` is the dtype's smallest normal number, so underflow to zero or a subnormal passes.
* The reference's own uncertainty, |ref| * 10^-digits, is added (CERT-1).
* Trajectories run free (TOL-5): rounding errors accumulate at most linearly in the number of
  updates, so rtol grows to ``K * u * max(1, s)`` at step s; recorded steps past the point where
  that exceeds RTOL_MAX are "not checked" free-running (their single-step check still runs).
* An adapter computing in mpmath (the reference) is graded as the dtype "exact", whose unit
  roundoff is that of the vectors' 30 written digits, through which it receives the golden state.
* A case is graded in a dtype only if the case lists it and rtol <= RTOL_MAX, i.e. the policy still
  demands one correct digit with a margin of two (TOL-6); otherwise it is skipped, with this reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: unit roundoff u = 2^-p of each dtype, and its smallest positive normal number
UNIT_ROUNDOFF = {"float64": 2.0**-53, "float32": 2.0**-24, "float16": 2.0**-11, "bfloat16": 2.0**-8,
                 "exact": 5e-30}
TINY = {"float64": 2.0**-1022, "float32": 2.0**-126, "float16": 2.0**-14, "bfloat16": 2.0**-126,
        "exact": 0.0}
RTOL_MAX = 0.05
UNIT_SUITES = ("unit",)
DIGITS_CAP = 30


def growth(case: Mapping[str, Any]) -> int:
    """The error-growth factor K of a case (TOL-3)."""
    if case["suite"] in UNIT_SUITES:
        return 8
    sizes = case["layer_sizes"]
    return 8 * (len(sizes) - 1) * max(sizes)


def rtol(case: Mapping[str, Any], dtype: str, step: int = 0, free_running: bool = False) -> float:
    """Relative tolerance of a case in a dtype, at a step of a free-running trajectory (TOL-2, TOL-5)."""
    k = growth(case) * UNIT_ROUNDOFF[dtype]
    return k * max(1, step) if free_running else k


def skip_reason(case: Mapping[str, Any], dtype: str) -> str | None:
    """Why a case is not graded in a dtype, or None (TOL-6)."""
    if dtype not in case["dtypes"]:
        return f"the case is not meaningful in {dtype} (its dtypes: {', '.join(case['dtypes'])})"
    r = rtol(case, dtype)
    if r > RTOL_MAX:
        u = UNIT_ROUNDOFF[dtype]
        return f"{dtype} cannot meet it: K={growth(case)} x u={u:.2g} = {r:.2g} > {RTOL_MAX}"
    return None


def bound(ref: np.ndarray, digits: np.ndarray, scale: np.ndarray, rtol: float | np.ndarray,
          dtype: str) -> np.ndarray:
    """The largest |got - ref| that passes (TOL-1): rtol * scale (TOL-4), plus the dtype's smallest
    normal number, plus the reference's own uncertainty |ref| * 10^-digits (CERT-1)."""
    return rtol * scale + TINY[dtype] + np.abs(ref) * 10.0 ** -digits


def digits_of_agreement(got: np.ndarray, ref: np.ndarray, certified: np.ndarray) -> np.ndarray:
    """-log10(|got - ref| / |ref|), capped at the certified digits; absolute where ref = 0 (TOL-1)."""
    with np.errstate(all="ignore"):
        err = np.abs(got - ref)
        rel = np.where(ref != 0, err / np.abs(ref), err)
        d = -np.log10(rel)
    d = np.where(np.isnan(got), 0.0, d)
    return np.clip(np.minimum(d, certified), 0.0, DIGITS_CAP) + 0.0


def within(got: np.ndarray, ref: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """The pass test |got - ref| <= tol, false for NaN (TOL-1)."""
    with np.errstate(all="ignore"):
        return np.abs(got - ref) <= tol
