"""Half sum of squared errors, seed 000's E = sum 1/2 (target - out)^2 (spec LOSS-1).

term: (target - out)^2 / 2        grad: out - target
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bpspec.impl.losses.squared import difference


def term(out: Any, target: Any, n_out: int) -> Any:
    """1/2 (target - out)^2 (LOSS-1)."""
    d = target - out
    return d * d / 2


def grad(out: Any, target: Any, n_out: int, conventions: Mapping[str, str]) -> Any:
    """out - target (LOSS-1)."""
    return out - target


def term_and_grad(out: np.ndarray, target: np.ndarray, n_out: int, conventions: Mapping[str, str],
                  term_out: np.ndarray, grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``term`` and ``grad`` of arrays, the same bits, written into ``term_out`` and ``grad_out`` from
    one subtraction (``squared.difference``, LOSS-1)."""
    square, g = difference(out, target, term_out, grad_out)
    return np.divide(square, 2, out=square), g


SCALAR_SOURCE = """\
grad = out - target
term = grad * grad / 2
"""
"""``term`` and ``grad`` as Python statements from ``out`` and ``target`` to ``term`` and ``grad``,
which the straight-line kernel writes out inline for every output (LOSS-1). (target - out)^2 is
formed as grad^2: out - target is exactly -(target - out), and the squares are equal, so one
subtraction serves both."""


def scalar_source(conventions: Mapping[str, str]) -> str:
    """``SCALAR_SOURCE``, whatever the conventions (LOSS-1)."""
    return SCALAR_SOURCE
