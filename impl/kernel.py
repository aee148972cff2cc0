"""Straight-line code for one step of a small network, float64 or float32 (spec FWD-1, FWD-2, LOSS-4,
BWD-1, BWD-2, BWD-3, GRD-1, GRD-2, UPD-1, UPD-2, CNV-1, CNV-2, CNV-3).

A sequential training loop cannot stack its steps, and for a 2-2-2 network NumPy's fixed cost per
call (about a microsecond per ufunc on a small machine, and a step needs dozens) is the whole cost.
``compile_step`` therefore writes out, for one architecture and batch size, every multiply-add of
the step as one Python function without loops, and evaluates it on Python floats: IEEE doubles with
correctly rounded arithmetic, and libm's exp, log1p and tanh through ``math``. It performs the
operations of ``network.step`` in the same order (each dot product summed from its first term in
index order, then the bias; the loss summed sample by sample, unit by unit; the same activation and
loss formulas, ``scalar`` of each activation module and the loss modules themselves), so the two
give the same numbers wherever NumPy's and libm's elementary functions agree.

float32 runs the same source on NumPy float32 scalars: their +, -, * and / are IEEE float32
operations, correctly rounded like NumPy's array operations in the same order, so only exp, log1p
and tanh (computed in float64 by ``math`` and rounded once to float32) can differ from the NumPy
engine, by an ulp where they do. A float32 scalar operation costs a few times a Python float's, still
far below a ufunc call on an array.

The generated source is kept on the function as ``__source__``, for reading and debugging.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bpspec.impl.activations import ACTIVATIONS
from bpspec.impl.dtypes import SCALAR_DTYPES
from bpspec.impl.losses import LOSSES
from bpspec.impl.network import Network

#: largest step written out, in multiply-adds; beyond it the NumPy path is the faster one anyway
MAX_TERMS = 4096

Kernel = Callable[[tuple, tuple, tuple, float], tuple[tuple, float]]


def size(sizes: Sequence[int], batch: int) -> int:
    """Multiply-adds of one step: forward, backward and gradient, per sample."""
    return 3 * batch * sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))


_COMPILED: dict[str, Kernel] = {}
MAX_COMPILED = 256


def compile_step(network: Network, sizes: Sequence[int], batch: int) -> Kernel:
    """``kernel(p, x, y, eta) -> (new p, E_total)``; p is ``flatten(weights, biases)``,
    x and y are a batch's rows flattened row by row. Kept per network, sizes and batch, so a run of
    many trajectories of one architecture compiles once (a kernel is a pure function)."""
    key = repr((network, tuple(int(n) for n in sizes), int(batch)))
    if key not in _COMPILED:
        if len(_COMPILED) >= MAX_COMPILED:
            _COMPILED.clear()
        _COMPILED[key] = _compile(network, sizes, batch)
    return _COMPILED[key]


def _compile(network: Network, sizes: Sequence[int], batch: int) -> Kernel:
    if network.dtype not in SCALAR_DTYPES:
        raise ValueError(f"the straight-line kernel computes in {' and '.join(SCALAR_DTYPES)} only")
    if size(sizes, batch) > MAX_TERMS:
        raise ValueError(f"a step of {size(sizes, batch)} multiply-adds is too large to write out")
    n_layers, n_out, conv = len(sizes) - 1, sizes[-1], network.conventions
    rows = range(batch)

    def w(k: int, j: int, i: int, new: bool = False) -> str:
        return f"{'v' if new else 'w'}{k}_{j}_{i}"

    def a(k: int, s: int, i: int) -> str:
        return f"x{s}_{i}" if k == 0 else f"o{k - 1}_{s}_{i}"

    def dot(pairs: list[tuple[str, str]]) -> str:
        return " + ".join(f"{p} * {q}" for p, q in pairs)

    old, new = _names(sizes, False), _names(sizes, True)
    xs = [f"x{s}_{i}" for s in rows for i in range(sizes[0])]
    ys = [f"y{s}_{j}" for s in rows for j in range(n_out)]
    lines = ["def kernel(p, x, y, eta):", f"    {', '.join(old)}, = p",
             f"    {', '.join(xs)}, = x", f"    {', '.join(ys)}, = y"]
    for k in range(n_layers):
        for s in rows:
            for j in range(sizes[k + 1]):
                terms = dot([(w(k, j, i), a(k, s, i)) for i in range(sizes[k])])
                lines.append(f"    n{k}_{s}_{j} = {terms} + b{k}_{j}")
                lines.append(f"    o{k}_{s}_{j}, d{k}_{s}_{j} = f{k}(n{k}_{s}_{j})")
    last, per_batch = n_layers - 1, " / " + str(batch) if network.reduction == "mean" else ""
    outputs = [(f"o{last}_{s}_{j}", f"y{s}_{j}") for s in rows for j in range(n_out)]
    lines.append(f"    E_total = ({' + '.join(f'term({o}, {t}, {n_out})' for o, t in outputs)}){per_batch}")
    for o, t in outputs:
        lines.append(f"    g{o[1:]} = grad({o}, {t}, {n_out}, conv){per_batch}")
    post = conv["hidden_delta_weights"] == "post_update"
    for k in reversed(range(n_layers)):
        for s in rows:
            for i in range(sizes[k + 1]):
                if k < last:
                    terms = dot([(f"D{k + 1}_{s}_{j}", w(k + 1, j, i, post)) for j in range(sizes[k + 2])])
                    lines.append(f"    g{k}_{s}_{i} = {terms}")
                lines.append(f"    D{k}_{s}_{i} = g{k}_{s}_{i} * d{k}_{s}_{i}")
        for j in range(sizes[k + 1]):
            for i in range(sizes[k]):
                grad_w = dot([(f"D{k}_{s}_{j}", a(k, s, i)) for s in rows])
                lines.append(f"    {w(k, j, i, True)} = {w(k, j, i)} - eta * ({grad_w})")
            grad_b = " + ".join(f"D{k}_{s}_{j}" for s in rows)
            update = f" - eta * ({grad_b})" if conv["bias_update"] == "true" else ""
            lines.append(f"    c{k}_{j} = b{k}_{j}{update}")
    lines.append(f"    return ({', '.join(new)},), E_total")
    source = "\n".join(lines) + "\n"
    loss = LOSSES[network.loss]
    namespace = {f"f{k}": ACTIVATIONS[name].scalar(network.activation_params, network.dtype)
                 for k, name in enumerate(network.activations)}
    namespace.update(term=loss.term, grad=loss.grad, conv=dict(conv))
    exec(compile(source, f"<bpspec kernel {sizes} batch {batch}>", "exec"), namespace)
    kernel = namespace["kernel"]
    kernel.__source__ = source
    return kernel


def _names(sizes: Sequence[int], new: bool) -> list[str]:
    w, b = ("v", "c") if new else ("w", "b")
    names = []
    for k in range(len(sizes) - 1):
        names += [f"{w}{k}_{j}_{i}" for j in range(sizes[k + 1]) for i in range(sizes[k])]
        names += [f"{b}{k}_{j}" for j in range(sizes[k + 1])]
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
