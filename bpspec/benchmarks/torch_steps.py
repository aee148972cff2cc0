"""PyTorch training steps for the benchmark, written the way a PyTorch user writes them (CPU).

* ``eager``: parameters with ``requires_grad``, the forward pass with ``F.linear`` and the
  activation, the loss, ``backward()``, and the update ``p.sub_(p.grad, alpha=eta)`` under
  ``no_grad`` (what ``torch.optim.SGD`` does), gradients cleared by setting them to None;
* ``compiled``: the same step as a function of the parameters (``torch.func.grad``), compiled by
  ``torch.compile`` (Inductor's C++ backend on CPU) once per shape, called in a Python loop;
* ``stacked``: C independent networks in one call, through ``torch.func.vmap`` of the functional
  step (W4).

These are plain training steps, not the conformance adapter of ``bpspec.peers.torch_adapter``: the
activations are torch's own, as a user would call them. Every function returns ``(run, reset)``:
``run()`` performs ``steps`` updates, ``reset()`` (untimed) restores the initial parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from bpspec.benchmarks.nets import Net

DTYPES = {"float64": torch.float64, "float32": torch.float32}
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid, "relu": torch.relu, "tanh": torch.tanh, "identity": lambda z: z,
}


def _loss(net: Net, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    sq = torch.square(y - out)
    total = {"half_sse": 0.5 * sq.sum(), "sse": sq.sum(), "mse": sq.sum() / out.shape[-1]}[net.loss]
    return total / out.shape[-2] if net.reduction == "mean" else total


def _forward(net: Net, params: tuple[torch.Tensor, ...], x: torch.Tensor) -> torch.Tensor:
    a = x
    for k, name in enumerate(net.activations):
        a = ACTIVATIONS[name](F.linear(a, params[2 * k], params[2 * k + 1]))
    return a


def _tensors(arrays: dict[str, Any], dtype: str) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    dt = DTYPES[dtype]

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a)).to(dt)

    params = [t(p) for w, b in zip(arrays["weights"], arrays["biases"], strict=True) for p in (w, b)]
    return t(arrays["x"]), t(arrays["y"]), params


def eager(net: Net, arrays: dict[str, Any], dtype: str, steps: int) -> tuple[Callable, Callable]:
    """``steps`` eager autograd updates of one network."""
    x, y, initial = _tensors(arrays, dtype)
    params = tuple(p.clone().requires_grad_() for p in initial)
    trained = params if net.bias_update else params[0::2]
    eta = net.learning_rate

    def run() -> None:
        for _ in range(steps):
            _loss(net, _forward(net, params, x), y).backward()
            with torch.no_grad():
                for p in trained:
                    p.sub_(p.grad, alpha=eta)
                    p.grad = None

    def reset() -> None:
        with torch.no_grad():
            for p, p0 in zip(params, initial, strict=True):
                p.copy_(p0)

    return run, reset


def _functional_step(net: Net) -> Callable:
    eta = net.learning_rate

    def energy(params, x, y):
        return _loss(net, _forward(net, params, x), y)

    def step(params, x, y):
        grads = torch.func.grad(energy)(params, x, y)
        return tuple(p - eta * g if net.bias_update or k % 2 == 0 else p
                     for k, (p, g) in enumerate(zip(params, grads, strict=True)))

    return step


def compiled(net: Net, arrays: dict[str, Any], dtype: str, steps: int) -> tuple[Callable, Callable]:
    """``steps`` updates through one ``torch.compile``d functional step."""
    x, y, initial = _tensors(arrays, dtype)
    step = torch.compile(_functional_step(net), dynamic=False)
    state = {"params": tuple(initial)}

    def run() -> None:
        params = state["params"]
        for _ in range(steps):
            params = step(params, x, y)
        state["params"] = params

    def reset() -> None:
        state["params"] = tuple(initial)

    return run, reset


def stacked(net: Net, arrays: dict[str, Any], dtype: str) -> tuple[Callable, Callable]:
    """One update of C networks at once (arrays with a leading case axis), by ``torch.func.vmap``."""
    x, y, params = _tensors(arrays, dtype)
    many = torch.func.vmap(_functional_step(net))

    def run() -> None:
        with torch.no_grad():
            many(tuple(params), x, y)

    return run, lambda: None


def gemm(dtype: str, n: int) -> Callable:
    """One n x n matrix product with torch's BLAS (the roofline of W3)."""
    rng = np.random.default_rng(2)
    a, b = (torch.from_numpy(rng.standard_normal((n, n))).to(DTYPES[dtype]) for _ in range(2))
    out = torch.empty(n, n, dtype=DTYPES[dtype])
    return lambda: torch.matmul(a, b, out=out)
