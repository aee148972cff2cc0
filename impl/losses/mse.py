"""Mean squared error over the output units, seeds 001 and 004 (spec LOSS-3).

term: (target - out)^2 / n_out
grad: 2/n_out (out - target) under the conforming ``mse_grad_factor = 2/n`` (CNV-3); ``1`` is the
      variant of seed 004, whose derivative is out - target (ERR-2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bpspec.impl.losses.squared import difference


def term(out: Any, target: Any, n_out: int) -> Any:
    """(target - out)^2 / n_out (LOSS-3)."""
    d = target - out
    return d * d / n_out


def grad(out: Any, target: Any, n_out: int, conventions: Mapping[str, str]) -> Any:
    """2 (out - target) / n_out, or out - target under mse_grad_factor = 1 (LOSS-3, CNV-3)."""
    if conventions["mse_grad_factor"] == "1":
        return out - target
    return 2 * (out - target) / n_out


def term_and_grad(out: np.ndarray, target: np.ndarray, n_out: int, conventions: Mapping[str, str],
                  term_out: np.ndarray, grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``term`` and ``grad`` of arrays, the same bits, written into ``term_out`` and ``grad_out`` from
    one subtraction (``squared.difference``, LOSS-3, CNV-3)."""
    square, g = difference(out, target, term_out, grad_out)
    np.divide(square, n_out, out=square)
    if conventions["mse_grad_factor"] == "1":
        return square, g
    np.multiply(g, 2, out=g)
    return square, np.divide(g, n_out, out=g)


def scalar_source(conventions: Mapping[str, str]) -> str:
    """``term`` and ``grad`` as Python statements from ``out``, ``target`` and ``n_out`` to ``term``
    and ``grad``, which the straight-line kernel writes out inline for every output (LOSS-3, CNV-3).
    d = out - target is exactly -(target - out), and the squares are equal, so one subtraction
    serves both."""
    grad = "d" if conventions["mse_grad_factor"] == "1" else "2 * d / n_out"
    return f"d = out - target\nterm = d * d / n_out\ngrad = {grad}\n"
