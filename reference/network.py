"""One training step of a fully connected network, in mpmath (spec FWD, LOSS, BWD, UPD, CNV).

``trace`` computes every quantity of the step: the forward pass (FWD-1, FWD-2), the loss and its
per-unit terms (LOSS-4), dE/dout at the output (BWD-1), each layer's activation derivative and delta
(BWD-2, BWD-3), the backpropagated dE/dout of hidden layers (BWD-3, seed 002 eq. 1.8), the gradients
(GRD-1, GRD-2) and the gradient-descent update (UPD-1, UPD-2), under the named conventions (CNV).
``step`` returns the adapter-contract subset of it (ADP-2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mpmath import fdot, mp

from bpspec import contract
from bpspec.reference.activations import ACTIVATIONS
from bpspec.reference.losses import LOSSES
from bpspec.reference.numbers import Matrix, Vector, to_matrix, to_mpf, to_vector

DEFAULT_DPS = 50


@dataclass
class Trace:
    """Every quantity of one step; per-layer lists are indexed 0..L-1 for layers 1..L."""

    dps: int
    conventions: dict[str, str]
    x: Matrix
    y: Matrix
    weights: list[Matrix]
    biases: list[Vector]
    nets: list[Matrix]
    outs: list[Matrix]
    loss_terms: Matrix
    loss: Any
    dE_douts: list[Matrix]
    dout_dnets: list[Matrix]
    deltas: list[Matrix]
    grad_weights: list[Matrix]
    grad_biases: list[Vector]
    new_weights: list[Matrix]
    new_biases: list[Vector]
    delta_weights: list[Matrix]
    """The weights each hidden delta was propagated through (pre- or post-update, CNV-1)."""


def _transpose(m: Matrix) -> Matrix:
    return [list(col) for col in zip(*m, strict=True)]


def trace(inp: Mapping[str, Any], dps: int = DEFAULT_DPS) -> Trace:
    """All quantities of one step at ``dps`` significant digits (FWD, LOSS, BWD, GRD, UPD)."""
    sizes = contract.check_shapes(inp)
    conv = contract.conventions(inp.get("conventions"))
    params = dict(inp.get("activation_params") or {})
    acts = [ACTIVATIONS[a] for a in inp["activations"]]
    loss = LOSSES[inp["loss"]]
    with mp.workdps(dps):
        x, y = to_matrix(inp["x"]), to_matrix(inp["y"])
        ws = [to_matrix(w) for w in inp["weights"]]
        bs = [to_vector(b) for b in inp["biases"]]
        eta = to_mpf(inp["learning_rate"])
        batch, n_out, n_layers = len(x), sizes[-1], len(ws)

        nets, outs, a_prev = [], [], x
        for w, b, act in zip(ws, bs, acts, strict=True):
            net = [[fdot(row, a) + bj for row, bj in zip(w, b, strict=True)] for a in a_prev]
            out = [[act.forward(v, params) for v in row] for row in net]
            nets.append(net)
            outs.append(out)
            a_prev = out

        terms = [[loss.term(o, t, n_out) for o, t in zip(orow, trow, strict=True)]
                 for orow, trow in zip(outs[-1], y, strict=True)]
        total = mp.fsum(mp.fsum(row) for row in terms)
        scale = mp.one if inp["reduction"] == "sum" else mp.one / batch
        if inp["reduction"] == "mean":
            total /= batch
        dE_dout = [[loss.grad(o, t, n_out, conv) * scale for o, t in zip(orow, trow, strict=True)]
                   for orow, trow in zip(outs[-1], y, strict=True)]

        L = n_layers
        dE_douts, dout_dnets, deltas = [None] * L, [None] * L, [None] * L
        grad_ws, grad_bs, new_ws, new_bs, delta_ws = ([None] * L for _ in range(5))
        update_bias = conv["bias_update"] == "true"
        for k in reversed(range(L)):
            if k < L - 1:
                through = new_ws[k + 1] if conv["hidden_delta_weights"] == "post_update" else ws[k + 1]
                delta_ws[k + 1] = through
                cols = _transpose(through)
                dE_dout = [[fdot(col, d) for col in cols] for d in deltas[k + 1]]
            deriv = [[acts[k].derivative(n, o, params) for n, o in zip(nrow, orow, strict=True)]
                     for nrow, orow in zip(nets[k], outs[k], strict=True)]
            delta = [[g * d for g, d in zip(grow, drow, strict=True)]
                     for grow, drow in zip(dE_dout, deriv, strict=True)]
            a_in = x if k == 0 else outs[k - 1]
            delta_t, a_in_t = _transpose(delta), _transpose(a_in)
            grad_w = [[fdot(dj, ai) for ai in a_in_t] for dj in delta_t]
            grad_b = [mp.fsum(dj) for dj in delta_t]
            dE_douts[k], dout_dnets[k], deltas[k] = dE_dout, deriv, delta
            grad_ws[k], grad_bs[k] = grad_w, grad_b
            new_ws[k] = [[w - eta * g for w, g in zip(wrow, grow, strict=True)]
                         for wrow, grow in zip(ws[k], grad_w, strict=True)]
            new_bs[k] = ([b - eta * g for b, g in zip(bs[k], grad_b, strict=True)] if update_bias
                         else list(bs[k]))
        return Trace(dps, conv, x, y, ws, bs, nets, outs, terms, total, dE_douts, dout_dnets, deltas,
                     grad_ws, grad_bs, new_ws, new_bs, delta_ws)


def step(inp: Mapping[str, Any], dps: int = DEFAULT_DPS) -> dict[str, Any]:
    """One step under the adapter contract (ADP-1, ADP-2), values as mpmath numbers.

    >>> out = step({"layer_sizes": [1, 1], "activations": ["identity"], "loss": "half_sse",
    ...             "reduction": "sum", "learning_rate": "0.5", "x": [["2"]], "y": [["1"]],
    ...             "weights": [[["0.5"]]], "biases": [["0"]]})
    >>> out["loss"], out["new_weights"][0][0][0]
    (mpf('0.0'), mpf('0.5'))
    """
    t = trace(inp, dps)
    return {
        "loss": t.loss,
        "grad_weights": t.grad_weights,
        "grad_biases": t.grad_biases,
        "new_weights": t.new_weights,
        "new_biases": t.new_biases,
        "nets": t.nets,
        "outs": t.outs,
        "deltas": t.deltas,
    }
