"""Leaky ReLU with slope ``activation_params["leaky_relu_slope"]`` (spec ACT-5).

forward:    out = net if net > 0 else slope * net
derivative: 1 if net > 0 else slope; at the kink the left derivative, slope (ACT-5).
The slope defaults to 0.01 and may be given as a decimal string or a number; it is rounded to the
dtype of ``net`` (through float64). slope * net may underflow for tiny net, which is the correctly
rounded value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

DEFAULT_SLOPE = "0.01"


def slope(params: Mapping[str, Any]) -> float:
    """The slope for net <= 0 as a float64; ValueError unless it is a finite number (ACT-5)."""
    value = float(params.get("leaky_relu_slope", DEFAULT_SLOPE))
    if not math.isfinite(value):
        raise ValueError(f"leaky_relu_slope {value!r} is not a finite number")
    return value


def forward_and_derivative(net: np.ndarray, params: Mapping[str, Any], out: np.ndarray | None = None,
                           deriv: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """leaky_relu(net) and its derivative, slope at net = 0 (ACT-5)."""
    with np.errstate(under="ignore"):
        return forward_and_derivative_into(net, params, out, deriv)


def forward_and_derivative_into(net: np.ndarray, params: Mapping[str, Any], out: np.ndarray | None,
                                deriv: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``forward_and_derivative`` for a caller already under ``np.errstate(under="ignore")``."""
    a = net.dtype.type(slope(params))
    positive = net > 0
    deriv = np.empty_like(net) if deriv is None else deriv
    deriv.fill(a)
    np.copyto(deriv, 1, where=positive)
    out = np.multiply(net, a, out=out)
    np.copyto(out, net, where=positive)
    return out, deriv


def forward(net: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """leaky_relu(net) (ACT-5)."""
    return forward_and_derivative(net, params)[0]


def derivative(net: np.ndarray, out: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """1 where net > 0, else the slope (ACT-5)."""
    return forward_and_derivative(net, params)[1]


def scalar_source(params: Mapping[str, Any]) -> str:
    """The rule on one scalar, as Python statements from ``net`` to ``out`` and ``deriv``, which the
    straight-line kernel writes out inline for every unit (ACT-5); the slope is written as its
    float64 literal, which ``repr`` round-trips exactly."""
    a = repr(slope(params))
    return f"if net > 0.0:\n    out = net\n    deriv = 1.0\nelse:\n    out = {a} * net\n    deriv = {a}\n"
