"""One training step on arrays, for one network or a stack of same-shaped networks at once (spec
FWD-1, FWD-2, LOSS-4, BWD-1, BWD-2, BWD-3, GRD-1, GRD-2, UPD-1, UPD-2, CNV-1, CNV-2, CNV-3).

Shapes. ``step`` takes x (C, B, n_in), y (C, B, n_out), weights[l] (C, out, in), biases[l] (C, out)
and a learning rate that is a scalar or one per case (C,): C independent networks of one shape,
computed together. Without the leading case axis (x (B, n_in), ...) it is one network.

Layout. Inside, the case axis is moved last, so every elementwise operation, contraction (einsum)
and sum runs with unit stride along the C cases: 100,000 2-2-2 networks become a few arrays of
length 100,000, not 100,000 tiny matrices (np.matmul on such a stack is several times slower).

Determinism. With the case axis innermost, every contraction and sum accumulates sequentially in
index order, for each case on its own. A single case is computed as a stack of two copies: with a
case axis of length 1 NumPy makes the summed index the inner loop and switches to blocked SIMD
sums, which round differently. A case's numbers therefore never depend on what it is stacked with:
stacked and unstacked results are bitwise identical.

Accumulation policy: float64 and float32 accumulate in the dtype; float16 and bfloat16 accumulate
products and sums in float32 and round once (``bpspec.impl.dtypes``).

Memory. Fresh memory is dear: every 4 KiB page faults in on first touch, and for 100,000 2-2-2
networks the faults of thirty separately allocated arrays cost more than the arithmetic. So the
intermediates of a step that are not results (the inputs moved to the case-last layout, f'(net),
the hidden dE/dout) live in this thread's scratch ``Workspace``, kept from call to call, and the
results are written into one block per step: one of the thread's kept blocks that no earlier
result still uses, or a new one (``workspace.recycled``). A small step's arrays (results of at most
``SMALL_RESULTS`` bytes), intermediates included, are arrays of their own instead, which malloc
serves without page faults and for less than cutting a view costs. A caller that steps repeatedly
can pass its own Workspace for the results too; they are then views into it, valid until its next
use.

Frozen biases (bias_update = false) are returned as the new biases themselves, so ``step`` copies
them into the results, not the scratch.

Large networks. When one network's products are large (``gemm.worth_it``: batch x the largest
in x out of at least ``gemm.MIN_MACS``), ``step`` takes ``bpspec.impl.gemm`` instead: the natural
layout, one BLAS matrix product per case and product, no case-last copies. The choice depends on
the shape of one case only, so a case's numbers still do not depend on what it is stacked with.

Underflow. The step runs under ``np.errstate(under="ignore")``: gradual underflow gives the correctly
rounded result, so it is never an error here. Overflow and invalid operations keep the caller's
settings; they only happen when a true intermediate exceeds the dtype's range.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bpspec import contract
from bpspec.impl import gemm
from bpspec.impl.activations import ACTIVATIONS, leaky_relu
from bpspec.impl.dtypes import accumulator, resolve, sum_into
from bpspec.impl.losses import LOSSES
from bpspec.impl.workspace import ALIGN, Workspace, recycled, scratch

#: a step whose results take at most this many bytes allocates them, and its intermediates, one by
#: one (malloc's heap: no page faults, and np.empty is cheaper than cutting a view); a larger one
#: cuts its results from one new Workspace block and its intermediates from the thread's scratch
SMALL_RESULTS = 1 << 17


@dataclass(frozen=True)
class Network:
    """Everything a step needs besides its arrays; names and conventions checked (ADP-1, CNV)."""

    activations: tuple[str, ...]
    loss: str
    reduction: str = "sum"
    activation_params: Mapping[str, Any] = field(default_factory=dict)
    conventions: Mapping[str, str] = field(default_factory=dict)
    dtype: str = "float64"

    def __post_init__(self) -> None:
        object.__setattr__(self, "activations", tuple(self.activations))
        object.__setattr__(self, "conventions", contract.conventions(self.conventions))
        object.__setattr__(self, "activation_params", dict(self.activation_params or {}))
        for name in self.activations:
            if name not in ACTIVATIONS:
                raise contract.ContractError(f"unknown activation {name!r}")
        if self.loss not in LOSSES:
            raise contract.ContractError(f"unknown loss {self.loss!r}")
        if self.reduction not in contract.REDUCTIONS:
            raise contract.ContractError(f"unknown reduction {self.reduction!r}")
        try:
            leaky_relu.slope(self.activation_params)
        except (TypeError, ValueError) as err:
            raise contract.ContractError(f"activation_params: {err}") from None
        resolve(self.dtype)

    @property
    def np_dtype(self) -> np.dtype:
        return resolve(self.dtype)


@dataclass
class Step:
    """Every array of one step, per non-input layer where it is a list (ADP-2)."""

    nets: list[np.ndarray]
    outs: list[np.ndarray]
    deltas: list[np.ndarray]
    loss: Any
    grad_weights: list[np.ndarray]
    grad_biases: list[np.ndarray]
    new_weights: list[np.ndarray]
    new_biases: list[np.ndarray]


def step(network: Network, x: Any, y: Any, weights: Sequence[Any], biases: Sequence[Any],
         learning_rate: Any, workspace: Workspace | None = None) -> Step:
    """One gradient-descent step of one network, or of C same-shaped ones given a leading case axis."""
    dt = network.np_dtype
    x = np.asarray(x, dtype=dt)
    biases = [np.asarray(b, dtype=dt) for b in biases]
    stacked = x.ndim == 3
    n_cases = x.shape[0] if stacked else 1
    width = 2 if n_cases == 1 else n_cases
    batch, sizes = x.shape[-2], [x.shape[-1], *(b.shape[-1] for b in biases)]
    if gemm.worth_it(sizes, batch):
        return _step_gemm(network, x, y, weights, biases, learning_rate, stacked, workspace)
    nbytes = _result_nbytes(sizes, batch, width, dt)
    small = nbytes <= SMALL_RESULTS
    results = workspace if workspace is not None or small else recycled(nbytes)
    if results is not None:
        results.reset(nbytes)
    temporary = None if small else scratch()
    if temporary is not None:
        temporary.reset()

    def view(a: Any) -> np.ndarray:
        a = np.asarray(a, dtype=dt)
        return _cases_last(a) if stacked else a[..., None]

    def last(a: Any, space: Workspace | None = temporary) -> np.ndarray:
        """``a`` case-last and contiguous, the one case twice when there is one (``ndarray.repeat``
        makes that copy in one call)."""
        a = view(a)
        if space is None:
            return a.repeat(2, -1) if n_cases == 1 else a.copy()
        copy = space.take((*a.shape[:-1], width), dt)
        np.copyto(copy, a)
        return copy

    bias_space = results if network.conventions["bias_update"] == "false" else temporary
    eta = np.asarray(learning_rate, dtype=dt)
    r = step_cases_last(network, last(x), view(y), [last(w) for w in weights],
                        [last(b, bias_space) for b in biases], eta if eta.ndim == 0 else last(eta),
                        results, temporary)

    if stacked:
        def back(a: np.ndarray) -> np.ndarray:
            return _cases_first(a if width == n_cases else a[..., :n_cases])
    else:
        back = _FIRST_CASE
    loss = back(r.loss) if stacked else r.loss[0]
    return Step([*map(back, r.nets)], [*map(back, r.outs)], [*map(back, r.deltas)], loss,
                [*map(back, r.grad_weights)], [*map(back, r.grad_biases)], [*map(back, r.new_weights)],
                [*map(back, r.new_biases)])


def _step_gemm(network: Network, x: Any, y: Any, weights: Sequence[Any], biases: Sequence[Any],
               learning_rate: Any, stacked: bool, workspace: Workspace | None) -> Step:
    """``step`` through ``bpspec.impl.gemm``, in the natural layout, results in new arrays (or cut
    from ``workspace``)."""
    dt = network.np_dtype

    def arr(a: Any) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=dt)

    n_cases = np.shape(x)[0] if stacked else None
    lead = (n_cases,) if stacked else ()
    eta = np.broadcast_to(np.asarray(learning_rate, dtype=dt), lead).copy() if stacked else \
        np.asarray(learning_rate, dtype=dt)[()]
    if workspace is not None:
        workspace.reset()
    new = None if workspace is None else (lambda shape: workspace.take(shape, dt))
    sizes = [np.shape(x)[-1], *(np.shape(b)[-1] for b in biases)]
    b = gemm.step(network, arr(x), arr(y), [arr(w) for w in weights], [arr(v) for v in biases], eta,
                  gemm.Buffers(sizes, np.shape(x)[-2], dt, lead, new))
    return Step(b.nets, b.outs, b.deltas, b.loss if stacked else b.loss[()], b.grad_ws, b.grad_bs,
                b.new_ws, b.new_bs)


def step_cases_last(network: Network, x: np.ndarray, y: np.ndarray, weights: Sequence[np.ndarray],
                    biases: Sequence[np.ndarray], eta: np.ndarray, workspace: Workspace | None = None,
                    temporary: Workspace | None = None) -> Step:
    """The step on contiguous arrays of ``network.np_dtype`` with the case axis last: x (B, n_in, C),
    y (B, n_out, C), weights[l] (out, in, C), biases[l] (out, C), eta (C,) or one for all (0-d);
    results likewise, loss (C,). y is read once, by one subtraction: it may be any view that
    broadcasts to its shape, such as the caller's cases-first array transposed (a strided read costs
    less than the copy it saves). Bitwise reproducible for C >= 2 (see the module docstring). The
    results are cut from ``workspace``, the intermediates nobody sees from ``temporary``; either is
    newly allocated memory when not given. Under bias_update = false the new biases are the arrays
    given, not copies (UPD-2, CNV-2: they do not change)."""
    dt = network.np_dtype
    acc = accumulator(dt)

    def new(shape: tuple[int, ...], space: Workspace | None = workspace) -> np.ndarray:
        return np.empty(shape, dtype=dt) if space is None else space.take(shape, dt)

    params, conv = network.activation_params, network.conventions
    loss = LOSSES[network.loss]
    batch, n_out, n_cases = y.shape[0], y.shape[1], x.shape[-1]
    with np.errstate(under="ignore"):
        nets, outs, derivs, a_prev = [], [], [], x
        for w, b, name in zip(weights, biases, network.activations, strict=True):
            shape = (batch, w.shape[0], n_cases)
            net = _contract("bic,jic->bjc", a_prev, w, new(shape), acc)
            np.add(net, b, out=net)
            out, deriv = ACTIVATIONS[name].forward_and_derivative_into(
                net, params, new(shape), new(shape, temporary))
            nets.append(net)
            outs.append(out)
            derivs.append(deriv)
            a_prev = out

        term, dE_dout = loss.term_and_grad(a_prev, y, n_out, conv, new(a_prev.shape, temporary),
                                           new(a_prev.shape, temporary))
        E_total = sum_into(term, (0, 1), new((n_cases,)), acc)
        if network.reduction == "mean":
            np.divide(E_total, batch, out=E_total)
            np.divide(dE_dout, batch, out=dE_dout)

        n_layers = len(weights)
        deltas, grad_ws, grad_bs = [None] * n_layers, [None] * n_layers, [None] * n_layers
        new_ws, new_bs = [None] * n_layers, [None] * n_layers
        for k in reversed(range(n_layers)):
            if k < n_layers - 1:
                through = new_ws if conv["hidden_delta_weights"] == "post_update" else weights
                dE_dout = _contract("bjc,jic->bic", deltas[k + 1], through[k + 1],
                                    new(derivs[k].shape, temporary), acc)
            deltas[k] = np.multiply(dE_dout, derivs[k], out=new(derivs[k].shape))
            a_in = x if k == 0 else outs[k - 1]
            grad_ws[k] = _grad_weights(deltas[k], a_in, new(weights[k].shape), acc)
            grad_bs[k] = sum_into(deltas[k], 0, new(biases[k].shape), acc)
            new_ws[k] = _descend(weights[k], eta, grad_ws[k], new(weights[k].shape))
            if conv["bias_update"] == "true":
                new_bs[k] = _descend(biases[k], eta, grad_bs[k], new(biases[k].shape))
            else:
                new_bs[k] = biases[k]
    return Step(nets, outs, deltas, E_total, grad_ws, grad_bs, new_ws, new_bs)


#: the one case of an unstacked step, ``a[..., 0]``, as a C callable (``map`` calls it without a
#: Python frame)
_FIRST_CASE = operator.itemgetter((..., 0))


def _cases_last(a: np.ndarray) -> np.ndarray:
    """``a`` with its first axis moved last, a view: ``np.moveaxis(a, 0, -1)`` without its argument
    checks, which cost some 5 us a call (a step makes ~20 such views)."""
    return a.transpose(*range(1, a.ndim), 0)


def _cases_first(a: np.ndarray) -> np.ndarray:
    """``a`` with its last axis moved first, a view (``np.moveaxis(a, -1, 0)``, see ``_cases_last``)."""
    return a.transpose(a.ndim - 1, *range(a.ndim - 1))


def _descend(param: np.ndarray, eta: np.ndarray, grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    """param - eta * grad, rounded after the product and after the difference (UPD-1, UPD-2)."""
    np.multiply(eta, grad, out=out)
    return np.subtract(param, out, out=out)


def _contract(subscripts: str, a: np.ndarray, b: np.ndarray, out: np.ndarray, acc: np.dtype) -> np.ndarray:
    """A product-sum (FWD-1, BWD-3, GRD-1) into ``out``, accumulated in ``acc`` and rounded once."""
    if acc == out.dtype:
        return np.einsum(subscripts, a, b, out=out)
    np.copyto(out, np.einsum(subscripts, a.astype(acc), b.astype(acc)), casting="same_kind")
    return out


def _grad_weights(delta: np.ndarray, a_in: np.ndarray, out: np.ndarray, acc: np.dtype) -> np.ndarray:
    """grad_W[j, i] = sum over samples s of delta[s, j] * a_in[s, i] (GRD-1) into ``out``, case axis
    last. One sample has nothing to sum: one broadcast multiply writes the outer product, without
    einsum's zero-filled accumulator (half the time for 100,000 2-2-2 networks). The numbers are the
    same. float16 and bfloat16 accumulate in float32, but their own multiply rounds that same float32
    product once, as einsum's result is rounded. Only two things can differ: a zero product keeps
    its sign, where einsum's 0 + p makes -0 into +0 (no spec value depends on the sign of a zero),
    and a product of two NaNs may carry the other one's payload."""
    if delta.shape[0] == 1:
        return np.multiply(delta[0, :, None], a_in[0, None], out=out)
    return _contract("bjc,bic->jic", delta, a_in, out, acc)


def _result_nbytes(sizes: Sequence[int], batch: int, width: int, dt: np.dtype) -> int:
    """The workspace the results of a step take, alignment included."""
    per_case = 1 + sum([3 * batch * n_out + 2 * n_in * n_out + 2 * n_out
                        for n_in, n_out in zip(sizes, sizes[1:], strict=False)])
    return per_case * width * dt.itemsize + ALIGN * (7 * len(sizes) + 1)
