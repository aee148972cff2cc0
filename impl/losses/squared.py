"""The one difference every loss here is built on, for arrays (spec LOSS-1, LOSS-2, LOSS-3).

Each loss's term is a multiple of (target - out)^2 and its gradient a multiple of out - target.
target - out is exactly -(out - target) and squares to the same bits, so one subtraction serves both:
``difference`` writes g = out - target and g * g, and each loss scales them.
"""

from __future__ import annotations

import numpy as np


def difference(out: np.ndarray, target: np.ndarray, square_out: np.ndarray, g_out: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """(g * g, g) with g = out - target, written into ``square_out`` and ``g_out``."""
    g = np.subtract(out, target, out=g_out)
    return np.multiply(g, g, out=square_out), g
