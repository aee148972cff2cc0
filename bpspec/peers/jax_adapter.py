"""JAX peer adapter: one training step by ``jax.value_and_grad``, jit-compiled (spec ADP-1..ADP-3, ADP-5).

``ADAPTER`` is what ``bpspec check --impl jax`` calls. The step is a function of the parameters
returning E_total (LOSS-4), with nets and outs as auxiliary output; ``jax.value_and_grad`` gives
grad_W and grad_b (GRD-1, GRD-2) and, differentiating with respect to an additive zero added to each
net, delta = dE_total/dnet (BWD-2); nothing is differentiated by hand. The update is
W − η·grad_W (UPD-1, UPD-2). dtypes: float64, float32, float16 and bfloat16, all on the CPU backend;
results are NumPy arrays in the dtype (bfloat16 as ``ml_dtypes.bfloat16``, JAX's own type).

float64: every call runs inside ``jax.enable_x64(True)``, the scoped form of the ``jax_enable_x64``
flag, so float64 arrays stay float64 while the flag of the rest of the process is left as it was.

One compiled function per signature (activations, loss, reduction, frozen biases; ``functools.cache``),
which XLA specialises per shape and dtype; η and the slope are traced arguments, so new numbers never
recompile. Compiling costs about a second per new shape, so a suite of many shapes is slower in JAX
than in torch; JAX's persistent cache (JAX_COMPILATION_CACHE_DIR, with
JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0) halves a repeated run. A run of SCAN_MIN or more
consecutive layers of one activation and shape is one ``lax.scan``: unrolled, XLA took 60-110 s to
compile a 48- or 63-layer chain of 1-unit layers (its 1×1 products become elementwise and the
backward chain is fused into every layer's gradient, quadratic in depth); scanned, a few seconds.
``step_many`` runs the inputs of one signature and shape as one ``jax.vmap`` over a stacked case
axis (ADP-5).

Where a JAX primitive's derivative departs from the spec, the activation is composed of primitives
whose derivative is the spec's:

- sigmoid (ACT-1): ``jax.nn.sigmoid``'s derivative is out·(1 − out), which cancels as σ(z) nears 1
  (relative error 1e-8 at z = 19 in float64, exactly 0 from z ≈ 37). Composed as exp(−softplus(−z)),
  whose derivative JAX forms as σ(z)·σ(−z).
- tanh (ACT-2): ``jnp.tanh``'s derivative is 1 − out², exactly 0 from |z| ≈ 19 in float64. For
  |z| > 1 composed as 2σ(2z) − 1, derivative 4σ(2z)σ(−2z) = sech² z; ``jnp.tanh`` for |z| ≤ 1.
- leaky_relu (ACT-5): ``jax.nn.leaky_relu`` takes the linear branch for z ≥ 0, so its derivative
  at 0 is 1, not α. Composed as ``jnp.where(z > 0, z, α·z)``, α cast to the dtype.
- softplus (ACT-6) ``jnp.logaddexp(0, z)`` and relu (ACT-3) ``jax.nn.relu`` (derivative 0 at 0)
  conform as they are.

Not implemented (ADP-3, CNV-4): the variants post_update and mse_grad_factor=1 (bpspec.peers.common).

Flush-to-zero, JAX's own: on CPU, XLA runs with flush-to-zero and denormals-are-zero set (JAX's
maintainers call it intended; no flag turns it off), so in float64, float32 and bfloat16 every
subnormal operand is read as 0 and every subnormal result written as 0: relu′ and leaky_relu′ at
net = the smallest subnormal come out 0 and α instead of 1 (ACT-3, ACT-5), and the sigmoid delta at
net = −709 (float64) or −88 (float32) is 0 where σ(net), a subnormal, times dE/dout ≈ −2 is a normal
number (ACT-1). The adapter measures this once (``flushes_subnormals``) and declares it, so the
checker leaves the values downstream of a subnormal net or out unchecked and says so (TOL-8); an
adapter that flushed without declaring it would fail those unit vectors. float16 is computed through
float32, where its subnormals are normal, and is not affected.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from bpspec.peers import common

SCAN_MIN = 16
MAX_PROGRAMS = 200
"""Compiled programs kept alive before all are dropped. Each XLA executable holds memory mappings of
its JIT code, and a process may hold at most vm.max_map_count of them (65,530 here): a run over the
default suites compiles ~1,700 programs, and without this bound it crashed after ~7 minutes with
"LLVM compilation error: Cannot allocate memory". Recompiling a dropped program costs ~1 s."""
_programs: set[Any] = set()


def _budget(key: Any) -> None:
    """Count a program about to run; past MAX_PROGRAMS, drop every compiled one first."""
    if key in _programs:
        return
    if len(_programs) >= MAX_PROGRAMS:
        _compiled.cache_clear()
        jax.clear_caches()
        _programs.clear()
    _programs.add(key)
_LISTS = ("grad_weights", "grad_biases", "new_weights", "new_biases", "nets", "outs", "deltas")


def _softplus(z: jax.Array) -> jax.Array:
    return jnp.logaddexp(jnp.zeros_like(z), z)


def _sigmoid(z: jax.Array) -> jax.Array:
    return jnp.exp(-_softplus(-z))


def _tanh(z: jax.Array) -> jax.Array:
    return jnp.where(jnp.abs(z) <= 1, jnp.tanh(z), 2 * _sigmoid(2 * z) - 1)


def _activation(name: str, slope: jax.Array) -> Callable[[jax.Array], jax.Array]:
    return {
        "sigmoid": _sigmoid, "tanh": _tanh, "relu": jax.nn.relu, "identity": lambda z: z,
        "leaky_relu": lambda z: jnp.where(z > 0, z, slope * z), "softplus": _softplus,
    }[name]


def _runs(sig: common.Signature) -> tuple[tuple[int, int], ...]:
    """Layers [start, stop) of one activation and one weight shape, in order; a run of SCAN_MIN or more
    becomes one ``lax.scan``."""
    runs: list[list[int]] = []
    for layer, key in enumerate(zip(sig.activations, sig.shapes[1:], strict=True)):
        if runs and key == (sig.activations[runs[-1][0]], sig.shapes[1 + runs[-1][0]]):
            runs[-1][1] = layer + 1
        else:
            runs.append([layer, layer + 1])
    return tuple((start, stop) for start, stop in runs)


@functools.cache
def _compiled(activations: tuple[str, ...], loss: str, reduction: str, freeze: bool,
              runs: tuple[tuple[int, int], ...]) -> tuple[Callable, Callable]:
    """The jitted step of one signature, and its vmapped form over a leading case axis."""

    def energy(params, perturbations, x, y, slope):
        nets, outs, a = [], [], x
        for start, stop in runs:
            f = _activation(activations[start], slope)

            def layer(a, wbp, f=f):
                w, b, p = wbp
                net = a @ w.T + b + p
                out = f(net)
                return out, (net, out)

            if stop - start < SCAN_MIN:
                for lth in range(start, stop):
                    a, (net, out) = layer(a, (params[0][lth], params[1][lth], perturbations[lth]))
                    nets.append(net)
                    outs.append(out)
            else:
                stacked = [jnp.stack(v[start:stop]) for v in (*params, perturbations)]
                a, (run_nets, run_outs) = jax.lax.scan(layer, a, stacked)
                nets.extend(run_nets)
                outs.extend(run_outs)
        sq = jnp.square(y - a)
        terms = {"half_sse": 0.5 * sq, "sse": sq, "mse": sq / a.shape[-1]}[loss]
        total = jnp.sum(terms)
        return (total / a.shape[0] if reduction == "mean" else total), (nets, outs)

    def step(x, y, weights, biases, eta, slope):
        zeros = [jnp.zeros((x.shape[0], w.shape[0]), x.dtype) for w in weights]
        grad = jax.value_and_grad(energy, argnums=(0, 1), has_aux=True)
        (loss_value, (nets, outs)), ((gw, gb), deltas) = grad((weights, biases), zeros, x, y, slope)
        new_w = [w - eta * g for w, g in zip(weights, gw, strict=True)]
        new_b = biases if freeze else [b - eta * g for b, g in zip(biases, gb, strict=True)]
        return {"loss": loss_value, "grad_weights": gw, "grad_biases": gb, "new_weights": new_w,
                "new_biases": new_b, "nets": nets, "outs": outs, "deltas": deltas}

    return jax.jit(step), jax.jit(jax.vmap(step))


def run(sig: common.Signature, arrays: dict[str, Any]) -> dict[str, Any]:
    """One step of a stack of C cases of one signature, every result with the case axis first."""
    dt = common.NUMPY_DTYPES[sig.dtype]
    with jax.enable_x64(True):
        _, many = _compiled(sig.activations, sig.loss, sig.reduction, sig.freeze_biases, _runs(sig))
        args = (arrays["x"], arrays["y"], arrays["weights"], arrays["biases"],
                arrays["learning_rate"].astype(dt), arrays["slope"].astype(dt))
        return _numpy(many(*args))


def _numpy(out: dict[str, Any]) -> dict[str, Any]:
    return {k: np.array(v)[()] if k == "loss" else [np.array(a) for a in v] for k, v in out.items()}


class JaxAdapter:
    """``bpspec check --impl jax``: jax.value_and_grad behind the adapter contract (ADP-1, ADP-2, ADP-5)."""

    exact = False

    @functools.cached_property
    def flushes_subnormals(self) -> bool:
        """Whether XLA on this backend reads a subnormal as zero: measured on the smallest float32
        subnormal, not assumed, and declared to the checker (ADP-5, TOL-8)."""
        return bool(jax.jit(lambda a: a * 2)(np.float32(1e-45)) == 0)

    def step(self, inp: Mapping[str, Any]) -> dict[str, Any]:
        s = common.parse(inp, "jax")
        _budget((s.sig, None))
        with jax.enable_x64(True):
            one, _ = _compiled(s.sig.activations, s.sig.loss, s.sig.reduction, s.sig.freeze_biases,
                               _runs(s.sig))
            dt = common.NUMPY_DTYPES[s.sig.dtype]
            return _numpy(one(s.x, s.y, s.weights, s.biases, np.asarray(s.learning_rate).astype(dt),
                              np.asarray(s.slope).astype(dt)))

    def step_many(self, inputs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        parsed = [common.parse(inp, "jax") for inp in inputs]
        results: list[dict[str, Any]] = [{} for _ in parsed]
        for sig, rows in common.group(parsed).items():
            _budget((sig, len(rows)))
            stacked = run(sig, common.stack([parsed[i] for i in rows]))
            for c, i in enumerate(rows):
                results[i] = {"loss": stacked["loss"][c], **{k: [a[c] for a in stacked[k]] for k in _LISTS}}
        return results


ADAPTER = JaxAdapter()
