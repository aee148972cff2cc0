"""Suite "random": one training step of seeded random networks over architecture x activation x loss
x batch (spec FWD, ACT, LOSS, BWD, GRD, UPD).

Every activation x loss x reduction (6 x 3 x 2) is drawn ``REPS`` times: depth 1-4, widths 1-6, batch
1 or 4 and once 32; the hidden layers use the combination's activation and the output layer either
the same one or another. A handful of "wide" cases add 64-unit layers and batch 32 within the
generation budget. Every input, target, parameter and learning rate is a dyadic rational with at most
8 significant bits and magnitude in [2^-8, 4) or 0, so float16, bfloat16, float32 and float64 all start
from exactly the reference's numbers. Each case has its own ``random.Random`` seeded by its index, so
the catalogue is the same on every machine and adding a case changes no other.
"""

from __future__ import annotations

import random
from fractions import Fraction

from bpspec.catalogue.build import case, slope_params
from bpspec.catalogue.dyadic import draw, draw_network, draw_target, power_of_two
from bpspec.contract import ACTIVATION_NAMES, LOSS_NAMES, REDUCTIONS

SEED = 20240612
REPS = 9
#: per repetition: batch size; depth is 1 + rep % 4
BATCHES = (1, 4, 4, 1, 4, 1, 4, 1, 32)
SLOPES = (Fraction(1, 4), Fraction(1, 8), Fraction(1, 16), Fraction(1, 32))
#: (layer sizes, batch) of the wide cases, each costing 10^3..10^5 multiply-adds per step
WIDE = [
    ([8, 64, 4], 4), ([64, 16, 2], 1), ([16, 64, 16, 1], 1), ([8, 64, 2], 32),
    ([4, 16, 16, 4], 32), ([64, 8], 32), ([2, 32, 32, 2], 4),
]


def random_case(name: str, seed: int, sizes: list[int], batch: int, hidden: str, output: str,
                loss: str, reduction: str, suite: str = "random", conventions: dict | None = None,
                **schedule) -> dict:
    """A network of widths ``sizes`` drawn from ``random.Random(seed)``; ``schedule`` passes steps,
    batches and record through for the suites that reuse it."""
    rng = random.Random(seed)
    acts = [hidden] * (len(sizes) - 2) + [output if len(sizes) > 2 else hidden]
    weights, biases = draw_network(rng, sizes)
    x = [[draw(rng, lo=-4, hi=0, zero=0.05) for _ in range(sizes[0])] for _ in range(batch)]
    y = [[draw_target(rng, output) for _ in range(sizes[-1])] for _ in range(batch)]
    frozen = rng.random() < 0.1
    conventions = {**({"bias_update": "false"} if frozen else {}), **(conventions or {})}
    steps = schedule.get("steps", 1)
    return case(
        suite=suite, name=name,
        description=f"{'one step' if steps == 1 else f'{steps} updates'} of a random "
                    f"{'-'.join(map(str, sizes))} {' / '.join(acts)} network, {loss} with a {reduction} "
                    f"over a batch of {batch}" + (", biases frozen" if frozen else "")
                    + "".join(f", {k} = {v}" for k, v in conventions.items() if k != "bias_update"),
        layer_sizes=sizes, activations=acts, loss=loss, reduction=reduction,
        learning_rate=power_of_two(rng, 1, 6), x=x, y=y, weights=weights, biases=biases,
        params=slope_params(acts, rng.choice(SLOPES)), conventions=conventions, **schedule)


def combination_cases() -> list[dict]:
    out = []
    for a, hidden in enumerate(ACTIVATION_NAMES):
        for loss in LOSS_NAMES:
            for reduction in REDUCTIONS:
                for rep in range(REPS):
                    index = len(out)
                    rng = random.Random(SEED + 100_000 + index)
                    depth, batch = 1 + rep % 4, BATCHES[rep]
                    sizes = [rng.randint(1, 3 if batch == 32 else 6) for _ in range(depth + 1)]
                    output = hidden if depth == 1 or rep % 3 else ACTIVATION_NAMES[(a + rep) % 6]
                    out.append(random_case(f"random_{hidden}_{loss}_{reduction}_{rep:03d}",
                                           SEED + index, sizes, batch, hidden, output, loss, reduction))
    return out


def wide_cases() -> list[dict]:
    out = []
    for i, (sizes, batch) in enumerate(WIDE):
        act, loss, reduction = ACTIVATION_NAMES[i % 6], LOSS_NAMES[i % 3], REDUCTIONS[i % 2]
        output = ACTIVATION_NAMES[(i + 3) % 6]
        out.append(random_case(f"random_wide_{act}_{loss}_{reduction}_{i:03d}", SEED + 50_000 + i,
                               sizes, batch, act, output, loss, reduction))
    return out


def cases() -> list[dict]:
    """All 36 activation x loss x reduction combinations, REPS each, then the wide cases."""
    return combination_cases() + wide_cases()
