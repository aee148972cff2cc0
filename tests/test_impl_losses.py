"""The NumPy losses against the mpmath reference (LOSS-1, LOSS-2, LOSS-3, CNV-3).

Each loss is one or two correctly rounded operations per value, so in float64 the terms and
gradients agree with the reference to a few units in the last place (RTOL), and the gradients, which
are exact scalings of a single difference, to its rounding alone.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from bpspec.contract import conventions
from bpspec.impl.dtypes import DTYPES, finfo
from bpspec.impl.losses import LOSSES
from bpspec.reference import LOSSES as REFERENCE

RTOL = 4 * 2.0**-53
FACTORS = ("2/n", "1")


@pytest.fixture(scope="module")
def values() -> tuple[np.ndarray, np.ndarray]:
    """Outputs and targets in (-2, 2), 64 pairs, with some equal pairs (a zero difference)."""
    rng = np.random.default_rng(2024)
    out, target = rng.uniform(-2, 2, (2, 64))
    target[::8] = out[::8]
    return out, target


def exact(fn, out: np.ndarray, target: np.ndarray, *extra) -> np.ndarray:
    """The reference function at 40 digits, rounded once to float64."""
    with mpmath.workdps(40):
        return np.array([float(fn(mpmath.mpf(float(o)), mpmath.mpf(float(t)), *extra))
                         for o, t in zip(out, target, strict=True)])


@pytest.mark.parametrize("n_out", [1, 3])
@pytest.mark.parametrize("factor", FACTORS)
@pytest.mark.parametrize("name", LOSSES)
def test_term_and_grad_match_the_reference(name, factor, n_out, values):
    """LOSS-1, LOSS-2, LOSS-3 and the mse_grad_factor convention CNV-3, in float64."""
    out, target = values
    conv = conventions({"mse_grad_factor": factor})
    loss, ref = LOSSES[name], REFERENCE[name]
    want_term = exact(ref.term, out, target, n_out)
    want_grad = exact(ref.grad, out, target, n_out, conv)
    np.testing.assert_allclose(loss.term(out, target, n_out), want_term, rtol=RTOL, atol=0)
    np.testing.assert_allclose(loss.grad(out, target, n_out, conv), want_grad, rtol=RTOL, atol=0)


@pytest.mark.parametrize("name", LOSSES)
def test_python_floats_give_the_array_numbers(name, values):
    """LOSS-1 .. LOSS-3: the float64 kernel calls the same functions on floats, to the same bits."""
    out, target = values
    conv = conventions({})
    loss = LOSSES[name]
    assert [loss.term(float(o), float(t), 3) for o, t in zip(out, target, strict=True)] == \
        loss.term(out, target, 3).tolist()
    assert [loss.grad(float(o), float(t), 3, conv) for o, t in zip(out, target, strict=True)] == \
        loss.grad(out, target, 3, conv).tolist()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", LOSSES)
def test_dtype_is_kept(name, dtype):
    """LOSS-1 .. LOSS-3 compute in the dtype of their arguments (Python numbers stay weak)."""
    dt = DTYPES[dtype]
    out, target = np.array([0.5, -1.0]).astype(dt), np.array([0.25, 1.0]).astype(dt)
    assert LOSSES[name].term(out, target, 2).dtype == dt
    assert LOSSES[name].grad(out, target, 2, conventions({})).dtype == dt


def test_mse_grad_factor():
    """CNV-3: 2/n (conforming) against 1 (seed 004's variant, ERR-2); no effect on half_sse and sse."""
    out, target = np.array([1.5]), np.array([0.5])
    conforming, variant = conventions({}), conventions({"mse_grad_factor": "1"})
    assert LOSSES["mse"].grad(out, target, 4, conforming).tolist() == [0.5]
    assert LOSSES["mse"].grad(out, target, 4, variant).tolist() == [1.0]
    for name in ("half_sse", "sse"):
        assert LOSSES[name].grad(out, target, 4, conforming) == LOSSES[name].grad(out, target, 4, variant)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("factor", FACTORS)
@pytest.mark.parametrize("name", LOSSES)
def test_term_and_grad_give_the_bits_of_term_and_grad(name, factor, dtype):
    """LOSS-1 .. LOSS-3, CNV-3: the fused array form (one subtraction for both) writes the bits of
    ``term`` and ``grad`` into the arrays it is given, in every dtype, signed zeros, subnormal
    squares and overflowing doubles included."""
    dt = DTYPES[dtype]
    rng = np.random.default_rng(7)
    big = float(finfo(dt).max)
    out = np.concatenate([rng.uniform(-2, 2, 200), [0.0, -0.0, 1e-30, -1e-30, big / 2, -big / 2, big]])
    target = np.concatenate([rng.uniform(-2, 2, 200), [-0.0, 0.0, -1e-30, 1e-30, -big / 2, big / 2, big]])
    target[::9] = out[::9]
    out, target = out.astype(dt), target.astype(dt)
    conv, loss = conventions({"mse_grad_factor": factor}), LOSSES[name]
    term_out, grad_out = np.empty_like(out), np.empty_like(out)
    with np.errstate(over="ignore", under="ignore"):
        term, grad = loss.term_and_grad(out, target, 3, conv, term_out, grad_out)
        want_term, want_grad = loss.term(out, target, 3), loss.grad(out, target, 3, conv)
    assert term is term_out and grad is grad_out
    assert term.tobytes() == want_term.tobytes() and grad.tobytes() == want_grad.tobytes()
