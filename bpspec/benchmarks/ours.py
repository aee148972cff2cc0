"""bpspec.impl under the workloads: the denominator of every ratio.

* ``trainer``: ``bpspec.impl.train.Trainer`` on the network's step input, ``steps`` updates per
  call: sequential training as a user of the implementation runs it (W1, W2, W3);
* ``stacked``: ``bpspec.impl.network.step`` on arrays with a leading case axis, C networks in one
  call (W4);
* ``stacked_cases_last``: the same step by ``network.step_cases_last``, on arrays put in its
  case-last layout before timing: what the step's arithmetic costs without the layout conversion
  (W4);
* ``loop``: the same C networks one ``network.step`` call each, from a Python loop (W4);
* ``gemm``: one n x n ``np.matmul`` into a preallocated array, the BLAS peak W3 is held against.

Each returns ``(run, reset)`` like the peers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from bpspec.benchmarks.nets import Net
from bpspec.impl import network
from bpspec.impl.train import Trainer


def trainer(net: Net, arrays: dict[str, Any], dtype: str, steps: int) -> tuple[Callable, Callable]:
    """``steps`` sequential updates by a Trainer, from the initial parameters at every call."""
    t = Trainer(net.step_input(dtype, arrays))
    weights, biases = list(t.weights), list(t.biases)

    def reset() -> None:
        t.weights, t.biases = list(weights), list(biases)

    return (lambda: t.run(steps)), reset


def _network(net: Net, dtype: str) -> network.Network:
    return network.Network(net.activations, net.loss, net.reduction,
                           conventions={"bias_update": "true" if net.bias_update else "false"}, dtype=dtype)


def stacked(net: Net, arrays: dict[str, Any], dtype: str) -> tuple[Callable, None]:
    """One step of C networks (arrays with a leading case axis) in one call."""
    dt, spec = np.dtype(dtype), _network(net, dtype)
    x, y = arrays["x"].astype(dt), arrays["y"].astype(dt)
    weights, biases = [w.astype(dt) for w in arrays["weights"]], [b.astype(dt) for b in arrays["biases"]]
    return (lambda: network.step(spec, x, y, weights, biases, net.learning_rate)), None


def stacked_cases_last(net: Net, arrays: dict[str, Any], dtype: str) -> tuple[Callable, None]:
    """``stacked``'s step on the same arrays, already case-last and contiguous (converted untimed):
    the same numbers, bit for bit, returned case-last."""
    dt, spec = np.dtype(dtype), _network(net, dtype)

    def last(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.moveaxis(a.astype(dt), 0, -1))

    x, y = last(arrays["x"]), last(arrays["y"])
    weights, biases = [last(w) for w in arrays["weights"]], [last(b) for b in arrays["biases"]]
    eta = np.asarray(net.learning_rate, dtype=dt)
    return (lambda: network.step_cases_last(spec, x, y, weights, biases, eta)), None


def loop(net: Net, arrays: dict[str, Any], dtype: str, n: int) -> tuple[Callable, None]:
    """The first ``n`` of the stacked networks, one ``network.step`` call each."""
    dt, spec = np.dtype(dtype), _network(net, dtype)
    cases = [(arrays["x"][c].astype(dt), arrays["y"][c].astype(dt),
              [w[c].astype(dt) for w in arrays["weights"]], [b[c].astype(dt) for b in arrays["biases"]])
             for c in range(n)]
    eta = net.learning_rate

    def run() -> None:
        for x, y, weights, biases in cases:
            network.step(spec, x, y, weights, biases, eta)

    return run, None


def gemm(dtype: str, n: int) -> Callable:
    """One n x n matrix product with NumPy's BLAS."""
    rng = np.random.default_rng(2)
    a, b = (rng.standard_normal((n, n)).astype(dtype) for _ in range(2))
    out = np.empty((n, n), dtype=dtype)
    return lambda: np.matmul(a, b, out=out)
