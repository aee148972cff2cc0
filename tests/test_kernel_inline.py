"""The straight-line kernel writes each activation's and loss's formulas inline, from the module's
``scalar_source``: those statements must compute what the activation's array form computes (to an
ulp where elementary functions differ) and the loss's ``term`` and ``grad``, bit for bit, in float64
and float32, at the edges too (ACT-1 .. ACT-6, LOSS-1 .. LOSS-3,
CNV-3); and the kernel's many-step loop must compute its single steps (UPD-3, UPD-4)."""

from __future__ import annotations

import numpy as np
import pytest

from bpspec.impl import formula, kernel
from bpspec.impl.activations import ACTIVATIONS
from bpspec.impl.losses import LOSSES
from bpspec.impl.network import Network

NAN = np.float64("nan")
EDGES = [0.0, -0.0, 1e-300, -1e-300, 5e-324, -5e-324, 1e-40, -1e-40, 0.5, -0.5, 17.0, -17.0, 40.0, -40.0,
         88.8, -88.8, 800.0, -800.0, 3.4e38, -3.4e38, np.inf, -np.inf, NAN, -NAN]
VALUES = np.concatenate([np.linspace(-40, 40, 321), EDGES])


def bits(values: list, dtype: str) -> np.ndarray:
    return np.array(values, dtype=dtype).view(np.uint64 if dtype == "float64" else np.uint32)


def scalars(values: np.ndarray, dtype: str) -> list:
    with np.errstate(over="ignore"):
        return list(kernel.scalars(values.astype(dtype)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("params", [{}, {"leaky_relu_slope": "-0.3"}], ids=["default", "slope"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_inline_activation_is_the_array_form(name, params, dtype):
    """ACT-1 .. ACT-6: out and f'(net) of the inline statements are the array form's at the edges too
    (zeros, subnormals, overflow, infinities), within a few ulps where an elementary function
    is libm's on one side and NumPy's own on the other (float32 exp, log1p, tanh; float64 tanh) and
    the ulp it may differ by passes through a product or two."""
    f = formula.activation_formula(name, params, dtype)
    values = VALUES[~np.isnan(VALUES)]  # a NaN net: relu's scalar branch gives 0, np.maximum NaN
    with np.errstate(over="ignore", invalid="ignore"):
        got = [f(v) for v in scalars(values, dtype)]
        want = ACTIVATIONS[name].forward_and_derivative(values.astype(dtype), params)
    for i in (0, 1):
        mine = np.array([v[i] for v in got], dtype=dtype)
        np.testing.assert_allclose(mine, want[i], rtol=4 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("factor", ["2/n", "1"])
@pytest.mark.parametrize("name", LOSSES)
def test_inline_loss_is_term_and_grad(name, factor, dtype):
    """LOSS-1 .. LOSS-3, CNV-3: term and grad of the inline statements are the module's."""
    conventions = {"mse_grad_factor": factor}
    rng = np.random.default_rng(7)
    out = np.concatenate([rng.uniform(-2, 2, 200), EDGES, [0.25, -0.0, 0.0]])
    target = np.concatenate([rng.uniform(-1, 1, 200), rng.uniform(-1, 1, len(EDGES)), [0.25, 0.0, -0.0]])
    g = formula.loss_formula(name, conventions, 3, dtype)
    loss = LOSSES[name]
    with np.errstate(over="ignore", invalid="ignore"):
        pairs = list(zip(scalars(out, dtype), scalars(target, dtype), strict=True))
        got = [g(o, t) for o, t in pairs]
        terms = [loss.term(o, t, 3) for o, t in pairs]
        grads = [loss.grad(o, t, 3, conventions) for o, t in pairs]
    np.testing.assert_array_equal(bits(terms, dtype), bits([v[0] for v in got], dtype))
    np.testing.assert_array_equal(bits(grads, dtype), bits([v[1] for v in got], dtype))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("conventions", [{}, {"hidden_delta_weights": "post_update", "bias_update": "true"}],
                         ids=["pre", "post"])
def test_run_kernel_is_repeated_step_kernel(conventions, dtype):
    """UPD-3, UPD-4: ``compile_run`` over a cycle of three batches gives what ``compile_step`` gives
    step after step, parameters and every E_total, bit for bit."""
    rng = np.random.default_rng(3)
    sizes, batch = [3, 4, 2, 2], 2
    net = Network(("tanh", "softplus", "sigmoid"), "mse", "mean", conventions=conventions, dtype=dtype)
    weights = [rng.standard_normal((b, a)).astype(dtype) for a, b in zip(sizes, sizes[1:], strict=False)]
    biases = [rng.standard_normal(b).astype(dtype) for b in sizes[1:]]
    data = [(kernel.scalars(rng.standard_normal((batch, 3)).astype(dtype)),
             kernel.scalars(rng.uniform(0, 1, (batch, 2)).astype(dtype))) for _ in range(3)]
    (eta,) = kernel.scalars(np.array([0.7], dtype=dtype))
    p0 = kernel.flatten(weights, biases)
    step = kernel.compile_step(net, sizes, batch)
    p, losses = p0, []
    for s in range(20):
        p, loss = step(p, *data[s % 3], eta)
        losses.append(loss)
    q, run_losses = kernel.compile_run(net, sizes, batch)(p0, data, eta, 20)
    np.testing.assert_array_equal(bits(list(p), dtype), bits(list(q), dtype))
    np.testing.assert_array_equal(bits(losses, dtype), bits(run_losses, dtype))
