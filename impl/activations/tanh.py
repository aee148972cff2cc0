"""Hyperbolic tangent (spec ACT-2).

forward:    out = tanh(net)
derivative: out' = sech(net)^2 = 4 e / (1 + e)^2  with  e = exp(-2|net|)

The textbook 1 - out^2 cancels: tanh rounds to +-1 beyond |net| = 19 in float64 (9 in float32) and
the derivative becomes 0 where it is about 4 exp(-2|net|), and well before that it has lost most of
its digits. The sech^2 form subtracts nothing. e is formed as exp(-|net|)^2, so 2|net| is never
computed and cannot overflow; every factor lies in [0, 4].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bpspec.impl.activations import sigmoid


def forward_and_derivative(net: np.ndarray, params: Mapping[str, Any], out: np.ndarray | None = None,
                           deriv: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """tanh(net) and sech(net)^2 = 4 e / (1 + e)^2, e = exp(-|net|)^2 (ACT-2)."""
    with np.errstate(under="ignore"):
        return forward_and_derivative_into(net, params, out, deriv)


def forward_and_derivative_into(net: np.ndarray, params: Mapping[str, Any], out: np.ndarray | None,
                                deriv: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``forward_and_derivative`` for a caller already under ``np.errstate(under="ignore")``."""
    e = sigmoid.exp_neg_abs(net, deriv)
    np.multiply(e, e, out=e)
    s = np.add(e, 1)
    np.multiply(s, s, out=s)
    np.multiply(e, 4, out=e)
    return np.tanh(net, out=out), np.divide(e, s, out=e)


def forward(net: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """tanh(net) (ACT-2)."""
    with np.errstate(under="ignore"):
        return np.tanh(net)


def derivative(net: np.ndarray, out: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """sech(net)^2, from net (ACT-2, ACT-7)."""
    return forward_and_derivative(net, params)[1]


SCALAR_SOURCE = """\
e = exp(-net) if net >= 0.0 else exp(-abs(net))
e = e * e
s = 1.0 + e
out = tanh(net)
deriv = 4.0 * e / (s * s)
"""
"""The formulas on one scalar, as Python statements from ``net`` to ``out`` and ``deriv``, which the
straight-line kernel writes out inline for every unit (ACT-2). For net >= 0, -|net| is -net (no abs
call); below, and for NaN, exp(-abs(net))."""


def scalar_source(params: Mapping[str, Any]) -> str:
    """``SCALAR_SOURCE``, whatever the params (ACT-2)."""
    return SCALAR_SOURCE
