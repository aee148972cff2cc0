"""Memory for the arrays of a step: one block, cut into arrays and reused from step to step.

A step of 100,000 small networks makes some thirty arrays of a few MB. Allocated one by one, each
is fresh memory whose pages fault in on first touch, which on a small virtual machine costs more
than the arithmetic; cut from a block that is kept, they cost nothing after the first step.

The results a step hands to its caller cannot live in a block the next step overwrites, so they come
from ``recycled``: a block of this thread's that no array cut from it still uses, else a new one.
Left to malloc, a new block is fresh memory whenever other work has taken the freed one in between
(the interleaved peers of a benchmark, say); NumPy asks the kernel to back a block of 4 MB or more
with transparent huge pages, and where the kernel compacts memory to find them, such a step took
100-140 ms instead of 10 (W4 float64, 73-1,034 page faults).
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

#: byte alignment of every array cut from a block (a cache line; enough for any SIMD load)
ALIGN = 64


class Workspace:
    """One block of memory that the arrays of a step are cut from; it grows to the largest step seen."""

    def __init__(self, block: np.ndarray | None = None) -> None:
        self._block = np.empty(0, dtype=np.uint8) if block is None else block
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


#: blocks ``recycled`` keeps per thread: a caller that holds one step's results while it makes the
#: next (a training loop feeding the new weights back) alternates between two. A thread therefore
#: keeps at most two results blocks besides its scratch, each as large as a recent large step's
#: results
KEPT = 2


def recycled(nbytes: int) -> Workspace:
    """A Workspace for ``nbytes`` of results on a block of this thread's that no array cut from it
    still uses (every array cut from a block, and every view of one, holds the block as its base),
    or on a new one, kept in place of the oldest unused one. (A block no array uses has two
    references as ``sys.getrefcount`` counts them: the list's and the call's own.)"""
    if not hasattr(_LOCAL, "blocks"):
        _LOCAL.blocks = []
    blocks: list[np.ndarray] = _LOCAL.blocks
    unused = [i for i in range(len(blocks)) if sys.getrefcount(blocks[i]) == 2]
    for i in unused:
        if blocks[i].nbytes >= nbytes:
            return Workspace(blocks[i])
    block = np.empty(nbytes, dtype=np.uint8)
    if len(blocks) >= KEPT and unused:
        del blocks[unused[0]]
    if len(blocks) < KEPT:
        blocks.append(block)
    return Workspace(block)
