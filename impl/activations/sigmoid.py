"""Logistic sigmoid (spec ACT-1).

forward:    out = 1 / (1 + exp(-net))
derivative: out' = sigmoid(net) * sigmoid(-net)

Everything comes from e = exp(-|net|), in [0, 1] for every finite net, so nothing overflows:
r = 1 / (1 + e) is sigmoid(|net|) and e * r is sigmoid(-|net|). out is r for net >= 0 and e * r
below, chosen without a branch as r * max(e, sign(net)): the factor is 1 for net >= 0 (e = 1 at
net = 0) and e below, so the product is exactly r or exactly e * r. The derivative is e * r * r.
Nothing cancels; the textbook out * (1 - out) is not used, because 1 - out loses every digit once
out rounds to 1 (net beyond 37 in float64, 17 in float32). e and r are computed in the result
arrays, so one temporary suffices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from math import exp
from typing import Any

import numpy as np

from bpspec.impl.dtypes import elementary


def exp_neg_abs(net: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """e = exp(-|net|), in [0, 1] for every finite net: the one exponential of ACT-1, ACT-2, ACT-6.
    May underflow: callers run it under ``np.errstate(under="ignore")``. (abs then negative: two SIMD
    passes, faster on large arrays than the one unvectorised pass of ``copysign(net, -1)``.)"""
    e = np.abs(net, out=out)
    np.negative(e, out=e)
    return np.exp(e, out=e)


def forward_and_derivative(net: np.ndarray, params: Mapping[str, Any], out: np.ndarray | None = None,
                           deriv: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """sigmoid(net) = r * max(e, sign(net)) and sigmoid'(net) = e * r * r, r = 1 / (1 + e) (ACT-1)."""
    with np.errstate(under="ignore"):
        e = exp_neg_abs(net, deriv)
        r = np.add(e, 1, out=out)
        np.divide(1, r, out=r)
        factor = np.sign(net)
        np.maximum(e, factor, out=factor)
        np.multiply(e, r, out=e)
        np.multiply(e, r, out=e)
        return np.multiply(r, factor, out=r), e


def forward(net: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """sigmoid(net) (ACT-1)."""
    return forward_and_derivative(net, params)[0]


def derivative(net: np.ndarray, out: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """sigmoid'(net), from net, not from out (ACT-1, ACT-7)."""
    return forward_and_derivative(net, params)[1]


def scalar(params: Mapping[str, Any], dtype: str = "float64") -> Callable[[float], tuple[float, float]]:
    """The same formulas on one scalar of ``dtype`` (ACT-1)."""
    exp_ = elementary(exp, dtype)

    def f(net: float) -> tuple[float, float]:
        e = exp_(-abs(net))
        r = 1.0 / (1.0 + e)
        er = e * r
        return (r if net >= 0 else er), er * r

    return f
