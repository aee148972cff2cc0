"""Rectified linear unit (spec ACT-3).

forward:    out = net if net > 0 else 0
derivative: 1 if net > 0 else 0; at the kink relu'(0) = 0 (ACT-3), as PyTorch, JAX and TensorFlow.
Exact in every dtype: no rounding happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def forward_and_derivative(net: np.ndarray, params: Mapping[str, Any], out: np.ndarray | None = None,
                           deriv: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """relu(net) and relu'(net), with relu'(0) = 0 (ACT-3)."""
    deriv = np.greater(net, 0, out=np.empty_like(net) if deriv is None else deriv)
    return np.maximum(net, 0, out=out), deriv


#: ``forward_and_derivative`` itself: relu raises no floating-point flag and needs no errstate
forward_and_derivative_into = forward_and_derivative


def forward(net: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """relu(net) (ACT-3)."""
    return np.maximum(net, 0)


def derivative(net: np.ndarray, out: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """relu'(net): 1 where net > 0, else 0 (ACT-3)."""
    return (net > 0).astype(net.dtype)


SCALAR_SOURCE = """\
if net > 0.0:
    out = net
    deriv = 1.0
else:
    out = 0.0
    deriv = 0.0
"""
"""The rule on one scalar, as Python statements from ``net`` to ``out`` and ``deriv``, which the
straight-line kernel writes out inline for every unit (ACT-3)."""


def scalar_source(params: Mapping[str, Any]) -> str:
    """``SCALAR_SOURCE``, whatever the params (ACT-3)."""
    return SCALAR_SOURCE
