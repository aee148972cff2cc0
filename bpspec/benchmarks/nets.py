"""The networks the workloads train, as data every implementation starts from.

``Net`` fixes the architecture and the training setting; ``Net.arrays()`` draws reproducible float64
data and parameters (He-scaled weights, so activations neither vanish nor blow up over a run), and
``Net.step_input(dtype)`` is the adapter-contract dict bpspec.impl trains on. Each peer converts the
same float64 arrays to its dtype, so every implementation starts from the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bpspec.cases import load, step_input
from bpspec.catalogue.seed import SEED_DIR


@dataclass(frozen=True)
class Net:
    """A fully connected network and how it is trained: full batch, plain gradient descent."""

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str = "mse"
    reduction: str = "mean"
    learning_rate: float = 0.01
    batch: int = 1
    bias_update: bool = True

    @property
    def macs(self) -> int:
        """Multiply-adds of one sample through every layer: sum of in x out."""
        return sum(a * b for a, b in zip(self.sizes, self.sizes[1:], strict=False))

    def arrays(self, seed: int = 0) -> dict[str, Any]:
        """x (batch, n_in), y (batch, n_out), weights[l] (out, in), biases[l] (out,), all float64."""
        rng = np.random.default_rng(seed)
        pairs = list(zip(self.sizes, self.sizes[1:], strict=False))
        return {
            "x": rng.uniform(-1, 1, (self.batch, self.sizes[0])),
            "y": rng.uniform(0, 1, (self.batch, self.sizes[-1])),
            "weights": [rng.normal(0, np.sqrt(2 / n_in), (n_out, n_in)) for n_in, n_out in pairs],
            "biases": [rng.uniform(-0.1, 0.1, n_out) for _, n_out in pairs],
        }

    def step_input(self, dtype: str, arrays: dict[str, Any] | None = None) -> dict[str, Any]:
        """The adapter-contract dict of this network on ``arrays`` (default: ``self.arrays()``)."""
        arrays = self.arrays() if arrays is None else arrays
        return {
            "layer_sizes": list(self.sizes), "activations": list(self.activations), "activation_params": {},
            "loss": self.loss, "reduction": self.reduction, "learning_rate": self.learning_rate,
            "conventions": {"bias_update": "true" if self.bias_update else "false"}, "dtype": dtype,
            **arrays,
        }


SEED_000 = "mazur_2_2_2"
#: seed 000's 2-2-2 sigmoid network: half squared error, eta 0.5, biases frozen (W1, W4, W6)
W1_NET = Net((2, 2, 2), ("sigmoid", "sigmoid"), "half_sse", "sum", 0.5, 1, bias_update=False)
#: 64-128-10, sigmoid hidden layer and relu output, batch 32, mean squared error (W2, W6)
W2_NET = Net((64, 128, 10), ("sigmoid", "relu"), "mse", "mean", 0.01, 32)
#: 784-512-512-10 relu, batch 256 (W3)
W3_NET = Net((784, 512, 512, 10), ("relu", "relu", "relu"), "mse", "mean", 0.01, 256)


def seed_000_arrays() -> dict[str, Any]:
    """Seed 000's own numbers (x, y, weights, biases) as float64 arrays, from its case file."""
    case = load(SEED_DIR / f"{SEED_000}.json")
    inp = step_input(case, case["weights"], case["biases"], 0)
    return {k: [np.array(v, dtype=np.float64) for v in inp[k]] if k in ("weights", "biases")
            else np.array(inp[k], dtype=np.float64) for k in ("x", "y", "weights", "biases")}


def stacked(arrays: dict[str, Any], n: int, seed: int = 1) -> dict[str, Any]:
    """``n`` independent copies of a network's arrays on a leading case axis, each perturbed a little
    (so no two networks are the same), for the stacked workload W4."""
    rng = np.random.default_rng(seed)

    def spread(a: np.ndarray) -> np.ndarray:
        return a[None] * (1 + rng.uniform(-0.25, 0.25, (n, *a.shape)))

    return {"x": spread(arrays["x"]), "y": spread(arrays["y"]),
            "weights": [spread(w) for w in arrays["weights"]],
            "biases": [spread(b) for b in arrays["biases"]]}
