"""Logistic sigmoid (spec ACT-1).

forward:    out = 1 / (1 + exp(-net))
derivative: out' = sigmoid(net) * sigmoid(-net)

Everything comes from e = exp(-|net|), in [0, 1] for every finite net, so nothing overflows:
r = 1 / (1 + e) is sigmoid(|net|) and e * r is sigmoid(-|net|). out is r for net >= 0 and e * r
below, chosen without a branch as max(e * r, copysign(r, net)): r >= e * r >= 0, so the maximum is
exactly r when the sign is + and exactly e * r when it is - (at net = -0, e = 1 and e * r = r).
The derivative is e * r * r. Nothing cancels; the textbook out * (1 - out) is not used, because
1 - out loses every digit once out rounds to 1 (net beyond 37 in float64, 17 in float32). e is
computed in the derivative's array and the signed r in the result's, so one temporary suffices.

-|net| and copysign(r, net) are bit operations on the arrays' bit patterns (set the sign bit; take
net's): exact, one and two SIMD passes, where NumPy's ``abs`` + ``negative`` take two and its
``sign`` and ``copysign`` are not vectorised (each 4-6 times slower than a pass). On arrays of at
most ``SMALL`` values the ufuncs ``abs``, ``negative`` and ``copysign`` are used instead, which
give the same bits: there the cost of a call, not of a pass, counts, and the bit operations take
more calls (a view of each operand's bits) and a NumPy scalar operand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: unsigned integers of each float width, and their sign bit: the arrays' bit patterns
_BITS = {size: np.dtype(f"u{size}") for size in (2, 4, 8)}
_SIGN = {size: _BITS[size].type(1 << (8 * size - 1)) for size in _BITS}


#: arrays of at most this many values take the ufuncs, larger ones the bit operations (see above).
#: Measured for the whole sigmoid here: the ufuncs 12-23% faster at 1,024-2,048 values, level to 5%
#: faster at 4,096 (W2's hidden layer), the bit operations 10-14% faster in float32 from 16,384
SMALL = 4096


def _bits(a: np.ndarray) -> np.ndarray:
    """A view of ``a``'s bit patterns, as unsigned integers of its width."""
    return a.view(_BITS[a.dtype.itemsize])


def exp_neg_abs(net: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """e = exp(-|net|), in [0, 1] for every finite net: the one exponential of ACT-1, ACT-2, ACT-6.
    May underflow: callers run it under ``np.errstate(under="ignore")``. (-|net| is net with its sign
    bit set, exact: ``-abs(net)`` on a small array, one SIMD pass on the bits otherwise.)"""
    if out is None:
        out = np.empty_like(net)
    if net.size <= SMALL:
        np.negative(np.abs(net, out=out), out=out)
    else:
        np.bitwise_or(_bits(net), _SIGN[net.dtype.itemsize], out=_bits(out))
    return np.exp(out, out=out)


def copysign(magnitude: np.ndarray, sign: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``magnitude`` (its sign bit clear, as for every value >= +0) with the sign bit of ``sign``,
    exact: ``np.copysign`` on a small array, two SIMD passes on the bits otherwise."""
    if out is None:
        out = np.empty_like(magnitude)
    if magnitude.size <= SMALL:
        return np.copysign(magnitude, sign, out=out)
    size, bits = sign.dtype.itemsize, _bits(out)
    np.bitwise_and(_bits(sign), _SIGN[size], out=bits)
    np.bitwise_or(bits, _bits(magnitude), out=bits)
    return out


def forward_and_derivative(net: np.ndarray, params: Mapping[str, Any], out: np.ndarray | None = None,
                           deriv: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """sigmoid(net) = max(e * r, copysign(r, net)) and sigmoid'(net) = e * r * r, r = 1 / (1 + e)
    (ACT-1)."""
    with np.errstate(under="ignore"):
        return forward_and_derivative_into(net, params, out, deriv)


def forward_and_derivative_into(net: np.ndarray, params: Mapping[str, Any], out: np.ndarray | None,
                                deriv: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``forward_and_derivative`` for a caller already under ``np.errstate(under="ignore")``."""
    e = exp_neg_abs(net, deriv)
    r = np.add(e, 1)
    np.divide(1, r, out=r)
    out = copysign(r, net, out)
    np.multiply(e, r, out=e)
    np.maximum(e, out, out=out)
    return out, np.multiply(e, r, out=e)


def forward(net: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """sigmoid(net) (ACT-1)."""
    return forward_and_derivative(net, params)[0]


def derivative(net: np.ndarray, out: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """sigmoid'(net), from net, not from out (ACT-1, ACT-7)."""
    return forward_and_derivative(net, params)[1]


SCALAR_SOURCE = """\
if net >= 0.0:
    e = exp(-net)
    r = 1.0 / (1.0 + e)
    out = r
    deriv = e * r * r
else:
    e = exp(-abs(net))
    r = 1.0 / (1.0 + e)
    out = e * r
    deriv = out * r
"""
"""The formulas on one scalar, as Python statements from ``net`` to ``out`` and ``deriv``, which the
straight-line kernel writes out inline for every unit (ACT-1). For net >= 0, -|net| is -net and out is
r, so that branch needs neither abs nor the select; the other keeps exp(-abs(net)), so that a NaN
keeps its sign."""


def scalar_source(params: Mapping[str, Any]) -> str:
    """``SCALAR_SOURCE``, whatever the params (ACT-1)."""
    return SCALAR_SOURCE
