"""Sum of squared errors, E = sum (target - out)^2 (spec LOSS-2).

term: (target - out)^2        grad: 2 (out - target)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bpspec.impl.losses.squared import difference


def term(out: Any, target: Any, n_out: int) -> Any:
    """(target - out)^2 (LOSS-2)."""
    d = target - out
    return d * d


def grad(out: Any, target: Any, n_out: int, conventions: Mapping[str, str]) -> Any:
    """2 (out - target); the factor 2 is exact (LOSS-2)."""
    return 2 * (out - target)


def term_and_grad(out: np.ndarray, target: np.ndarray, n_out: int, conventions: Mapping[str, str],
                  term_out: np.ndarray, grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``term`` and ``grad`` of arrays, the same bits, written into ``term_out`` and ``grad_out`` from
    one subtraction (``squared.difference``, LOSS-2)."""
    square, g = difference(out, target, term_out, grad_out)
    return square, np.multiply(g, 2, out=g)


SCALAR_SOURCE = """\
d = out - target
term = d * d
grad = 2 * d
"""
"""``term`` and ``grad`` as Python statements from ``out`` and ``target`` to ``term`` and ``grad``,
which the straight-line kernel writes out inline for every output (LOSS-2). d = out - target is
exactly -(target - out), and the squares are equal, so one subtraction serves both."""


def scalar_source(conventions: Mapping[str, str]) -> str:
    """``SCALAR_SOURCE``, whatever the conventions (LOSS-2)."""
    return SCALAR_SOURCE
