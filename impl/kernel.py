"""Straight-line code for steps of a small network, float64 or float32 (spec FWD-1, FWD-2, LOSS-4,
BWD-1, BWD-2, BWD-3, GRD-1, GRD-2, UPD-1, UPD-2, UPD-3, UPD-4, CNV-1, CNV-2, CNV-3).

A sequential training loop cannot stack its steps, and for a 2-2-2 network NumPy's fixed cost per
call (about a microsecond per ufunc on a small machine, and a step needs dozens) is the whole cost.
``compile_run`` therefore writes out, for one architecture and batch size, every multiply-add of
a step, without loops, as the body of one loop over the steps, and evaluates it on Python floats:
IEEE doubles with correctly rounded arithmetic, and libm's exp, log1p and tanh through ``math``. It
performs the operations of ``network.step`` in the same order (each dot product summed from its
first term in index order, then the bias; the loss summed sample by sample, unit by unit; the same
activation and loss formulas), so the two give the same numbers wherever NumPy's and libm's
elementary functions agree. The parameters stay in local variables from step to step, updated in
place; ``compile_step`` is one step of that loop.

The formulas are written out inline, not called: each activation's and loss's ``scalar_source``,
renamed to the unit's variables by ``bpspec.impl.formula`` (temporaries such as ``e`` and ``r`` keep
their names), so a unit costs no call, tuple or convention lookup.

float32 runs the same statements on NumPy float32 scalars: their +, -, * and / are IEEE float32
operations, correctly rounded like NumPy's array operations in the same order, so only exp, log1p
and tanh (computed in float64 by ``math`` and rounded once to float32, as ``dtypes.elementary``
does) can differ from the NumPy engine, by an ulp where they do; ``formula`` rewrites the statements
so that float32 scalars cost less, without changing a bit.

The generated source is kept on the function as ``__source__``, for reading and debugging.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bpspec.impl.activations import ACTIVATIONS
from bpspec.impl.dtypes import SCALAR_DTYPES
from bpspec.impl.formula import Source
from bpspec.impl.losses import LOSSES
from bpspec.impl.network import Network

#: largest step written out, in multiply-adds; beyond it the NumPy path is the faster one anyway
MAX_TERMS = 4096

#: ``kernel(p, x, y, eta) -> (new p, E_total)``
Kernel = Callable[[tuple, tuple, tuple, Any], tuple[tuple, Any]]
#: ``run(p, data, eta, steps) -> (p after the steps, E_total of each step)``
Run = Callable[[tuple, Sequence[tuple[tuple, tuple]], Any, int], tuple[tuple, list]]

def size(sizes: Sequence[int], batch: int) -> int:
    """Multiply-adds of one step: forward, backward and gradient, per sample."""
    return 3 * batch * sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))


_COMPILED: dict[str, Run] = {}
MAX_COMPILED = 256


def compile_step(network: Network, sizes: Sequence[int], batch: int) -> Kernel:
    """``kernel(p, x, y, eta) -> (new p, E_total)``; p is ``flatten(weights, biases)``,
    x and y are a batch's rows flattened row by row: one step of ``compile_run``'s loop."""
    run = compile_run(network, sizes, batch)

    def kernel(p: tuple, x: tuple, y: tuple, eta: Any) -> tuple[tuple, Any]:
        p, (E_total,) = run(p, ((x, y),), eta, 1)
        return p, E_total

    kernel.__source__ = run.__source__
    return kernel


def compile_run(network: Network, sizes: Sequence[int], batch: int) -> Run:
    """``run(p, data, eta, steps) -> (p, losses)``: ``steps`` updates, update s on the batch
    ``data[s % len(data)]`` (each an (x, y) pair of rows flattened row by row, all of ``batch``
    rows), p as ``flatten(weights, biases)`` before and after, and E_total of each step before its
    update (UPD-3, UPD-4). Kept per network, sizes and batch, so a run of many trajectories of one
    architecture compiles once (a kernel is a pure function)."""
    key = repr((network, tuple(int(n) for n in sizes), int(batch)))
    if key not in _COMPILED:
        if len(_COMPILED) >= MAX_COMPILED:
            _COMPILED.clear()
        _COMPILED[key] = _compile(network, sizes, batch)
    return _COMPILED[key]


def _compile(network: Network, sizes: Sequence[int], batch: int) -> Run:
    if network.dtype not in SCALAR_DTYPES:
        raise ValueError(f"the straight-line kernel computes in {' and '.join(SCALAR_DTYPES)} only")
    if size(sizes, batch) > MAX_TERMS:
        raise ValueError(f"a step of {size(sizes, batch)} multiply-adds is too large to write out")
    source = Source(network.dtype)
    body = _step(source, network, sizes, batch)
    params = ", ".join(_names(sizes))
    xs = ", ".join(f"x{s}_{i}" for s in range(batch) for i in range(sizes[0]))
    ys = ", ".join(f"y{s}_{j}" for s in range(batch) for j in range(sizes[-1]))
    lines = ["def run(p, data, eta, steps):", f"    {params}, = p", "    losses = []",
             "    for x, y in islice(cycle(data), steps):", f"        {xs}, = x", f"        {ys}, = y",
             *(f"        {line}" for line in body), "        losses.append(E_total)",
             f"    return ({params},), losses"]
    return source.compile(lines, f"<bpspec kernel {list(sizes)} batch {batch} {network.dtype}>")["run"]


def _step(source: Source, network: Network, sizes: Sequence[int], batch: int) -> list[str]:
    """One step's statements, from the inputs' and parameters' variables to the updated parameters
    (in the same variables) and E_total. The parameters are updated in place: with pre-update hidden
    deltas (CNV-1) a layer's weights are updated once the layer below has its deltas, with post-update
    ones before."""
    n_layers, n_out, conv = len(sizes) - 1, sizes[-1], network.conventions
    last, rows = n_layers - 1, range(batch)
    per_batch = f" / {source.number(batch)}" if network.reduction == "mean" else ""

    def a(k: int, s: int, i: int) -> str:
        return f"x{s}_{i}" if k == 0 else f"o{k - 1}_{s}_{i}"

    def dot(pairs: list[tuple[str, str]]) -> str:
        return " + ".join(f"{p} * {q}" for p, q in pairs)

    lines = []
    for k, name in enumerate(network.activations[:n_layers]):
        formula = ACTIVATIONS[name].scalar_source(network.activation_params)
        for s in rows:
            for j in range(sizes[k + 1]):
                terms = dot([(f"w{k}_{j}_{i}", a(k, s, i)) for i in range(sizes[k])])
                lines.append(f"n{k}_{s}_{j} = {terms} + b{k}_{j}")
                lines += source.formula(formula, {"net": f"n{k}_{s}_{j}", "out": f"o{k}_{s}_{j}",
                                                  "deriv": f"d{k}_{s}_{j}"})
    formula = LOSSES[network.loss].scalar_source(conv)
    for s in rows:
        for j in range(n_out):
            names = {"out": f"o{last}_{s}_{j}", "target": f"y{s}_{j}", "n_out": n_out, "term": f"t{s}_{j}",
                     "grad": f"g{last}_{s}_{j}"}
            lines += source.formula(formula, names)
            if per_batch:
                lines.append(f"g{last}_{s}_{j} = g{last}_{s}_{j}{per_batch}")
    terms = " + ".join(f"t{s}_{j}" for s in rows for j in range(n_out))
    lines.append(f"E_total = ({terms}){per_batch}")

    def deltas(k: int) -> None:
        for s in rows:
            for i in range(sizes[k + 1]):
                if k < last:
                    terms = dot([(f"D{k + 1}_{s}_{j}", f"w{k + 1}_{j}_{i}") for j in range(sizes[k + 2])])
                    lines.append(f"g{k}_{s}_{i} = {terms}")
                lines.append(f"D{k}_{s}_{i} = g{k}_{s}_{i} * d{k}_{s}_{i}")

    def update(k: int) -> None:
        for j in range(sizes[k + 1]):
            for i in range(sizes[k]):
                grad_w = dot([(f"D{k}_{s}_{j}", a(k, s, i)) for s in rows])
                lines.append(f"w{k}_{j}_{i} = w{k}_{j}_{i} - eta * ({grad_w})")
            if conv["bias_update"] == "true":
                lines.append(f"b{k}_{j} = b{k}_{j} - eta * ({' + '.join(f'D{k}_{s}_{j}' for s in rows)})")

    post = conv["hidden_delta_weights"] == "post_update"
    deltas(last)
    for k in reversed(range(n_layers)):
        if post:
            update(k)
        if k > 0:
            deltas(k - 1)
        if not post:
            update(k)
    return lines


def _names(sizes: Sequence[int]) -> list[str]:
    names = []
    for k in range(len(sizes) - 1):
        names += [f"w{k}_{j}_{i}" for j in range(sizes[k + 1]) for i in range(sizes[k])]
        names += [f"b{k}_{j}" for j in range(sizes[k + 1])]
    return names


def scalars(a: np.ndarray) -> tuple[Any, ...]:
    """The numbers of an array, flattened, as the kernel computes on them: Python floats for float64
    (the fastest scalars there are), NumPy scalars of the dtype otherwise."""
    flat = np.ravel(a)
    return tuple(flat.tolist()) if flat.dtype == np.float64 else tuple(flat)


def flatten(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]) -> tuple[Any, ...]:
    """The parameters as the kernel's tuple p: per layer its weights row by row, then its biases."""
    parts = [part.ravel() for w, b in zip(weights, biases, strict=True) for part in (w, b)]
    return scalars(np.concatenate(parts))


def unflatten(p: Sequence[Any], sizes: Sequence[int], dtype: Any = np.float64
              ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The kernel's tuple p back as weight and bias arrays of ``dtype``."""
    weights, biases, at = [], [], 0
    for n_in, n_out in zip(sizes, sizes[1:], strict=False):
        weights.append(np.array(p[at:at + n_out * n_in], dtype=dtype).reshape(n_out, n_in))
        at += n_out * n_in
        biases.append(np.array(p[at:at + n_out], dtype=dtype))
        at += n_out
    return weights, biases
