"""Identity, the linear output layer (spec ACT-4).

forward:    out = net
derivative: 1
"""

from __future__ import annotations

from collections.abc import Mapping
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


#: ``forward_and_derivative`` itself: a copy raises no floating-point flag and needs no errstate
forward_and_derivative_into = forward_and_derivative


def forward(net: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """net (ACT-4)."""
    return net.copy()


def derivative(net: np.ndarray, out: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """1 everywhere (ACT-4)."""
    return np.ones_like(net)


SCALAR_SOURCE = """\
out = net
deriv = 1.0
"""
"""The rule on one scalar, as Python statements from ``net`` to ``out`` and ``deriv``, which the
straight-line kernel writes out inline for every unit (ACT-4)."""


def scalar_source(params: Mapping[str, Any]) -> str:
    """``SCALAR_SOURCE``, whatever the params (ACT-4)."""
    return SCALAR_SOURCE
