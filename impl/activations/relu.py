"""Rectified linear unit (spec ACT-3).

forward:    out = net if net > 0 else 0
derivative: 1 if net > 0 else 0; at the kink relu'(0) = 0 (ACT-3), as PyTorch, JAX and TensorFlow.
Exact in every dtype: no rounding happens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np


def forward_and_derivative(net: np.ndarray, params: Mapping[str, Any], out: np.ndarray | None = None,
                           deriv: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """relu(net) and relu'(net), with relu'(0) = 0 (ACT-3)."""
    deriv = np.greater(net, 0, out=np.empty_like(net) if deriv is None else deriv)
    return np.maximum(net, 0, out=out), deriv


def forward(net: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """relu(net) (ACT-3)."""
    return np.maximum(net, 0)


def derivative(net: np.ndarray, out: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """relu'(net): 1 where net > 0, else 0 (ACT-3)."""
    return (net > 0).astype(net.dtype)


def scalar(params: Mapping[str, Any], dtype: str = "float64") -> Callable[[float], tuple[float, float]]:
    """The same rule on one scalar of ``dtype``; nothing is rounded but what the arithmetic rounds (ACT-3)."""

    def f(net: float) -> tuple[float, float]:
        return (net, 1.0) if net > 0 else (0.0, 0.0)

    return f
