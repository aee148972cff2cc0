"""PyTorch peer adapter: one training step by torch.autograd (spec ADP-1, ADP-2, ADP-3, ADP-5).

``ADAPTER`` is what ``bpspec check --impl torch`` calls. The step builds E_total (LOSS-4) from the
parameters in eager mode and calls ``backward`` once: grad_W and grad_b (GRD-1, GRD-2) are the
leaves' gradients, delta = dE_total/dnet (BWD-2) the nets' (``retain_grad``); nothing is
differentiated by hand. The update runs under ``torch.no_grad`` (UPD-1, UPD-2). dtypes: float64,
float32, float16 and bfloat16, all on CPU; results are NumPy arrays in the dtype (bfloat16 as
``ml_dtypes.bfloat16``, converted through float32, which is exact).

Where a torch primitive's derivative departs from the spec, the activation is composed of primitives
whose autograd derivative is the spec's:

- sigmoid (ACT-1): ``torch.sigmoid``'s backward is out·(1 − out), which cancels as σ(z) nears 1
  (relative error 1e-8 at z = 19 in float64, and exactly 0 from z ≈ 37 where σ′ ≈ 1e-16). Composed as
  exp(−softplus(−z)), whose derivative autograd forms as σ(z)·σ(−z).
- tanh (ACT-2): ``torch.tanh``'s backward is 1 − out², exactly 0 from |z| ≈ 19 in float64. For
  |z| > 1 composed as 2σ(2z) − 1, derivative 4σ(2z)σ(−2z) = sech² z; ``torch.tanh`` for |z| ≤ 1,
  where 2σ(2z) − 1 would cancel and 1 − out² does not.
- softplus (ACT-6): ``F.softplus`` returns z itself above its threshold 20, off by 7.6e-10 at z = 21
  with a gradient of exactly 1. Composed as ``torch.logaddexp(0, z)``, derivative σ(z).
- leaky_relu (ACT-5): ``F.leaky_relu`` conforms (derivative α at 0) but takes one Python slope per
  call; a stack of cases carries one per case, so it is ``torch.where(z > 0, z, α·z)``, the same
  function, α rounded to the dtype. relu (ACT-3) is ``torch.relu``, whose derivative at 0 is 0.

Not implemented (ADP-3, CNV-4): the variants post_update and mse_grad_factor=1 (bpspec.peers.common).
``step_many`` computes the inputs of one signature as one stack (ADP-5): a leading case axis, batched
matmul, and the sum of the cases' losses differentiated once; the cases share no parameter, so each
one's gradient is its own. ``step`` is a stack of one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ml_dtypes
import numpy as np
import torch

from bpspec.peers import common

_LISTS = ("grad_weights", "grad_biases", "new_weights", "new_biases", "nets", "outs", "deltas")


def _softplus(z: torch.Tensor) -> torch.Tensor:
    return torch.logaddexp(torch.zeros_like(z), z)


def _sigmoid(z: torch.Tensor) -> torch.Tensor:
    return torch.exp(-_softplus(-z))


def _tanh(z: torch.Tensor) -> torch.Tensor:
    return torch.where(z.abs() <= 1, torch.tanh(z), 2 * _sigmoid(2 * z) - 1)


def _activation(name: str, slope: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    return {
        "sigmoid": _sigmoid, "tanh": _tanh, "relu": torch.relu, "identity": lambda z: z,
        "leaky_relu": lambda z: torch.where(z > 0, z, slope * z), "softplus": _softplus,
    }[name]


def _loss(out: torch.Tensor, y: torch.Tensor, loss: str, reduction: str) -> torch.Tensor:
    """E_total of every case in the stack (LOSS-1..LOSS-4), shape (C,)."""
    sq = torch.square(y - out)
    terms = {"half_sse": 0.5 * sq, "sse": sq, "mse": sq / out.shape[-1]}[loss]
    total = terms.sum(dim=(1, 2))
    return total / out.shape[1] if reduction == "mean" else total


def _tensor(a: np.ndarray, dtype: str) -> torch.Tensor:
    """``a`` rounded to ``dtype`` once, by NumPy as the checker rounds (bfloat16 then exactly via float32)."""
    a = a.astype(common.NUMPY_DTYPES[dtype])
    return torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16) if dtype == "bfloat16" else \
        torch.from_numpy(a)


def _numpy(t: torch.Tensor) -> np.ndarray:
    t = t.detach()
    return t.float().numpy().astype(ml_dtypes.bfloat16) if t.dtype == torch.bfloat16 else t.numpy()


def run(sig: common.Signature, arrays: dict[str, Any]) -> dict[str, Any]:
    """One step of a stack of C cases of one signature, every result with the case axis first."""
    dt = sig.dtype
    x, y = _tensor(arrays["x"], dt), _tensor(arrays["y"], dt)
    weights = [_tensor(w, dt).requires_grad_() for w in arrays["weights"]]
    biases = [_tensor(b, dt).requires_grad_() for b in arrays["biases"]]
    eta = _tensor(arrays["learning_rate"], dt)
    slope = _tensor(arrays["slope"], dt)[:, None, None]
    nets, outs, a = [], [], x
    with torch.enable_grad():
        for w, b, name in zip(weights, biases, sig.activations, strict=True):
            net = a @ w.transpose(1, 2) + b[:, None, :]
            net.retain_grad()
            a = _activation(name, slope)(net)
            nets.append(net)
            outs.append(a)
        loss = _loss(a, y, sig.loss, sig.reduction)
        loss.sum().backward()
    with torch.no_grad():
        new_w = [w - eta[:, None, None] * w.grad for w in weights]
        new_b = [b if sig.freeze_biases else b - eta[:, None] * b.grad for b in biases]
    return {"loss": _numpy(loss), "grad_weights": [_numpy(w.grad) for w in weights],
            "grad_biases": [_numpy(b.grad) for b in biases], "new_weights": [_numpy(w) for w in new_w],
            "new_biases": [_numpy(b) for b in new_b], "nets": [_numpy(n) for n in nets],
            "outs": [_numpy(o) for o in outs], "deltas": [_numpy(n.grad) for n in nets]}


class TorchAdapter:
    """``bpspec check --impl torch``: torch.autograd behind the adapter contract (ADP-1, ADP-2, ADP-5)."""

    exact = False

    def step(self, inp: Mapping[str, Any]) -> dict[str, Any]:
        return self.step_many([inp])[0]

    def step_many(self, inputs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        parsed = [common.parse(inp, "torch") for inp in inputs]
        results: list[dict[str, Any]] = [{} for _ in parsed]
        for sig, rows in common.group(parsed).items():
            stacked = run(sig, common.stack([parsed[i] for i in rows]))
            for c, i in enumerate(rows):
                results[i] = {"loss": stacked["loss"][c], **{k: [a[c] for a in stacked[k]] for k in _LISTS}}
        return results


ADAPTER = TorchAdapter()
