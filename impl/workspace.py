"""Memory for the arrays of a step: one block, cut into arrays and reused from step to step.

A step of 100,000 small networks makes some thirty arrays of a few MB. Allocated one by one, each
is fresh memory whose pages fault in on first touch, which on a small virtual machine costs more
than the arithmetic; cut from a block that is kept, they cost nothing after the first step.
"""

from __future__ import annotations

import math
import threading

import numpy as np

#: byte alignment of every array cut from a block (a cache line; enough for any SIMD load)
ALIGN = 64


class Workspace:
    """One block of memory that the arrays of a step are cut from; it grows to the largest step seen."""

    def __init__(self) -> None:
        self._block = np.empty(0, dtype=np.uint8)
        self._used = 0
        self._wanted = 0

    def reset(self, nbytes: int = 0) -> None:
        """Start a step needing about ``nbytes``; arrays taken before are overwritten from now on."""
        nbytes = max(nbytes, self._wanted)
        if nbytes > self._block.nbytes:
            self._block = np.empty(nbytes, dtype=np.uint8)
        self._used = self._wanted = 0

    def take(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """An uninitialised contiguous array, 64-byte aligned within the block. (Made by the ndarray
        constructor on the block's buffer: one call, where slicing, viewing and reshaping take three.)"""
        nbytes = math.prod(shape) * dtype.itemsize
        padded = -(-nbytes // ALIGN) * ALIGN
        self._wanted += padded
        if self._used + nbytes > self._block.nbytes:
            self._block = np.empty(max(padded, 2 * self._block.nbytes), dtype=np.uint8)
            self._used = 0
        view = np.ndarray(shape, dtype, self._block, self._used)
        self._used += padded
        return view


_LOCAL = threading.local()


def scratch() -> Workspace:
    """This thread's workspace for the blocks of a step, kept from call to call."""
    if not hasattr(_LOCAL, "scratch"):
        _LOCAL.scratch = Workspace()
    return _LOCAL.scratch
