"""Identity, the linear output layer (spec ACT-4).

forward:    out = net
derivative: 1
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np


def forward_and_derivative(net: np.ndarray, params: Mapping[str, Any], out: np.ndarray | None = None,
                           deriv: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A copy of net (out never aliases net) and ones (ACT-4)."""
    out = np.empty_like(net) if out is None else out
    deriv = np.empty_like(net) if deriv is None else deriv
    np.copyto(out, net)
    deriv.fill(1)
    return out, deriv


def forward(net: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """net (ACT-4)."""
    return net.copy()


def derivative(net: np.ndarray, out: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """1 everywhere (ACT-4)."""
    return np.ones_like(net)


def scalar(params: Mapping[str, Any], dtype: str = "float64") -> Callable[[float], tuple[float, float]]:
    """The same rule on one scalar of ``dtype``; nothing is rounded but what the arithmetic rounds (ACT-4)."""

    def f(net: float) -> tuple[float, float]:
        return net, 1.0

    return f
