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
allocates; ``network.step`` makes one per call, whose arrays become its results. float16 and
bfloat16 have no BLAS: their products are computed in float32 from float32 copies and rounded once
(``bpspec.impl.dtypes``).
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


def step(network: Any, x: np.ndarray, y: np.ndarray, weights: Sequence[np.ndarray],
         biases: Sequence[np.ndarray], eta: Any, buffers: Buffers) -> Buffers:
    """The step of ``network`` (a ``network.Network``) into ``buffers``, which it returns. The inputs
    are contiguous arrays of the network's dtype; ``eta`` is a NumPy scalar of it, or (C,) for a
    stack. The step enters ``np.errstate`` once, and its activations run inside it."""
    dt = network.np_dtype
    acc = accumulator(dt)
    product = np.matmul if acc == dt else _matmul_in(acc)
    params, conv, loss = network.activation_params, network.conventions, LOSSES[network.loss]
    batch, n_out = y.shape[-2], y.shape[-1]
    b = buffers
    stacked = eta.ndim > 0
    eta_w, eta_b = (eta[:, None, None], eta[:, None]) if stacked else (eta, eta)
    with np.errstate(under="ignore"):
        a_prev = x
        for k, name in enumerate(network.activations):
            net = product(a_prev, weights[k].swapaxes(-1, -2), out=b.nets[k])
            np.add(net, biases[k][..., None, :] if stacked else biases[k], out=net)
            ACTIVATIONS[name].forward_and_derivative_into(net, params, b.outs[k], b.derivs[k])
            a_prev = b.outs[k]

        term, dE_dout = loss.term_and_grad(a_prev, y, n_out, conv, b.deltas[-1], b.dE_douts[-1])
        sum_into(term, (-2, -1), b.loss, acc)
        if network.reduction == "mean":
            np.divide(b.loss, batch, out=b.loss)
            np.divide(dE_dout, batch, out=dE_dout)

        post_update = conv["hidden_delta_weights"] == "post_update"
        update_bias = conv["bias_update"] == "true"
        for k in reversed(range(len(weights))):
            if dE_dout is None:
                through = b.new_ws[k + 1] if post_update else weights[k + 1]
                dE_dout = product(b.deltas[k + 1], through, out=b.dE_douts[k])
            delta = np.multiply(dE_dout, b.derivs[k], out=b.deltas[k])
            dE_dout = None
            product(delta.swapaxes(-1, -2), x if k == 0 else b.outs[k - 1], out=b.grad_ws[k])
            sum_into(delta, (-2,), b.grad_bs[k], acc)
            np.multiply(eta_w, b.grad_ws[k], out=b.new_ws[k])
            np.subtract(weights[k], b.new_ws[k], out=b.new_ws[k])
            if update_bias:
                np.multiply(eta_b, b.grad_bs[k], out=b.new_bs[k])
                np.subtract(biases[k], b.new_bs[k], out=b.new_bs[k])
            else:
                np.copyto(b.new_bs[k], biases[k])
    return b


def _matmul_in(acc: np.dtype) -> Callable[..., np.ndarray]:
    """np.matmul for a dtype without BLAS: the operands in ``acc``, the product rounded once into
    ``out`` (FWD-1, BWD-3, GRD-1; bpspec.impl.dtypes)."""

    def product(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.copyto(out, np.matmul(a.astype(acc), b.astype(acc)), casting="same_kind")
        return out

    return product

