"""JAX training steps for the benchmark, on the CPU backend, written the way a JAX user writes them.

* ``jit_loop``: the step (``jax.grad`` of the loss, then p - eta * g) compiled by ``jax.jit`` and
  called from a Python loop, one dispatch per update;
* ``scan``: all updates inside one compiled ``lax.scan`` (W1): no Python between steps;
* ``vmap``: C independent networks in one jitted ``jax.vmap`` of the step (W4);
* ``vmap_all``: the same, returning every result ``bpspec.impl.network.step`` returns (E_total,
  nets, outs, deltas, gradients, new parameters), not only the new parameters (W4).

float64 runs inside ``jax.enable_x64(True)`` (scoped; the process-wide flag is left alone), for
compiling and for every call. Every function returns ``(run, reset)``: ``run()`` performs its
updates and blocks until the results are ready; ``reset()`` restores the initial parameters.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from bpspec.benchmarks.nets import Net

ACTIVATIONS: dict[str, Callable] = {
    "sigmoid": jax.nn.sigmoid, "relu": jax.nn.relu, "tanh": jnp.tanh, "identity": lambda z: z,
}


def precision(dtype: str) -> contextlib.AbstractContextManager:
    """The scope float64 arrays need; nothing for float32."""
    return jax.enable_x64(True) if dtype == "float64" else contextlib.nullcontext()


def _E_total(net: Net, out: Any, y: Any) -> Any:
    """The network's loss of its output layer's ``out`` against the targets ``y``."""
    sq = jnp.square(y - out)
    total = {"half_sse": 0.5 * jnp.sum(sq), "sse": jnp.sum(sq), "mse": jnp.sum(sq) / out.shape[-1]}[net.loss]
    return total / out.shape[-2] if net.reduction == "mean" else total


def _descend(net: Net, params: list, grads: list) -> list:
    """Every (w, b) moved by -eta times its gradient; frozen biases kept."""
    eta = net.learning_rate
    return [(w - eta * gw, b - eta * gb if net.bias_update else b)
            for (w, b), (gw, gb) in zip(params, grads, strict=True)]


def _step(net: Net) -> Callable:
    def energy(params, x, y):
        a = x
        for (w, b), name in zip(params, net.activations, strict=True):
            a = ACTIVATIONS[name](a @ w.T + b)
        return _E_total(net, a, y)

    def step(params, x, y):
        return _descend(net, params, jax.grad(energy)(params, x, y))

    return step


def _step_all(net: Net) -> Callable:
    """The step returning every result of ``network.step``; the deltas are the gradient of E_total
    with respect to zeros added to each layer's nets (dE/dnet, BWD-1)."""

    def energy(params, shifts, x, y):
        a, nets, outs = x, [], []
        for (w, b), shift, name in zip(params, shifts, net.activations, strict=True):
            n = a @ w.T + b + shift
            a = ACTIVATIONS[name](n)
            nets.append(n)
            outs.append(a)
        return _E_total(net, a, y), (nets, outs)

    def step(params, x, y):
        shifts = [jnp.zeros((x.shape[0], w.shape[0]), x.dtype) for w, _ in params]
        (E_total, (nets, outs)), (grads, deltas) = jax.value_and_grad(
            energy, argnums=(0, 1), has_aux=True)(params, shifts, x, y)
        return E_total, nets, outs, deltas, grads, _descend(net, params, grads)

    return step


def _arrays(arrays: dict[str, Any], dtype: str) -> tuple[Any, Any, list]:
    dt = np.dtype(dtype)
    params = [(jnp.asarray(w.astype(dt)), jnp.asarray(b.astype(dt)))
              for w, b in zip(arrays["weights"], arrays["biases"], strict=True)]
    return jnp.asarray(arrays["x"].astype(dt)), jnp.asarray(arrays["y"].astype(dt)), params


def jit_loop(net: Net, arrays: dict[str, Any], dtype: str, steps: int) -> tuple[Callable, Callable]:
    """``steps`` calls of one jitted step from a Python loop."""
    with precision(dtype):
        x, y, initial = _arrays(arrays, dtype)
        step = jax.jit(_step(net))
    state = {"params": initial}

    def run() -> None:
        with precision(dtype):
            params = state["params"]
            for _ in range(steps):
                params = step(params, x, y)
            state["params"] = jax.block_until_ready(params)

    return run, lambda: state.update(params=initial)


def scan(net: Net, arrays: dict[str, Any], dtype: str, steps: int) -> tuple[Callable, Callable]:
    """``steps`` updates in one compiled ``lax.scan``."""
    one = _step(net)
    with precision(dtype):
        x, y, initial = _arrays(arrays, dtype)

        @jax.jit
        def many(params):
            return lax.scan(lambda p, _: (one(p, x, y), None), params, None, length=steps)[0]

    state = {"params": initial}

    def run() -> None:
        with precision(dtype):
            state["params"] = jax.block_until_ready(many(state["params"]))

    return run, lambda: state.update(params=initial)


def vmap(net: Net, arrays: dict[str, Any], dtype: str) -> tuple[Callable, Callable]:
    """One update of C networks (arrays with a leading case axis) by a jitted ``jax.vmap``."""
    with precision(dtype):
        x, y, params = _arrays(arrays, dtype)
        many = jax.jit(jax.vmap(_step(net)))

    def run() -> None:
        with precision(dtype):
            jax.block_until_ready(many(params, x, y))

    return run, lambda: None


def vmap_all(net: Net, arrays: dict[str, Any], dtype: str) -> tuple[Callable, Callable]:
    """``vmap`` of the step that returns every result ``network.step`` does, not only the new
    parameters: what XLA's fusion saves by never writing the intermediates out."""
    with precision(dtype):
        x, y, params = _arrays(arrays, dtype)
        many = jax.jit(jax.vmap(_step_all(net)))

    def run() -> Any:
        with precision(dtype):
            return jax.block_until_ready(many(params, x, y))

    return run, lambda: None


def gemm(dtype: str, n: int) -> Callable:
    """One n x n matrix product compiled by XLA (the roofline of W3)."""
    rng = np.random.default_rng(2)
    with precision(dtype):
        a, b = (jnp.asarray(rng.standard_normal((n, n)).astype(dtype)) for _ in range(2))
        product = jax.jit(jnp.matmul)

    def run() -> None:
        with precision(dtype):
            product(a, b).block_until_ready()

    return run
