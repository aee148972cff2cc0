"""The network's rules in float64, for the diagnosis's predictions (spec ACT, LOSS; used by ``diagnose``).

The checker knows an implementation only through the adapter contract and the reference only through
its vectors, so the few formulas a bug prediction needs at points the vectors do not hold (a
derivative evaluated on ``out``, an activation of the wrong layer) are written here once more, in
their numerically stable float64 forms, independent of the code under test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

DEFAULT_SLOPE = 0.01
"""leaky_relu's slope when a case's ``activation_params`` leaves it out (ACT-5)."""

Rule = Callable[[np.ndarray, float], np.ndarray]


def _sigmoid(z: np.ndarray, _: float) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _sech2(z: np.ndarray) -> np.ndarray:
    e = np.exp(-2 * np.abs(z))
    return 4 * e / (1 + e) ** 2


#: activation -> (f(net), f'(net)), each of net and the leaky_relu slope (ACT-1 .. ACT-6)
ACTIVATIONS: dict[str, tuple[Rule, Rule]] = {
    "sigmoid": (_sigmoid, lambda z, a: _sigmoid(z, a) * _sigmoid(-z, a)),
    "tanh": (lambda z, a: np.tanh(z), lambda z, a: _sech2(z)),
    "relu": (lambda z, a: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(np.float64)),
    "identity": (lambda z, a: z + 0.0, lambda z, a: np.ones_like(z, dtype=np.float64)),
    "leaky_relu": (lambda z, a: np.where(z > 0, z, a * z), lambda z, a: np.where(z > 0, 1.0, a)),
    "softplus": (lambda z, a: np.logaddexp(0.0, z), lambda z, a: _sigmoid(z, a)),
}


def slope(params: Mapping[str, Any]) -> float:
    return float(params.get("leaky_relu_slope", DEFAULT_SLOPE))


def activation(name: str, net: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """f(net) (FWD-2)."""
    with np.errstate(all="ignore"):
        return ACTIVATIONS[name][0](net, slope(params))


def derivative(name: str, net: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """f'(net) (ACT-7)."""
    with np.errstate(all="ignore"):
        return ACTIVATIONS[name][1](net, slope(params))


def loss_grad(loss: str, out: np.ndarray, y: np.ndarray, conventions: Mapping[str, str]) -> np.ndarray:
    """dE/dout of one sample before the batch reduction (LOSS-1 .. LOSS-3, CNV-3)."""
    factor = {"half_sse": 1.0, "sse": 2.0, "mse": 2.0 / y.shape[1]}[loss]
    if loss == "mse" and conventions["mse_grad_factor"] == "1":
        factor = 1.0
    return factor * (out - y)
