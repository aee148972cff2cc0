"""The reference's analytic gradients against mpmath's numerical differentiation (GRD-1, GRD-2,
BWD-1, BWD-2, BWD-3, LOSS-4, ACT-1..ACT-6).

The numerical derivative differentiates only the loss value (mpmath.diff of E_total as a function
of one parameter, evaluated at 150 digits), so it is independent of the backward code it checks.
"""

from __future__ import annotations

import random

import pytest
from mpmath import mp

from bpspec.reference import trace

AGREE = 30
"""Significant digits the two methods must share (issue: at least 30)."""


def perturbed(inp: dict, kind: str, layer: int, index: tuple[int, ...], value) -> dict:
    weights = [[list(row) for row in w] for w in inp["weights"]]
    biases = [list(b) for b in inp["biases"]]
    if kind == "W":
        weights[layer][index[0]][index[1]] = value
    else:
        biases[layer][index[0]] = value
    return {**inp, "weights": weights, "biases": biases}


def parameters(inp: dict, limit: int = 12) -> list[tuple[str, int, tuple[int, ...]]]:
    """Up to ``limit`` parameters, always including every layer's first weight and bias."""
    every = [("W", l, (j, k)) for l, w in enumerate(inp["weights"]) for j, row in enumerate(w)
             for k in range(len(row))]
    every += [("b", l, (j,)) for l, b in enumerate(inp["biases"]) for j in range(len(b))]
    firsts = [p for p in every if p[2] in ((0, 0), (0,))]
    rest = [p for p in every if p not in firsts]
    random.Random(len(every)).shuffle(rest)
    return firsts + rest[: max(0, limit - len(firsts))]


def near_kink(t) -> bool:
    return any(abs(v) < mp.mpf("1e-20") for layer in t.nets for row in layer for v in row)


def test_gradients_match_numerical_differentiation(network):
    """Every sampled dE/dW and dE/db agrees with mpmath.diff to >= 30 digits (GRD-1, GRD-2)."""
    t = trace(network, 60)
    if network["activations"][0] in ("relu", "leaky_relu") and near_kink(t):
        pytest.skip("a pre-activation sits at the kink, where the derivative is a convention")
    for kind, layer, index in parameters(network):
        def loss(value, kind=kind, layer=layer, index=index):
            return trace(perturbed(network, kind, layer, index, value), 150).loss

        source = network["weights"] if kind == "W" else network["biases"]
        start = source[layer][index[0]][index[1]] if kind == "W" else source[layer][index[0]]
        analytic = (t.grad_weights[layer][index[0]][index[1]] if kind == "W"
                    else t.grad_biases[layer][index[0]])
        with mp.workdps(60):
            numeric = mp.diff(loss, mp.mpf(start))
            scale = max(abs(numeric), mp.mpf("1e-40"))
            assert abs(numeric - analytic) <= scale * mp.mpf(10) ** -AGREE, (kind, layer, index)


def test_updates_follow_from_gradients(network):
    """new W = W - eta grad W and new b likewise, exactly at the working precision (UPD-1, UPD-2)."""
    t = trace(network, 50)
    with mp.workdps(50):
        eta = mp.mpf(network["learning_rate"])
        for w, g, new in zip(t.weights, t.grad_weights, t.new_weights, strict=True):
            assert all(n == wv - eta * gv for wr, gr, nr in zip(w, g, new, strict=True)
                       for wv, gv, n in zip(wr, gr, nr, strict=True))
        for b, g, new in zip(t.biases, t.grad_biases, t.new_biases, strict=True):
            assert all(n == bv - eta * gv for bv, gv, n in zip(b, g, new, strict=True))


def test_frozen_biases_stay(network):
    """bias_update = false leaves every bias as it was (CNV-2, UPD-2)."""
    t = trace({**network, "conventions": {"bias_update": "false"}}, 50)
    assert t.new_biases == t.biases
