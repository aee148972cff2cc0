"""Suite "kinks": relu and leaky_relu units whose pre-activation is exactly 0 (spec ACT-3, ACT-5).

At net = 0 the spec fixes relu'(0) = 0 and leaky_relu'(0) = slope (the left derivative); an
implementation that tests ``net >= 0`` instead of ``net > 0`` gets 1 there, which only a net of exactly
0 reveals. Each case places such kinks in hidden and output layers for chosen samples: the bias of
the unit is set to -(w . a_prev) of that sample. Every value has at most two significant bits and every
pre-activation's partial sums fit in 8 bits, so each dtype computes the zero exactly in any summation
order, and the kink is met by float16 and bfloat16 as well as by the reference.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

from bpspec.catalogue.build import case, slope_params
from bpspec.catalogue.dyadic import draw, exact_in_any_order

SEED = 20240611

#: (layer sizes, activations, loss, batch, kinks as (layer 1..L, unit, sample), leaky slope)
PLAN = [
    ([2, 3, 1], ["relu", "identity"], "half_sse", 1, [(1, 0, 0)], None),
    ([3, 4, 2], ["relu", "identity"], "mse", 4, [(1, 1, 0), (1, 3, 2)], None),
    ([2, 3, 2], ["relu", "relu"], "half_sse", 2, [(2, 0, 0), (2, 1, 1)], None),
    ([2, 2, 2], ["relu", "relu"], "sse", 1, [(1, 1, 0), (2, 0, 0)], None),
    ([2, 3, 1], ["leaky_relu", "identity"], "half_sse", 1, [(1, 2, 0)], Fraction(1, 4)),
    ([3, 3, 2], ["leaky_relu", "sigmoid"], "mse", 4, [(1, 0, 1), (1, 2, 3)], Fraction(1, 8)),
    ([2, 3, 2], ["leaky_relu", "leaky_relu"], "sse", 2, [(1, 1, 0), (2, 0, 1)], Fraction(1, 2)),
    ([2, 3, 3, 2], ["relu", "relu", "identity"], "half_sse", 1, [(1, 0, 0), (2, 2, 0)], None),
    ([2, 3, 3, 1], ["leaky_relu", "relu", "leaky_relu"], "half_sse", 4,
     [(1, 1, 0), (2, 0, 1), (3, 0, 2)], Fraction(1, 4)),
    ([3, 2, 2], ["relu", "tanh"], "mse", 4, [(1, 0, 0), (1, 1, 0)], None),
    ([1, 2, 1], ["relu", "relu"], "sse", 1, [(2, 0, 0)], None),
    ([2, 4, 2], ["leaky_relu", "leaky_relu"], "half_sse", 4, [(1, 3, 3), (2, 1, 2)],
     Fraction(1, 16)),
]


def act(name: str, net: Fraction, slope: Fraction | None) -> Fraction:
    """The exact output of a piecewise-linear unit. sigmoid and tanh appear only in output layers,
    whose outputs no later layer reads; their net stands in."""
    if name in ("sigmoid", "tanh"):
        return net
    if name == "relu":
        return max(net, Fraction(0))
    return net if name == "identity" or net > 0 else slope * net


def slope_at(name: str, net: float, slope: Fraction | None) -> float:
    """f'(net) in floats, with relu'(0) = 0 and leaky_relu'(0) = slope (ACT-3, ACT-5)."""
    if name == "sigmoid":
        return math.exp(-abs(net)) / (1 + math.exp(-abs(net))) ** 2
    if name == "tanh":
        return 1 - math.tanh(net) ** 2
    if name == "identity" or net > 0:
        return 1.0
    return 0.0 if name == "relu" else float(slope)


def small(rng: random.Random) -> Fraction:
    """A value of at most two significant bits in [1/4, 2), either sign."""
    return draw(rng, lo=-2, hi=0, bits=2)


def layer(rng, a_prev, n_out, kinks, later, name, slope):
    """Weights, biases and exact outputs of one layer with the given (unit, sample) kinks, or None.

    Drawn until every pre-activation of a sample with a kink here or in a ``later`` layer is exact
    in 8 bits in any summation order, and no ``later`` sample's outputs are all 0 (a dead layer would
    leave no dot product to cancel further on).
    """
    exact = later | {s for _, s in kinks}
    for _ in range(200):
        w = [[small(rng) for _ in a_prev[0]] for _ in range(n_out)]
        b = [small(rng) if rng.random() < 0.7 else Fraction(0) for _ in range(n_out)]
        dots = [[sum(wi * ai for wi, ai in zip(row, a, strict=True)) for row in w] for a in a_prev]
        if any(dots[s][j] == 0 for j, s in kinks):
            continue
        for j, s in kinks:
            b[j] = -dots[s][j]
        terms = [[wi * ai for wi, ai in zip(row, a, strict=True)] + [bj]
                 for s, a in enumerate(a_prev) if s in exact for row, bj in zip(w, b, strict=True)]
        nets = [[d + bj for d, bj in zip(row, b, strict=True)] for row in dots]
        outs = [[act(name, v, slope) for v in row] for row in nets]
        if all(exact_in_any_order(t) for t in terms) and all(any(outs[s]) for s in later):
            return w, b, nets, outs
    return None


def upstream(weights, nets, y, acts, slope) -> list[list[list[float]]]:
    """dE/dout of every layer, up to a positive factor, in floats (BWD-1, BWD-3): where it is 0 the
    kink's derivative would not show in any delta."""
    last = [[math.tanh(v) if acts[-1] == "tanh" else 1 / (1 + math.exp(-v)) if acts[-1] == "sigmoid"
             else float(act(acts[-1], v, slope)) for v in row] for row in nets[-1]]
    grads = [[[o - float(t) for o, t in zip(orow, trow, strict=True)]
              for orow, trow in zip(last, y, strict=True)]]
    for k in range(len(weights) - 1, 0, -1):
        delta = [[g * slope_at(acts[k], float(n), slope) for g, n in zip(grow, nrow, strict=True)]
                 for grow, nrow in zip(grads[0], nets[k], strict=True)]
        cols = list(zip(*weights[k], strict=True))
        grads.insert(0, [[sum(float(w) * d for w, d in zip(col, drow, strict=True)) for col in cols]
                         for drow in delta])
    return grads


def network(rng, sizes, acts, batch, kinks, slope):
    """Inputs, targets and parameters with the planned kinks, or None if this draw cannot have them."""
    x = [[small(rng) for _ in range(sizes[0])] for _ in range(batch)]
    weights, biases, nets, a = [], [], [], x
    for k in range(1, len(sizes)):
        here = [(j, s) for lk, j, s in kinks if lk == k]
        drawn = layer(rng, a, sizes[k], here, {s for lk, _, s in kinks if lk > k}, acts[k - 1], slope)
        if drawn is None:
            return None
        weights.append(drawn[0])
        biases.append(drawn[1])
        nets.append(drawn[2])
        a = drawn[3]
    y = [[small(rng) for _ in range(sizes[-1])] for _ in range(batch)]
    grads = upstream(weights, nets, y, acts, slope)
    if any(grads[k - 1][s][j] == 0 for k, j, s in kinks):
        return None
    return x, y, weights, biases


def kink_case(i: int, sizes, acts, loss, batch, kinks, slope) -> dict:
    """Case ``i`` of the plan: the first seeded draw whose kinks are exact and visible in a delta."""
    for attempt in range(1000):
        drawn = network(random.Random(SEED + 1000 * i + attempt), sizes, acts, batch, kinks, slope)
        if drawn:
            break
    else:
        raise RuntimeError(f"kinks plan row {i}: no draw has its kinks exact and visible")
    x, y, weights, biases = drawn
    where = ", ".join(f"layer {k} unit {j} sample {s}" for k, j, s in kinks)
    return case(
        suite="kinks", name=f"kinks_{'_'.join(sorted(set(acts)))}_{i:03d}",
        description=f"{' / '.join(acts)} network {sizes}, batch {batch}, {loss}: pre-activation exactly "
                    f"0 at {where}, so relu'(0) = 0 and leaky_relu'(0) = slope decide the deltas",
        layer_sizes=sizes, activations=acts, loss=loss, reduction="sum" if i % 2 else "mean",
        learning_rate=Fraction(1, 4), x=x, y=y, weights=weights, biases=biases,
        params=slope_params(acts, slope) if slope else None)


def cases() -> list[dict]:
    return [kink_case(i, *row) for i, row in enumerate(PLAN)]
