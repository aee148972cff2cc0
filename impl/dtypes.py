"""The dtypes bpspec.impl computes in, and where it accumulates (spec ADP-1, ADP-3).

float64 and float32 compute and accumulate in the dtype itself. float16 and bfloat16 (the latter
through ml_dtypes) compute every elementwise operation in the dtype: NumPy evaluates each one in
float32 and rounds once, which for these short formats is the correctly rounded result. Their
matrix products and their sums over samples or units are accumulated in float32 and rounded once
to the dtype at the end, as accelerators with float32 accumulators do; NumPy has no BLAS path for
them. That is the implementation's accumulation policy; ``accumulator`` names it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ml_dtypes
import numpy as np

DTYPES: dict[str, np.dtype] = {
    "float64": np.dtype(np.float64),
    "float32": np.dtype(np.float32),
    "float16": np.dtype(np.float16),
    "bfloat16": np.dtype(ml_dtypes.bfloat16),
}

_FLOAT32_ACCUMULATED = ("float16", "bfloat16")


def resolve(name: object) -> np.dtype:
    """The NumPy dtype of a contract dtype name; NotImplementedError for any other (ADP-3)."""
    key = str(name)
    if key not in DTYPES:
        raise NotImplementedError(
            f"dtype {key!r} is not implemented by bpspec.impl; it computes in {', '.join(DTYPES)}")
    return DTYPES[key]


_ACCUMULATORS = {DTYPES[name]: DTYPES["float32"] for name in _FLOAT32_ACCUMULATED}


def accumulator(dtype: np.dtype) -> np.dtype:
    """The dtype matrix products and sums of ``dtype`` accumulate in: float32 for the 16-bit
    formats, the dtype itself otherwise. (A dict lookup: ``dtype.name`` costs microseconds.)"""
    return _ACCUMULATORS.get(dtype, dtype)


def sum_into(a: np.ndarray, axis: int | tuple[int, ...], out: np.ndarray, acc: np.dtype) -> np.ndarray:
    """A sum over samples or units (LOSS-4, GRD-2) into ``out``, accumulated in ``acc`` (see
    ``accumulator``) and rounded once to ``out``'s dtype. (One axis is best given as an int: a tuple
    costs the reduction some 0.4 us more to read.)"""
    if acc == out.dtype:
        return np.add.reduce(a, axis=axis, out=out)
    np.copyto(out, np.add.reduce(a.astype(acc), axis=axis), casting="same_kind")
    return out


SCALAR_DTYPES = ("float64", "float32")
"""The dtypes the straight-line kernel computes in, on scalars (``bpspec.impl.kernel``)."""


def elementary(fn: Callable[[float], float], dtype: str) -> Callable[[Any], Any]:
    """A ``math`` function for the kernel's scalars of ``dtype``: ``fn`` itself for float64; for
    float32 its float64 result rounded once to float32 (correctly rounded but for a double-rounding
    tie, at least as accurate as NumPy's own float32 routine)."""
    if dtype == "float64":
        return fn
    if dtype != "float32":
        raise ValueError(f"the kernel computes in {', '.join(SCALAR_DTYPES)}, not {dtype}")
    single = np.float32
    return lambda v: single(fn(v))


def finfo(dtype: np.dtype) -> ml_dtypes.finfo:
    """Machine limits of any supported dtype (numpy.finfo does not know bfloat16)."""
    return ml_dtypes.finfo(dtype)
