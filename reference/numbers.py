"""Exact conversion of inputs to mpmath numbers (spec NUM-1, NUM-2).

A decimal string is parsed by mpmath straight into a binary float of the working precision, so it
is rounded once, never through a double. A Python or NumPy float is already binary and converts
exactly.
"""

from __future__ import annotations

from typing import Any

import mpmath
from mpmath import mp

Vector = list[mpmath.mpf]
Matrix = list[list[mpmath.mpf]]


def to_mpf(x: Any) -> mpmath.mpf:
    """One scalar as an mpf of the current working precision (NUM-1)."""
    if isinstance(x, str):
        text = x.strip()
        if not text:
            raise ValueError("empty number")
        value = mp.mpf(text)
    elif isinstance(x, bool):
        raise ValueError(f"not a number: {x!r}")
    elif hasattr(x, "item") and not isinstance(x, (list, tuple)):
        value = mp.mpf(x.item() if getattr(x, "ndim", 0) == 0 else x)
    else:
        value = mp.mpf(x)
    if not mp.isfinite(value):
        raise ValueError(f"not a finite number: {x!r}")
    return +value


def to_vector(xs: Any) -> Vector:
    return [to_mpf(x) for x in _rows(xs)]


def to_matrix(xss: Any) -> Matrix:
    return [to_vector(row) for row in _rows(xss)]


def _rows(xs: Any) -> list:
    if hasattr(xs, "tolist"):
        xs = xs.tolist()
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__iter__"):
        raise ValueError(f"expected a sequence, got {type(xs).__name__}")
    return list(xs)
