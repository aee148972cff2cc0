"""The NumPy activations against the mpmath reference, and their behaviour at the ends of every
dtype's range (ACT-1 .. ACT-7).

Accuracy is measured in units in the last place of the dtype, against the exact function of the
(exact) dtype input; MAX_ULPS bounds what the stable forms achieve in every dtype: each result is a
few correctly rounded operations on exp(-|net|).
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

from bpspec.impl import formula
from bpspec.impl.activations import ACTIVATIONS
from bpspec.impl.dtypes import DTYPES, finfo
from bpspec.reference import ACTIVATIONS as REFERENCE

PARAMS = {"leaky_relu_slope": "0.125"}
SMOOTH = ("sigmoid", "tanh", "softplus")
MAX_ULPS = 5


def extremes(dtype: np.dtype) -> np.ndarray:
    """0, -0, the smallest subnormal and normal, 1, powers of ten and the largest finite value, +-."""
    fi = finfo(dtype)
    top = float(fi.max)
    magnitudes = [0.0, float(fi.smallest_subnormal), float(fi.tiny), float(fi.eps), 0.5, 1.0, 2.0,
                  top / 2, top, *(10.0**k for k in range(-40, 309) if 10.0**k < top)]
    grid = np.array([s * m for m in magnitudes for s in (1.0, -1.0)])
    return grid.astype(dtype)


def ulps(got: np.ndarray, exact: list, dtype: np.dtype) -> np.ndarray:
    """|got - exact| in units of the dtype's spacing at exact (subnormal spacing at the bottom)."""
    fi = finfo(dtype)
    bottom = mpmath.log(float(fi.smallest_subnormal), 2)
    errors = []
    for g, e in zip(got.astype(np.float64), exact, strict=True):
        exponent = mpmath.floor(mpmath.log(abs(e), 2)) - fi.nmant if e else bottom
        errors.append(float(abs(mpmath.mpf(float(g)) - e) / mpmath.mpf(2) ** max(exponent, bottom)))
    return np.array(errors)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_no_flag_and_finite_at_the_ends_of_the_range(name, dtype):
    """ACT-1, ACT-2, ACT-6 (stable evaluation): no overflow, underflow or invalid flag, no warning,
    finite results of the input's dtype for every finite input, up to +-max in every dtype."""
    act, net = ACTIVATIONS[name], extremes(DTYPES[dtype])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        out, deriv = act.forward_and_derivative(net, PARAMS)
        assert np.array_equal(act.forward(net, PARAMS), out)
        assert np.array_equal(act.derivative(net, out, PARAMS), deriv)
    for value in (out, deriv):
        assert value.dtype == DTYPES[dtype] and value.shape == net.shape
        assert np.isfinite(value.astype(np.float64)).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", SMOOTH)
def test_accurate_to_a_few_ulps(name, dtype):
    """ACT-1, ACT-2, ACT-6, ACT-7: forward and derivative within MAX_ULPS of the exact values over
    the dtype's range, including the saturated tails where the textbook forms fail."""
    dt = DTYPES[dtype]
    top = min(float(finfo(dt).max), 800.0)
    net = np.unique(np.concatenate([np.linspace(-top, top, 301), np.linspace(-20, 20, 301)]).astype(dt))
    out, deriv = ACTIVATIONS[name].forward_and_derivative(net, PARAMS)
    with mpmath.workdps(40):
        points = [mpmath.mpf(float(v)) for v in net]
        exact_out = [REFERENCE[name].forward(p, PARAMS) for p in points]
        exact_deriv = [REFERENCE[name].derivative(p, None, PARAMS) for p in points]
        assert ulps(out, exact_out, dt).max() <= MAX_ULPS
        assert ulps(deriv, exact_deriv, dt).max() <= MAX_ULPS


def test_textbook_tanh_derivative_is_not_accurate():
    """ACT-2: 1 - tanh^2 returns 0 at net = 20 in float64, where sech^2 is 1.7e-17; the impl is not."""
    net = np.array([20.0, -20.0, 3.0])
    textbook = 1 - np.tanh(net) ** 2
    deriv = ACTIVATIONS["tanh"].derivative(net, np.tanh(net), {})
    with mpmath.workdps(40):
        exact = [mpmath.sech(mpmath.mpf(v)) ** 2 for v in net]
        assert ulps(textbook, exact, net.dtype).max() > 1e6
        assert ulps(deriv, exact, net.dtype).max() <= MAX_ULPS


@pytest.mark.parametrize("dtype", DTYPES)
def test_kinks(dtype):
    """ACT-3: relu(0) = 0 and relu'(0) = 0; ACT-5: leaky_relu'(0) = slope; ACT-4: identity' = 1."""
    net = np.array([-1.0, -0.0, 0.0, 1.0]).astype(DTYPES[dtype])
    out, deriv = ACTIVATIONS["relu"].forward_and_derivative(net, {})
    assert out.tolist() == [0, 0, 0, 1] and deriv.tolist() == [0, 0, 0, 1]
    out, deriv = ACTIVATIONS["leaky_relu"].forward_and_derivative(net, {"leaky_relu_slope": "0.25"})
    assert out.tolist() == [-0.25, 0, 0, 1] and deriv.tolist() == [0.25, 0.25, 0.25, 1]
    assert ACTIVATIONS["identity"].derivative(net, net, {}).tolist() == [1, 1, 1, 1]


@pytest.mark.parametrize("given", [{}, {"leaky_relu_slope": "0.01"}, {"leaky_relu_slope": 0.01}])
def test_leaky_relu_slope_forms(given):
    """ACT-5: the slope defaults to 0.01 and may be a decimal string or a float."""
    net = np.array([-2.0, 3.0])
    out, deriv = ACTIVATIONS["leaky_relu"].forward_and_derivative(net, given)
    assert out.tolist() == [-0.02, 3.0] and deriv.tolist() == [0.01, 1.0]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_scalar_form_matches_the_array_form(name):
    """ACT-1 .. ACT-6: the float64 kernel's scalar formulas give the array formulas' numbers (tanh
    itself within one ulp: NumPy's float64 tanh is its own SIMD routine, not libm's)."""
    net = np.concatenate([np.linspace(-40, 40, 161), [0.0, -0.0, 1e-300, -800.0, 800.0]])
    out, deriv = ACTIVATIONS[name].forward_and_derivative(net, PARAMS)
    f = formula.activation_formula(name, PARAMS)
    pairs = np.array([f(float(v)) for v in net])
    np.testing.assert_array_equal(pairs[:, 1], deriv)
    if name == "tanh":
        np.testing.assert_array_max_ulp(pairs[:, 0], out, maxulp=1)
    else:
        np.testing.assert_array_equal(pairs[:, 0], out)


@pytest.mark.parametrize("dtype", DTYPES)
def test_small_and_large_arrays_take_forms_with_the_same_bits(monkeypatch, dtype):
    """ACT-1, ACT-2, ACT-6: the ufunc forms of -|net| and copysign used on arrays of at most
    ``sigmoid.SMALL`` values and the bit operations used on larger ones give the same bits, at the
    ends of the range, on NaN and on random values."""
    from bpspec.impl.activations import sigmoid

    rng = np.random.default_rng(5)
    special = np.concatenate([extremes(dtype), np.array([np.nan, -np.nan, np.inf, -np.inf], dtype=dtype)])
    net = np.concatenate([special, (rng.standard_normal(sigmoid.SMALL) * 30).astype(dtype)])[:sigmoid.SMALL]

    def every_result() -> list[np.ndarray]:
        with np.errstate(all="ignore"):
            results = [a for name in SMOOTH for a in ACTIVATIONS[name].forward_and_derivative(net, PARAMS)]
            return [*results, sigmoid.exp_neg_abs(net), sigmoid.copysign(np.abs(net), net)]

    small = every_result()
    monkeypatch.setattr(sigmoid, "SMALL", 0)
    large = every_result()
    assert [a.dtype for a in small] == [a.dtype for a in large]
    assert all(a.tobytes() == b.tobytes() for a, b in zip(small, large, strict=True))
