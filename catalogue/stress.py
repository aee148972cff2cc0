"""Suite "stress": vanishing gradients and saturating magnitudes (spec BWD-3, ACT-1, ACT-2, ACT-6).

Deep narrow networks multiply one activation derivative per layer into the first layer's gradient,
which ends near 1e-30 (or, in the float64-only cases, far below): an implementation that flushes,
reorders or loses relative precision shows it there. Large pre-activations, hundreds to thousands,
saturate sigmoid and tanh, overflow a naive exp(-net) and make softplus(net) = net to every digit.
Each case lists only the dtypes it is meaningful in and whose range holds all its numbers.
"""

from __future__ import annotations

import random
from fractions import Fraction as F

from bpspec.catalogue.build import case
from bpspec.catalogue.dyadic import ALL_DTYPES, draw

SEED = 20240614
WIDE_RANGE = ("float64", "float32", "bfloat16")   # float32's exponent range; float16 underflows

#: deep narrow networks: (name, activation, output, width, depth, weight binade, signed weights,
#:  bias, batch, loss, dtypes)
DEEP = [
    ("sigmoid_w1_d48", "sigmoid", "sigmoid", 1, 48, 0, False, F(0), 1, "half_sse", WIDE_RANGE),
    ("sigmoid_w2_d46", "sigmoid", "sigmoid", 2, 46, -1, False, F(0), 1, "half_sse", WIDE_RANGE),
    ("tanh_w2_d40", "tanh", "tanh", 2, 40, -3, True, F(1, 4), 1, "half_sse", WIDE_RANGE),
    ("relu_w1_d60", "relu", "identity", 1, 60, -2, False, F(1, 4), 1, "sse", WIDE_RANGE),
    ("softplus_w2_d40", "softplus", "identity", 2, 40, -2, True, F(-1, 2), 1, "half_sse", WIDE_RANGE),
    ("sigmoid_w1_d63", "sigmoid", "identity", 1, 63, 0, False, F(0), 1, "half_sse", WIDE_RANGE),
    ("sigmoid_w3_d26_batch4", "sigmoid", "sigmoid", 3, 26, -3, True, F(1, 8), 4, "mse", WIDE_RANGE),
    ("tanh_w4_d6_saturated", "tanh", "identity", 4, 6, 4, True, F(0), 2, "mse", ("float64",)),
]

#: shallow networks with large pre-activations: (name, layer sizes, activations, x, weight binade
#:  per layer, loss, dtypes)
LARGE = [
    ("sigmoid_thousands", [2, 3, 1], ["sigmoid", "sigmoid"], [[F(512), F(-256)]], (1, -1),
     "half_sse", ALL_DTYPES),
    ("sigmoid_exp_overflow", [1, 2, 1], ["sigmoid", "sigmoid"], [[F(200)]], (2, 0), "half_sse", ALL_DTYPES),
    ("sigmoid_batch4_mixed", [2, 4, 2], ["sigmoid", "sigmoid"],
     [[F(1024), F(-512)], [F(-768), F(384)], [F(96), F(-1536)], [F(-2048), F(-64)]], (1, -1),
     "mse", ALL_DTYPES),
    ("tanh_hundreds", [3, 4, 2], ["tanh", "tanh"], [[F(96), F(-64), F(40)], [F(-80), F(112), F(-56)]],
     (0, -1), "half_sse", ALL_DTYPES),
    ("softplus_thousands", [2, 3, 1], ["softplus", "identity"], [[F(256), F(-128)], [F(-384), F(320)]],
     (2, -10), "half_sse", ALL_DTYPES),
    ("relu_millions", [2, 3, 1], ["relu", "identity"], [[F(1 << 20), F(3 << 18)]], (1, -1), "sse",
     WIDE_RANGE),
    ("leaky_relu_millions", [2, 2, 2], ["leaky_relu", "identity"], [[F(-(1 << 21)), F(5 << 17)]],
     (0, -2), "mse", WIDE_RANGE),
]


def deep_case(i, name, act, output, width, depth, binade, signed, bias, batch, loss, dtypes) -> dict:
    rng = random.Random(SEED + i)
    sizes = [width] * depth + [1]
    acts = [act] * (depth - 1) + [output]
    weights = [[[draw(rng, lo=binade, hi=binade, bits=6, sign=signed) for _ in range(n_in)]
                for _ in range(n_out)] for n_in, n_out in zip(sizes, sizes[1:], strict=False)]
    biases = [[bias] * n for n in sizes[1:]]
    x = [[draw(rng, lo=-1, hi=0, bits=3) for _ in range(width)] for _ in range(batch)]
    y = [[F(1, 4)] for _ in range(batch)]
    return case(
        suite="stress", name=f"stress_deep_{name}_{i:03d}",
        description=f"deep narrow {act} network, {depth} layers of width {width} ({output} output), "
                    f"batch {batch}: the first layer's gradient is a product of {depth} derivatives",
        layer_sizes=sizes, activations=acts, loss=loss, reduction="mean", learning_rate=F(1, 2),
        x=x, y=y, weights=weights, biases=biases, dtypes=dtypes)


def large_case(i, name, sizes, acts, x, binades, loss, dtypes) -> dict:
    rng = random.Random(SEED + 100 + i)
    weights = [[[draw(rng, lo=b, hi=b + 1, bits=3) for _ in range(n_in)] for _ in range(n_out)]
               for b, n_in, n_out in zip(binades, sizes, sizes[1:], strict=False)]
    biases = [[draw(rng, lo=-2, hi=0, bits=3) for _ in range(n)] for n in sizes[1:]]
    y = [[draw(rng, lo=-3, hi=-1, sign=False) for _ in range(sizes[-1])] for _ in x]
    return case(
        suite="stress", name=f"stress_large_{name}_{i:03d}",
        description=f"{'-'.join(map(str, sizes))} {' / '.join(acts)} network whose inputs and weights "
                    "give pre-activations of hundreds to millions: saturation, exp overflow, "
                    "derivatives far below the smallest subnormal",
        layer_sizes=sizes, activations=acts, loss=loss, reduction="sum", learning_rate=F(1, 64),
        x=x, y=y, weights=weights, biases=biases, dtypes=dtypes,
        params={"leaky_relu_slope": F(1, 8)} if "leaky_relu" in acts else None)


def cases() -> list[dict]:
    return ([deep_case(i, *row) for i, row in enumerate(DEEP)]
            + [large_case(i, *row) for i, row in enumerate(LARGE)])
