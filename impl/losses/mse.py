"""Mean squared error over the output units, seeds 001 and 004 (spec LOSS-3).

term: (target - out)^2 / n_out
grad: 2/n_out (out - target) under the conforming ``mse_grad_factor = 2/n`` (CNV-3); ``1`` is the
      variant of seed 004, whose derivative is out - target (ERR-2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def term(out: Any, target: Any, n_out: int) -> Any:
    """(target - out)^2 / n_out (LOSS-3)."""
    d = target - out
    return d * d / n_out


def grad(out: Any, target: Any, n_out: int, conventions: Mapping[str, str]) -> Any:
    """2 (out - target) / n_out, or out - target under mse_grad_factor = 1 (LOSS-3, CNV-3)."""
    if conventions["mse_grad_factor"] == "1":
        return out - target
    return 2 * (out - target) / n_out
