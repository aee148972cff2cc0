"""One training step as BLAS matrix products, for networks whose products are large (spec FWD-1,
FWD-2, LOSS-4, BWD-1, BWD-2, BWD-3, GRD-1, GRD-2, UPD-1, UPD-2, CNV-1, CNV-2, CNV-3).

Shapes. Arrays keep their natural layout: x (..., B, n_in), y (..., B, n_out), weights[l]
(..., out, in), biases[l] (..., out), where ``...`` is nothing for one network and (C,) for a stack
of C networks of one shape; eta is a scalar, or (C,) for a stack.

The three products of a layer are ``np.matmul`` into preallocated arrays, which NumPy hands to its
BLAS (xGEMM) without copying: x @ W.T (net = a_prev W^T + b, FWD-1) and delta.T @ a_prev (grad_W,
GRD-1) read the transposed operand through its strides, and delta @ W (BWD-3) needs no transpose.
A stack runs one GEMM per case, so a case's numbers are those of the same network alone: stacked
and unstacked results stay bitwise identical. Every other operation is an in-place ufunc.

``Buffers`` holds every array of a step for one shape: a caller that steps repeatedly (the
``Trainer``) makes two, each cut from one block of memory, and alternates them, so no step
allocates; ``network.step`` makes one per call, whose arrays become its results. ``program`` gives
the step as operations bound to their arrays, which such a caller builds once and calls every
step; ``step`` performs the same operations at once.

float16 and bfloat16 have no BLAS: their products are computed in float32 from float32 copies and
rounded once (``bpspec.impl.dtypes``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from bpspec.impl.activations import ACTIVATIONS
from bpspec.impl.dtypes import accumulator, sum_into
from bpspec.impl.losses import LOSSES
from bpspec.impl.workspace import ALIGN, Workspace

#: a network takes this path when one sample's largest layer product has at least this many
#: multiply-adds times the batch: below it the case-last einsum path of ``network`` is faster
MIN_MACS = 2048


def worth_it(sizes: Sequence[int], batch: int) -> bool:
    """True when the products of one network are large enough for BLAS to pay (see MIN_MACS)."""
    return batch * max(a * b for a, b in zip(sizes, sizes[1:], strict=False)) >= MIN_MACS


class Buffers:
    """Every array one step writes, for one shape: ``lead`` is () for one network, (C,) for a stack.
    ``new(shape)`` makes each result (default: ``np.empty`` in the dtype); ``block=True`` cuts every
    array, the intermediates too, from one block instead (see ``in_block``)."""

    def __init__(self, sizes: Sequence[int], batch: int, dt: np.dtype, lead: tuple[int, ...] = (),
                 new: Callable[[tuple[int, ...]], np.ndarray] | None = None, block: bool = False) -> None:
        pairs = list(zip(sizes, sizes[1:], strict=False))
        rows = [(*lead, batch, n_out) for _, n_out in pairs]
        weights = [(*lead, n_out, n_in) for n_in, n_out in pairs]
        units = [(*lead, n_out) for _, n_out in pairs]
        temporary = partial(np.empty, dtype=dt)
        if block:  # five arrays per layer of rows, two of weights, two of units, and the loss
            new = temporary = in_block([*rows * 5, *weights * 2, *units * 2, lead], dt)
        make = new or temporary
        self.nets = [make(s) for s in rows]
        self.outs = [make(s) for s in rows]
        self.deltas = [make(s) for s in rows]
        self.grad_ws = [make(s) for s in weights]
        self.grad_bs = [make(s) for s in units]
        self.new_ws = [make(s) for s in weights]
        self.new_bs = [make(s) for s in units]
        self.loss = make(lead)
        self.derivs = [temporary(s) for s in rows]
        """f'(net) and the hidden dE/dout: intermediates, never results."""
        self.dE_douts = [temporary(s) for s in rows]


def in_block(shapes: Sequence[tuple[int, ...]], dt: np.dtype) -> Callable[[tuple[int, ...]], np.ndarray]:
    """A ``new`` that cuts arrays of ``shapes`` (any order) from one block allocated now: for buffers
    kept from step to step (the ``Trainer``). A block of 4 MB or more is one NumPy asks the kernel to
    back with transparent huge pages (where the system offers them), so the passes and the BLAS
    products of a large network take fewer page faults and TLB misses than on arrays of a few MB
    allocated one by one."""
    space = Workspace()
    space.reset(sum(-(-math.prod(s) * dt.itemsize // ALIGN) * ALIGN for s in shapes))
    return lambda shape: space.take(shape, dt)


#: one operation of a step, bound to its arrays: calling it performs it
Op = Callable[[], object]


def step(network: Any, x: np.ndarray, y: np.ndarray, weights: Sequence[np.ndarray],
         biases: Sequence[np.ndarray], eta: Any, buffers: Buffers) -> Buffers:
    """The step of ``network`` (a ``network.Network``) into ``buffers``, which it returns: the
    operations of its ``program``, each performed as it comes."""
    with np.errstate(under="ignore"):
        _operations(network, x, y, weights, biases, eta, buffers, _perform)
    return buffers


def program(network: Any, x: np.ndarray, y: np.ndarray, weights: Sequence[np.ndarray],
            biases: Sequence[np.ndarray], eta: Any, buffers: Buffers) -> list[Op]:
    """The step as a list of operations bound to these arrays, to be called in order under
    ``np.errstate(under="ignore")``; when the last has run, ``buffers`` holds the step's results.
    The inputs are contiguous arrays of the network's dtype; ``eta`` is a NumPy scalar of it, or (C,)
    for a stack. Every decision (layout, conventions, accumulation) is taken here, so a caller that
    steps on the same arrays again and again (the ``Trainer``: one batch, the parameters the last
    step wrote in the other set of buffers) builds the list once and a step then costs its NumPy
    calls and little else."""
    ops: list[Op] = []
    _operations(network, x, y, weights, biases, eta, buffers, lambda f, *args: ops.append(partial(f, *args)))
    return ops


def _perform(f: Callable[..., object], *args: Any) -> None:
    f(*args)


def _operations(network: Any, x: np.ndarray, y: np.ndarray, weights: Sequence[np.ndarray],
                biases: Sequence[np.ndarray], eta: Any, buffers: Buffers,
                do: Callable[..., None]) -> None:
    """The step's operations in order, each handed to ``do`` as a function and its arguments:
    ``step`` performs them, ``program`` binds them. Each ufunc's output is its third argument, given
    by position: bound by keyword it would cost a ``partial`` call ~0.2 us more, a third of a small
    ufunc's own cost."""
    dt = network.np_dtype
    acc = accumulator(dt)
    product = np.matmul if acc == dt else _matmul_in(acc)
    params, conv, loss = network.activation_params, network.conventions, LOSSES[network.loss]
    batch, n_out = y.shape[-2], y.shape[-1]
    b = buffers
    stacked = eta.ndim > 0
    eta_w, eta_b = (eta[:, None, None], eta[:, None]) if stacked else (eta, eta)
    a_prev = x
    for k, name in enumerate(network.activations):
        do(product, a_prev, weights[k].swapaxes(-1, -2), b.nets[k])
        do(np.add, b.nets[k], biases[k][..., None, :] if stacked else biases[k], b.nets[k])
        do(ACTIVATIONS[name].forward_and_derivative_into, b.nets[k], params, b.outs[k], b.derivs[k])
        a_prev = b.outs[k]

    term, dE_dout = b.deltas[-1], b.dE_douts[-1]
    do(loss.term_and_grad, a_prev, y, n_out, conv, term, dE_dout)
    do(sum_into, term, (-2, -1), b.loss, acc)
    if network.reduction == "mean":
        do(np.divide, b.loss, batch, b.loss)
        do(np.divide, dE_dout, batch, dE_dout)

    post_update = conv["hidden_delta_weights"] == "post_update"
    for k in reversed(range(len(weights))):
        if k < len(weights) - 1:
            through = b.new_ws[k + 1] if post_update else weights[k + 1]
            do(product, b.deltas[k + 1], through, b.dE_douts[k])
        do(np.multiply, b.dE_douts[k], b.derivs[k], b.deltas[k])
        do(product, b.deltas[k].swapaxes(-1, -2), x if k == 0 else b.outs[k - 1], b.grad_ws[k])
        do(sum_into, b.deltas[k], (-2,), b.grad_bs[k], acc)
        do(np.multiply, eta_w, b.grad_ws[k], b.new_ws[k])
        do(np.subtract, weights[k], b.new_ws[k], b.new_ws[k])
        if conv["bias_update"] == "true":
            do(np.multiply, eta_b, b.grad_bs[k], b.new_bs[k])
            do(np.subtract, biases[k], b.new_bs[k], b.new_bs[k])
        else:
            do(np.copyto, b.new_bs[k], biases[k])


def _matmul_in(acc: np.dtype) -> Callable[..., np.ndarray]:
    """np.matmul for a dtype without BLAS: the operands in ``acc``, the product rounded once into
    ``out`` (FWD-1, BWD-3, GRD-1; bpspec.impl.dtypes)."""

    def product(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.copyto(out, np.matmul(a.astype(acc), b.astype(acc)), casting="same_kind")
        return out

    return product

