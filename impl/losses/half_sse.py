"""Half sum of squared errors, seed 000's E = sum 1/2 (target - out)^2 (spec LOSS-1).

term: (target - out)^2 / 2        grad: out - target
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def term(out: Any, target: Any, n_out: int) -> Any:
    """1/2 (target - out)^2 (LOSS-1)."""
    d = target - out
    return d * d / 2


def grad(out: Any, target: Any, n_out: int, conventions: Mapping[str, str]) -> Any:
    """out - target (LOSS-1)."""
    return out - target
