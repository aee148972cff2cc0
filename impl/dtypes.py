"""The dtypes bpspec.impl computes in, and where it accumulates (spec ADP-1, ADP-3).

float64 and float32 compute and accumulate in the dtype itself. float16 and bfloat16 (the latter
through ml_dtypes) compute every elementwise operation in the dtype: NumPy evaluates each one in
float32 and rounds once, which for these short formats is the correctly rounded result. Their
matrix products and their sums over samples or units are accumulated in float32 and rounded once
to the dtype at the end, as accelerators with float32 accumulators do; NumPy has no BLAS path for
them. That is the implementation's accumulation policy; ``accumulator`` names it.
"""

from __future__ import annotations

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


def accumulator(dtype: np.dtype) -> np.dtype:
    """The dtype matrix products and sums of ``dtype`` accumulate in: float32 for the 16-bit
    formats, the dtype itself otherwise."""
    return DTYPES["float32"] if dtype.name in _FLOAT32_ACCUMULATED else dtype


def finfo(dtype: np.dtype) -> ml_dtypes.finfo:
    """Machine limits of any supported dtype (numpy.finfo does not know bfloat16)."""
    return ml_dtypes.finfo(dtype)
