"""Softplus (spec ACT-6).

forward:    out = log(1 + exp(net)) = max(net, 0) + log1p(exp(-|net|))
derivative: out' = sigmoid(net)  (ACT-1)

The rewritten forward never exponentiates a positive number, so it cannot overflow (the naive form
does beyond net = 88.7 in float32, 11.1 in float16), and log1p keeps the tail exp(net) for very
negative net where log(1 + exp(net)) rounds to 0. No threshold above which out = net: at net = 20
that shortcut is off by 2e-9, which float64 resolves. e = exp(-|net|) is shared with sigmoid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bpspec.impl.activations import sigmoid


def forward_and_derivative(net: np.ndarray, params: Mapping[str, Any], out: np.ndarray | None = None,
                           deriv: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """softplus(net) = max(net, 0) + log1p(e) and sigmoid(net) = r * max(e, sign(net)) (ACT-6, ACT-1)."""
    with np.errstate(under="ignore"):
        return forward_and_derivative_into(net, params, out, deriv)


def forward_and_derivative_into(net: np.ndarray, params: Mapping[str, Any], out: np.ndarray | None,
                                deriv: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``forward_and_derivative`` for a caller already under ``np.errstate(under="ignore")``."""
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


SCALAR_SOURCE = """\
if net >= 0.0:
    e = exp(-net)
    r = 1.0 / (1.0 + e)
    out = net + log1p(e)
    deriv = r
else:
    e = exp(-abs(net))
    r = 1.0 / (1.0 + e)
    out = max(net, 0.0) + log1p(e)
    deriv = e * r
"""
"""The formulas on one scalar, as Python statements from ``net`` to ``out`` and ``deriv``, which the
straight-line kernel writes out inline for every unit (ACT-6). For net >= 0, -|net| is -net,
max(net, 0) is net and sigmoid(net) is r; the other branch takes every other input, NaN included."""


def scalar_source(params: Mapping[str, Any]) -> str:
    """``SCALAR_SOURCE``, whatever the params (ACT-6)."""
    return SCALAR_SOURCE
