"""Suite "trajectories": 100 to 200 updates of small networks under each schedule (spec UPD-3, UPD-4).

Each of ``NETWORKS`` trains on a seeded data set of 8 samples three ways: full batch (``batches``
null), mini-batch (a recorded order of shuffled batches of 2 or 4, one permutation per epoch) and per
sample (batches of one). Every update starts from the previous one's parameters at full working
precision; the vectors record the first steps, a few along the way and the last, so an implementation
checked free-running shows where its trajectory leaves the reference's. Networks stay small because
every step runs in mpmath at two precisions.
"""

from __future__ import annotations

import random
from fractions import Fraction

from bpspec.catalogue.build import case, slope_params
from bpspec.catalogue.dyadic import draw, draw_network, draw_target

SEED = 20240613
SAMPLES = 8
#: (layer sizes, activations, loss, reduction, learning rate, steps, mini-batch size)
NETWORKS = [
    ([2, 3, 1], ["sigmoid", "sigmoid"], "half_sse", "mean", Fraction(1, 2), 200, 4),
    ([2, 4, 2], ["tanh", "identity"], "mse", "mean", Fraction(1, 8), 100, 2),
    ([3, 4, 1], ["relu", "identity"], "sse", "mean", Fraction(1, 32), 100, 4),
    ([1, 8, 1], ["tanh", "identity"], "half_sse", "sum", Fraction(1, 32), 150, 2),
    ([2, 3, 2], ["leaky_relu", "sigmoid"], "mse", "sum", Fraction(1, 4), 100, 4),
    ([3, 3, 3], ["softplus", "identity"], "half_sse", "mean", Fraction(1, 16), 100, 2),
    ([2, 2, 2, 1], ["sigmoid", "sigmoid", "sigmoid"], "sse", "mean", Fraction(1, 2), 120, 4),
    ([4, 2, 4], ["tanh", "sigmoid"], "mse", "mean", Fraction(1, 2), 100, 2),
]
SCHEDULES = ("full", "mini", "sample")


def record(steps: int) -> list[int]:
    """The recorded steps: the first three, 10, 50, every hundredth and the last."""
    return sorted({0, 1, 2, 10, 50, steps - 1} | set(range(100, steps, 100)))


def schedule(rng: random.Random, kind: str, size: int, epochs: int) -> list[list[int]] | None:
    """The batch order: None for the full batch, else ``epochs`` shuffled passes over the data."""
    if kind == "full":
        return None
    size = 1 if kind == "sample" else size
    order = []
    for _ in range(epochs):
        perm = list(range(SAMPLES))
        rng.shuffle(perm)
        order += [sorted(perm[i:i + size]) for i in range(0, SAMPLES, size)]
    return order


def trajectory_case(i: int, kind: str, sizes, acts, loss, reduction, eta, steps, size) -> dict:
    rng = random.Random(SEED + i)
    weights, biases = draw_network(rng, sizes)
    x = [[draw(rng, lo=-3, hi=0) for _ in range(sizes[0])] for _ in range(SAMPLES)]
    y = [[draw_target(rng, acts[-1]) for _ in range(sizes[-1])] for _ in range(SAMPLES)]
    batches = schedule(random.Random(SEED + 1000 + i), kind, size, epochs=4)
    eta = eta if kind == "full" else eta / 2   # smaller batches, noisier steps
    how = {"full": f"full batch of {SAMPLES}", "mini": f"mini-batches of {size} in a recorded order",
           "sample": "one sample per update in a recorded order"}[kind]
    return case(
        suite="trajectories", name=f"trajectories_{kind}_{'_'.join(sorted(set(acts)))}_{i:03d}",
        description=f"{steps} updates of a {'-'.join(map(str, sizes))} {' / '.join(acts)} network, "
                    f"{loss} ({reduction}), eta {eta}, {how}",
        layer_sizes=sizes, activations=acts, loss=loss,
        reduction=reduction, learning_rate=eta,
        x=x, y=y, weights=weights, biases=biases, steps=steps, batches=batches, record=record(steps),
        params=slope_params(acts, Fraction(1, 8)))


def cases() -> list[dict]:
    """Every network under every schedule: full batch, mini-batch, per sample (UPD-3, UPD-4)."""
    return [trajectory_case(3 * n + k, kind, *net) for n, net in enumerate(NETWORKS)
            for k, kind in enumerate(SCHEDULES)]
