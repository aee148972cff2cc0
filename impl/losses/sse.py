"""Sum of squared errors, E = sum (target - out)^2 (spec LOSS-2).

term: (target - out)^2        grad: 2 (out - target)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def term(out: Any, target: Any, n_out: int) -> Any:
    """(target - out)^2 (LOSS-2)."""
    d = target - out
    return d * d


def grad(out: Any, target: Any, n_out: int, conventions: Mapping[str, str]) -> Any:
    """2 (out - target); the factor 2 is exact (LOSS-2)."""
    return 2 * (out - target)
