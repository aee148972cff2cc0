"""Bugs in the arithmetic rather than the formulas (spec TOL-1, ADP-1)."""

from __future__ import annotations

import numpy as np

from tests.adapters.bugs.base import Backprop


class Float32Accumulation(Backprop):
    """Matrix products and batch sums accumulated in float32 inside a float64 claim (TOL-1, ADP-1)."""

    def mm(self, a, b):
        return (a.astype(np.float32) @ b.astype(np.float32)).astype(self.dt)
