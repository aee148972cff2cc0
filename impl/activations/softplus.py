"""Softplus (spec ACT-6).

forward:    out = log(1 + exp(net)) = max(net, 0) + log1p(exp(-|net|))
derivative: out' = sigmoid(net)  (ACT-1)

The rewritten forward never exponentiates a positive number, so it cannot overflow (the naive form
does beyond net = 88.7 in float32, 11.1 in float16), and log1p keeps the tail exp(net) for very
negative net where log(1 + exp(net)) rounds to 0. No threshold above which out = net: at net = 20
that shortcut is off by 2e-9, which float64 resolves. e = exp(-|net|) is shared with sigmoid.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from bpspec.impl.activations import sigmoid
from bpspec.impl.dtypes import elementary


def forward_and_derivative(net: np.ndarray, params: Mapping[str, Any], out: np.ndarray | None = None,
                           deriv: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """softplus(net) = max(net, 0) + log1p(e) and sigmoid(net) = r * max(e, sign(net)) (ACT-6, ACT-1)."""
    with np.errstate(under="ignore"):
        e = sigmoid.exp_neg_abs(net, out)
        r = np.add(e, 1, out=deriv)
        np.divide(1, r, out=r)
        other = np.sign(net)
        np.maximum(e, other, out=other)
        np.multiply(r, other, out=r)
        np.log1p(e, out=e)
        np.maximum(net, 0, out=other)
        return np.add(other, e, out=e), r


def forward(net: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """softplus(net) (ACT-6)."""
    return forward_and_derivative(net, params)[0]


def derivative(net: np.ndarray, out: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """sigmoid(net), from net (ACT-6, ACT-7)."""
    return sigmoid.forward(net, params)


def scalar(params: Mapping[str, Any], dtype: str = "float64") -> Callable[[float], tuple[float, float]]:
    """The same formulas on one scalar of ``dtype`` (ACT-6)."""
    exp, log1p = elementary(math.exp, dtype), elementary(math.log1p, dtype)

    def f(net: float) -> tuple[float, float]:
        e = exp(-abs(net))
        r = 1.0 / (1.0 + e)
        return max(net, 0.0) + log1p(e), (r if net >= 0 else e * r)

    return f
